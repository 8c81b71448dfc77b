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
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

UNDELIVERED = "status IN ('pending', 'inflight')"


def upgrade() -> None:
    op.create_index(
        "ix_outbox_undelivered_due",
        "outbox",
        ["next_attempt_at", "id"],
        postgresql_where=sa.text(UNDELIVERED),
        sqlite_where=sa.text(UNDELIVERED),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_undelivered_due", table_name="outbox")
