"""The tables the code declares (db/tables.py) are the tables the migrations build, on both
backends: an index or a column added to one and not the other fails here (alembic's own
comparison of a migrated database with the metadata)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from voucherbridge.db.tables import metadata


def test_the_migrated_schema_is_the_declared_one(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
