"""Readiness (`GET /readyz`): may a load balancer send this process traffic?

Ready means the database answers, its schema is at the code's revision (a process started
before `voucherbridge migrate` ran elsewhere, or after a rollback, is not) and the outbox is not
so far behind that the platforms hear of uses long after they happened. Each failed check says
why, in Chinese and in English.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import structlog

from voucherbridge.db import migrate
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.ops.repository import OpsRepo

log = structlog.get_logger("voucherbridge.ops")


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    zh: str = ""
    en: str = ""


@functools.lru_cache(maxsize=1)
def code_revision() -> str | None:
    """The migration head this code needs (read from the migration files once)."""
    return migrate.head_revision()


def check_readiness(make_uow: UnitOfWorkFactory, *, backlog_limit: int) -> list[Check]:
    """Database, migrations, outbox backlog; later checks are skipped when the database is
    down (they would only say so again)."""
    try:
        with make_uow() as uow:
            uow.repo(OpsRepo).ping()
    except Exception as exc:  # any failure to connect or answer: not ready, never a 500
        log.warning("ops.not_ready", check="database", error=type(exc).__name__)
        return [Check("database", False, "数据库无法连接", "the database does not answer")]
    checks = [Check("database", True)]
    current, head = migrate.current_revision(make_uow.engine), code_revision()
    if current != head:
        checks.append(
            Check(
                "migrations",
                False,
                f"数据库结构版本为 {current or '空'},程序需要 {head}:请运行 voucherbridge migrate",
                f"the schema is at {current or 'nothing'}, the code needs {head}: "
                "run `voucherbridge migrate`",
            )
        )
    else:
        checks.append(Check("migrations", True))
    with make_uow() as uow:
        backlog = uow.repo(OpsRepo).outbox_backlog()
    if backlog > backlog_limit:
        checks.append(
            Check(
                "outbox",
                False,
                f"待同步消息 {backlog} 条,超过上限 {backlog_limit} 条:请检查同步任务 (worker)",
                f"{backlog} outbox rows wait for delivery, more than the limit of "
                f"{backlog_limit}: check the outbox workers",
            )
        )
    else:
        checks.append(Check("outbox", True))
    return checks
