"""A network receipt printer stand-in: a thread listening on 127.0.0.1 that keeps every byte.

Real sockets, no mocks: it accepts connections as a printer on port 9100 would and records what
each connection sent until the sender closed it. `closed_port()` is a port nobody listens on.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Listener:
    host: str
    port: int
    jobs: list[bytes] = field(default_factory=list)  # one entry per closed connection
    _done: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[bytes]:
        """The first `count` print jobs, once their connections are closed."""
        deadline = time.monotonic() + timeout_s
        with self._done:
            while len(self.jobs) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.jobs)} print jobs arrived, not {count}")
                self._done.wait(left)
            return list(self.jobs[:count])

    def _keep(self, data: bytes) -> None:
        with self._done:
            self.jobs.append(data)
            self._done.notify_all()


@contextmanager
def printer_listener() -> Iterator[Listener]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    listener = Listener("127.0.0.1", server.getsockname()[1])
    stop = threading.Event()

    def receive(conn: socket.socket) -> None:
        chunks = []
        with conn:
            conn.settimeout(5)
            try:
                while chunk := conn.recv(65536):
                    chunks.append(chunk)
            except OSError:  # a sender that never closed: keep what came
                pass
        listener._keep(b"".join(chunks))

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=receive, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, name="printer-listener", daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()


def closed_port() -> int:
    """A loopback port with no listener: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
