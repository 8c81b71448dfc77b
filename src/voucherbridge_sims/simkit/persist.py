"""A simulator's state kept in a file across restarts (``--state-file PATH`` / SIM_STATE_FILE).

The file is versioned, readable JSON: ``{"format", "version", "platform", "saved_at", "seq",
"entities", "requests", "pushes"}``; the entities are each platform's `SimBase.persisted`
attributes, times ISO 8601 with their zone. It is written whole (a temporary file in the same
directory, then `os.replace`, so a crash leaves the old or the new file, never half of one) at
most `DEBOUNCE_S` after a change: every state-changing request, every background push outcome,
and on shutdown. A file that cannot be read, or belongs to another version or platform, is
moved aside to ``PATH.bad`` and the simulator starts fresh with one warning line on stderr.

Not kept: faults, latencies and the clock offset (a restarted platform is healthy and on time),
and background work in flight. A push being retried when the process stops is not resumed
after the restart; the order keeps the status it had (``pending``, ``issuing`` ...) and the
attempts made so far, and can be pushed again from the simulator's hooks.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import simplejson

from voucherbridge_sims.simkit.state import SimBase

FORMAT = "voucherbridge-simulator-state"
VERSION = 1
DEBOUNCE_S = 0.4  # one write for a burst of changes; the file is still current within 1 s


def warn(message: str) -> None:
    print(f"simulator: {message}", file=sys.stderr, flush=True)


class StateFile:
    """Loads `sim` from `path` once, then keeps the file current from a daemon thread."""

    def __init__(self, sim: SimBase, path: str | os.PathLike[str], platform: str) -> None:
        self.sim, self.path, self.platform = sim, Path(path), platform
        self.io_lock = threading.Lock()  # one writer at a time; reset waits for a write
        self._wake = threading.Condition()
        self._dirty = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._write_failed = False
        sim.state_file = self

    # ---- loading -------------------------------------------------------------------------------
    def load(self) -> None:
        """Take the file's state when there is a readable one of this version and platform."""
        if not self.path.exists():
            return
        try:
            # use_decimal: a yuan amount (Dianping's 39.9) comes back as the Decimal it was
            document = simplejson.loads(self.path.read_text(encoding="utf-8"), use_decimal=True)
            if not isinstance(document, dict):
                raise ValueError("not a JSON object")
            found = (document.get("format"), document.get("version"), document.get("platform"))
            if found != (FORMAT, VERSION, self.platform):
                raise ValueError(
                    f"format/version/platform {found}, expected {(FORMAT, VERSION, self.platform)}"
                )
            self.sim.restore(document)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            self.sim.reset()
            bad = self.path.with_name(self.path.name + ".bad")
            try:
                os.replace(self.path, bad)
            except OSError:
                bad = self.path
            warn(
                f"state file {self.path} unusable ({type(exc).__name__}: {exc}); "
                f"starting fresh, kept it as {bad}"
            )

    # ---- saving --------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the saving thread (again after a `stop`; a running one is kept)."""
        with self._wake:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, daemon=True, name="sim-state-file")
            self._thread.start()

    def changed(self) -> None:
        with self._wake:
            self._dirty = True
            self._wake.notify()

    def save(self) -> None:
        """Write the current state now (whole file, atomically)."""
        with self.io_lock:
            document = {
                "format": FORMAT,
                "version": VERSION,
                "platform": self.platform,
                "saved_at": datetime.now(UTC).isoformat(),
                **self.sim.snapshot(),
            }
            text = simplejson.dumps(document, ensure_ascii=False, indent=1, use_decimal=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name + ".")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, self.path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise

    def reset(self) -> None:
        """``POST /_sim/reset``: a fresh state, and no file until something changes again."""
        with self.io_lock:
            self.sim.reset()
            self.path.unlink(missing_ok=True)
            with self._wake:
                self._dirty = False

    def stop(self) -> None:
        """On shutdown: end the thread, then write what changed since the last write."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        with self._wake:
            dirty, self._dirty = self._dirty, False
        if dirty:
            self._save_quietly()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._dirty and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
            time.sleep(DEBOUNCE_S)
            with self._wake:
                self._dirty = False
            self._save_quietly()

    def _save_quietly(self) -> None:
        try:
            self.save()
        except OSError as exc:
            if not self._write_failed:  # one line, not one per request
                warn(f"cannot write state file {self.path}: {exc}")
            self._write_failed = True
        else:
            self._write_failed = False
