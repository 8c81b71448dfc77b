"""reconciliation runs and their lines

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 09:30:00

A run compares our redemptions of one store, platform and day with the platform's statement
and is kept whole (its lines beside it); the nightly job claims each merchant's day in
reconciliation_nightly so that two worker processes never run it twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = sa.DateTime(timezone=True)


def _merchant(table: str) -> sa.Column[int]:
    return sa.Column(
        "merchant_id",
        _ID,
        sa.ForeignKey("merchants.id", name=f"fk_{table}_merchant_id_merchants"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _merchant("reconciliation_runs"),
        sa.Column(
            "store_id",
            _ID,
            sa.ForeignKey("stores.id", name="fk_reconciliation_runs_store_id_stores"),
            nullable=False,
        ),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("started_at", _AT, nullable=False),
        sa.Column("finished_at", _AT, nullable=False),
        sa.Column("ours_fen", _ID, nullable=False),
        sa.Column("theirs_fen", _ID, nullable=False),
        sa.Column("difference_fen", _ID, nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("theirs_only", sa.Integer(), nullable=False),
        sa.Column("ours_only", sa.Integer(), nullable=False),
        sa.Column("amount_differs", sa.Integer(), nullable=False),
        sa.Column("status_differs", sa.Integer(), nullable=False),
        sa.CheckConstraint("source in ('api', 'csv')", name="ck_reconciliation_runs_source_known"),
    )
    op.create_index("ix_reconciliation_runs_merchant_id", "reconciliation_runs", ["merchant_id"])
    op.create_index(
        "ix_reconciliation_runs_merchant_day", "reconciliation_runs", ["merchant_id", "day"]
    )
    op.create_table(
        "reconciliation_lines",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id",
            _ID,
            sa.ForeignKey(
                "reconciliation_runs.id",
                name="fk_reconciliation_lines_run_id_reconciliation_runs",
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("ours_fen", _ID),
        sa.Column("theirs_fen", _ID),
        sa.Column("ours_status", sa.String(16)),
        sa.Column("theirs_status", sa.String(16)),
        sa.Column("ours_at", _AT),
        sa.Column("theirs_at", _AT),
        sa.Column("redemption_id", sa.String(40)),
        sa.Column("platform_ref", sa.String(200)),
    )
    op.create_index("ix_reconciliation_lines_run_id", "reconciliation_lines", ["run_id"])
    op.create_table(
        "reconciliation_nightly",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        _merchant("reconciliation_nightly"),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("claimed_at", _AT, nullable=False),
        sa.Column("finished_at", _AT),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.UniqueConstraint("merchant_id", "day", name="uq_reconciliation_nightly_merchant_day"),
    )
    op.create_index(
        "ix_reconciliation_nightly_merchant_id", "reconciliation_nightly", ["merchant_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_reconciliation_nightly_merchant_id", table_name="reconciliation_nightly")
    op.drop_table("reconciliation_nightly")
    op.drop_index("ix_reconciliation_lines_run_id", table_name="reconciliation_lines")
    op.drop_table("reconciliation_lines")
    op.drop_index("ix_reconciliation_runs_merchant_day", table_name="reconciliation_runs")
    op.drop_index("ix_reconciliation_runs_merchant_id", table_name="reconciliation_runs")
    op.drop_table("reconciliation_runs")
