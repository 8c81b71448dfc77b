"""failed sign-ins counted per account (password guessing lock-out)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("account_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index("ix_sign_in_failures_account_at", "sign_in_failures", ["account_hash", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_account_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
