"""platform messages we have acted on, with the answer we gave

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 01:45:00

A platform resends what it thinks we missed, and an attacker may replay what they captured:
the same message id, or the same order and action under a new id, is answered from here with
the first answer and never acted on twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("action_key", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=True),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "platform", "action_key", name="uq_inbound_messages_platform_action_key"
        ),
        sa.UniqueConstraint(
            "platform", "message_id", name="uq_inbound_messages_platform_message_id"
        ),
    )


def downgrade() -> None:
    op.drop_table("inbound_messages")
