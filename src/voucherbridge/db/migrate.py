"""Schema migrations with Alembic, and the start-up check that refuses an old schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaNotMigrated(RuntimeError):
    """The database is behind the code: run `voucherbridge migrate` first."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, on_step: Callable[[str], None] | None = None) -> None:
    """Bring the schema to the newest revision; ``on_step`` hears each revision applied."""
    config = alembic_config(str(engine.url))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        config.attributes["on_step"] = on_step
        command.upgrade(config, "head")


def pending_revisions(engine: Engine) -> list[str]:
    """The revisions an upgrade would apply, oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    current = current_revision(engine)
    steps = script.iterate_revisions("head", current)
    return [r.revision for r in reversed(list(steps))]


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_migrated(engine: Engine) -> None:
    """Refuse to serve on a database whose schema is not at the code's revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        raise SchemaNotMigrated(
            f"数据库未迁移 / database schema is at {current or 'nothing'}, code needs {head}: "
            f"run `voucherbridge migrate` (database: {where})"
        )
