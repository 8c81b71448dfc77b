"""The full run's scenarios beside the redeem path (issue #20 point 3): flash sale, sync backlog
and size, each in its own module with its own database, each printing ratios against a ceiling
measured in the same run. Never a timed assertion.

`run_all` starts one throwaway PostgreSQL server for all of them (as tests/pgserver.py does)
and gives each scenario fresh databases on it; on SQLite each gets fresh files.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import backlog, flash_sale, procs, size
from bench.harness import ROOT, BenchError

# name -> (module, the backends it runs on)
SCENARIOS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "flash_sale": (flash_sale, ("sqlite", "postgresql")),
    "backlog": (backlog, ("postgresql",)),
    "size": (size, ("sqlite", "postgresql")),
}


def run_all(
    backends: list[str], names: list[str], scale: float | None
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Every scenario of `names` on each of `backends` it runs on; (results, failed)."""
    results: dict[str, dict[str, Any]] = {}
    failed = False
    with contextlib.ExitStack() as stack:
        server = ""
        if "postgresql" in backends:
            sys.path.insert(0, str(ROOT))
            from tests.pgserver import running_server

            server = stack.enter_context(running_server())
        for name in names:
            module, kinds = SCENARIOS[name]
            for backend in (b for b in backends if b in kinds):
                work = Path(tempfile.mkdtemp(prefix=f"vb-bench-{name}-{backend}-"))
                used = scale if scale is not None else module.DEFAULT_SCALE
                print(f"--- {name} on {backend} (scale {used:g})", flush=True)
                began = time.perf_counter()
                try:
                    result = module.run(backend, databases(backend, server, work), work, used)
                except (
                    BenchError,
                    subprocess.CalledProcessError,
                    httpx.HTTPError,
                    OSError,
                    KeyError,
                    ValueError,
                ) as exc:
                    failure(name, backend, exc, work)
                    failed = True
                    continue
                result["scale"], result["wall_s"] = used, time.perf_counter() - began
                results.setdefault(name, {})[backend] = result
                module.report(backend, result)
                print(f"  ({name} on {backend}: {result['wall_s']:.0f} s in all)", flush=True)
                shutil.rmtree(work, ignore_errors=True)
    return results, failed


def databases(backend: str, server: str, work: Path) -> Callable[[str], str]:
    """A factory of fresh, empty databases: SQLite files in `work`, or databases on `server`."""

    def new_db(name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{work / (name + '.db')}"
        return procs.create_database(server, name)

    return new_db


def failure(name: str, backend: str, exc: Exception, work: Path) -> None:
    detail = getattr(exc, "stderr", None) or ""
    print(f"[{backend}] {name} failed: {exc!r} {detail!r}; files in {work}", file=sys.stderr)
    traceback.print_exception(exc, file=sys.stderr)
    for log in sorted(work.glob("*.log")):
        tail = log.read_text(errors="replace")[-2000:]
        print(f"--- {log.name} (tail)\n{tail}", file=sys.stderr)
