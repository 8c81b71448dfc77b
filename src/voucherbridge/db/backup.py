"""Backups of the embedded database: SQLite's online backup API copies a consistent snapshot
while the service keeps serving (WAL readers and the writer are not stopped). PostgreSQL is
backed up with its own tools (`pg_dump -Fc`), documented in docs/reliability.md."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupNotSupported(Exception):
    """The database is not an SQLite file; use the server's own tools."""


def sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupNotSupported(
            "online backup covers the embedded SQLite file; for PostgreSQL run "
            "`pg_dump -Fc -f voucherbridge.dump <database url>` and `pg_restore` to restore"
        )
    return Path(url.database)


def backup_sqlite(
    database_url: str,
    target: Path,
    pages_per_step: int = 1024,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Copy the live database into `target` (a new file); returns its size in bytes.
    `progress(pages_done, pages_total)` is called after each step."""
    source_path = sqlite_path(database_url)
    if not source_path.exists():
        raise FileNotFoundError(source_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    destination = sqlite3.connect(partial)
    try:
        # Small steps let the live writer in between pages instead of waiting for the copy.
        def step(_: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        source.backup(destination, pages=pages_per_step, progress=step)
        destination.execute("PRAGMA integrity_check").fetchone()
    finally:
        destination.close()
        source.close()
    partial.replace(target)  # a half-written backup never carries the final name
    return target.stat().st_size
