"""Bench helpers: CPU seconds of process trees (from /proc), and read-only database lookups."""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Any

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd on


def tree(pid: int) -> list[int]:
    """The process and every descendant alive now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def cpu_of(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each process (still alive) used so far."""
    found = {}
    for pid in pids:
        fields = _stat(pid)
        if fields:
            found[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return found


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two readings of a tree (a process that appeared counts whole; one
    that ended in between is lost, so this is a lower bound)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def postmaster(port: int) -> int | None:
    """The PostgreSQL server listening on `port` (its backends are its children)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if cmd and cmd[0].endswith(b"postgres") and str(port).encode() in cmd:
            return int(entry.name)
    return None


class CpuWatch:
    """CPU of one child process, read from the rusage of reaped children around its run."""

    def __init__(self, _pid: int) -> None:
        self._start = self._children()

    @staticmethod
    def _children() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def seconds(self) -> float:
        return self._children() - self._start


def _connect(url: str) -> Any:
    if url.startswith("sqlite"):
        import sqlite3

        return sqlite3.connect(url.split("///", 1)[1])
    import psycopg

    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))


def _q(url: str, sql: str) -> str:
    return sql.replace("%s", "?") if url.startswith("sqlite") else sql


def code_rows(url: str, codes: list[str]) -> dict[str, tuple[int, int]]:
    conn = _connect(url)
    found: dict[str, tuple[int, int]] = {}
    for code in codes:
        row = conn.execute(_q(url, "SELECT id, template_id FROM codes WHERE code = %s"), (code,))
        code_id, template_id = row.fetchone()
        found[code] = (int(code_id), int(template_id))
    conn.close()
    return found


def terminal_row(url: str, key: str) -> dict[str, Any]:
    from voucherbridge.chain.auth import hash_secret

    conn = _connect(url)
    digest = hash_secret(key)
    row = conn.execute(
        _q(url, "SELECT id, merchant_id, store_id FROM terminals WHERE key_hash = %s"), (digest,)
    ).fetchone()
    conn.close()
    return {"terminal_id": row[0], "merchant_id": row[1], "store_id": row[2], "key_hash": digest}


def create_database(server: str, name: str) -> str:
    import psycopg

    raw = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return server.rsplit("/", 1)[0] + f"/{name}"
