"""`voucherbridge migrate` shows its progress one revision at a time (a migration on a big
database takes a while); an up-to-date database has nothing pending."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from voucherbridge.db import migrate


def test_each_pending_revision_is_reported_as_it_is_applied(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    pending = migrate.pending_revisions(engine)
    assert pending[0] == "0001"
    assert pending[-1] == migrate.head_revision()

    applied: list[str] = []
    migrate.upgrade(engine, on_step=applied.append)

    assert applied == pending
    assert migrate.pending_revisions(engine) == []
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
