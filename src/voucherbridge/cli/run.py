"""`voucherbridge serve` and `voucherbridge worker`: the two production processes.

`serve --workers N` runs N API processes on one port (uvicorn's supervisor); their metrics are
summed through files in PROMETHEUS_MULTIPROC_DIR (made fresh here unless set). SIGTERM stops
accepting connections, lets the requests in flight finish (up to
VOUCHERBRIDGE_SHUTDOWN_GRACE_S) and exits. `worker --concurrency N` runs N delivery loops in one
process; SIGTERM lets each finish the row in hand and give its other claimed rows back, so
another worker delivers them at once instead of after the lease.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from voucherbridge.bootstrap import Container, build
from voucherbridge.cli.startup import load_settings
from voucherbridge.db import migrate as db_migrate
from voucherbridge.outbox.service import DeliveryReport
from voucherbridge.outbox.worker import stop_on_signals

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

HostOpt = Annotated[str | None, typer.Option(help="Address to listen on")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on")]


def _refuse_unmigrated(container: Container) -> None:
    try:
        db_migrate.ensure_migrated(container.engine)
    except db_migrate.SchemaNotMigrated as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def metrics_dir() -> Path:
    """The multiprocess metrics directory (made unless set), rid of the files of processes
    that are gone: a previous run's. A live outbox worker sharing it keeps its own."""
    configured = os.environ.get(MULTIPROC_ENV)
    path = Path(configured) if configured else Path(tempfile.mkdtemp(prefix="vb-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):  # counter_<pid>.db, histogram_<pid>.db ...
        pid = stale.stem.rsplit("_", 1)[-1]
        if not pid.isdigit() or not _alive(int(pid)):
            stale.unlink(missing_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)  # the API processes inherit it
    return path


def serve(
    host: HostOpt = None,
    port: PortOpt = None,
    workers: Annotated[int, typer.Option(min=1, help="API processes on this port")] = 1,
) -> None:
    """Serve the API (the database must be migrated); SIGTERM finishes requests in flight."""
    settings = load_settings()
    container = build(settings)
    _refuse_unmigrated(container)
    container.engine.dispose()
    if workers > 1 or os.environ.get(MULTIPROC_ENV):
        metrics_dir()
    uvicorn.run(
        "voucherbridge.app:serve_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,  # ours (api/observe.py) carries the request id and the route
        timeout_graceful_shutdown=settings.shutdown_grace_s,
    )


def worker(
    once: Annotated[bool, typer.Option(help="Deliver what is due once, then exit")] = False,
    poll: Annotated[float, typer.Option(help="Seconds to wait when idle")] = 1.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Delivery loops in this process")] = 1,
) -> None:
    """Deliver the outbox (platform sync, notifications) with retries; several may run on PG.
    SIGTERM: the rows in hand are finished, the rest of each batch is given back."""
    container = build(load_settings())
    _refuse_unmigrated(container)
    stop = stop_on_signals()
    if not once:  # yesterday's reconciliation per merchant, once a day (claimed in the DB)
        threading.Thread(target=container.run_nightly, args=(stop,), daemon=True).start()
        # and the Meituan sessions ending within three days, renewed (hourly)
        threading.Thread(target=container.run_session_refresh, args=(stop,), daemon=True).start()
        # and the reminders of codes ending within three days (claimed in the DB, once a code)
        threading.Thread(target=container.run_expiring, args=(stop,), daemon=True).start()
    reports: list[DeliveryReport] = []

    def loop() -> None:
        reports.append(container.run_worker(poll_seconds=poll, stop=stop, once=once))

    loops = [
        threading.Thread(target=loop, name=f"outbox-{i}", daemon=True) for i in range(concurrency)
    ]
    for thread in loops:
        thread.start()
    while any(thread.is_alive() for thread in loops):
        for thread in loops:
            thread.join(timeout=0.5)  # short waits: the signal handler runs in this thread
    delivered = sum(r.delivered for r in reports)
    retried = sum(r.retried for r in reports)
    dead = sum(r.dead for r in reports)
    typer.echo(f"delivered={delivered} retried={retried} dead={dead}")
