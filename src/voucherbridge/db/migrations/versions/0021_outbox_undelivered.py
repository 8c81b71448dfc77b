"""An index of the outbox rows still to deliver, the longest due first

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 21:45:00

A worker claimed due rows `ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED`. With no index that
holds only the rows still to deliver, PostgreSQL walked the primary key from the first row
ever queued and filtered out every delivered one: 4.3 ms a claim at 20,000 delivered rows,
growing with the history (issue #20: found with a worker running beside the redeem bench).
In id order a claim would also step over every row waiting on a retry (a platform that is
down), so the claim now takes the longest-due rows first: `ORDER BY next_attempt_at, id`,
from a partial index (both backends) of the pending and in-flight rows only. An in-flight
row was due when it was claimed, so it sits inside the due range too.

On PostgreSQL the outbox is also vacuumed and analyzed after every few thousand changed rows
instead of a fifth of the table: each delivery leaves dead row versions at the start of that
index, and with a history of millions of rows the default waits for hundreds of thousands.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UNDELIVERED = "status IN ('pending', 'inflight')"
# A queue table: cleaned after a fixed number of changes, whatever the size of its history.
AUTOVACUUM = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "5000",
    "autovacuum_analyze_scale_factor": "0",
    "autovacuum_analyze_threshold": "5000",
}


def upgrade() -> None:
    op.create_index(
        "ix_outbox_undelivered_due",
        "outbox",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text(UNDELIVERED),
        sqlite_where=sa.text(UNDELIVERED),
    )
    if op.get_bind().dialect.name == "postgresql":
        options = ", ".join(f"{name} = {value}" for name, value in AUTOVACUUM.items())
        op.execute(f"ALTER TABLE outbox SET ({options})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE outbox RESET ({', '.join(AUTOVACUUM)})")
    op.drop_index("ix_outbox_undelivered_due", table_name="outbox")
