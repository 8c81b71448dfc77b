"""Consumer notifications: WeChat official-account templates and sent messages

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 14:30:00

`notification_templates` holds each merchant's WeChat template per event (issued, redeemed,
reversed, checkout, expiring): the template id and its field mapping (template key -> one of
our values). `notifications` is one row per message queued for a consumer (the buyer's openid,
from `code_orders.buyer_openid`), its status as the worker learns it (queued, sent, refused,
waiting_quota, skipped, failed); its unique `dedupe_key` is also the claim that makes the
expiring-in-3-days reminder go out once per code across worker processes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_templates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("merchant_id", sa.BigInteger(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("template_id", sa.String(128), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("merchant_id", "event", name="uq_notification_templates_event"),
    )
    op.create_index(
        "ix_notification_templates_merchant_id", "notification_templates", ["merchant_id"]
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("merchant_id", sa.BigInteger(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("dedupe_key", sa.String(160), nullable=False),
        sa.Column("code_id", sa.BigInteger(), sa.ForeignKey("codes.id"), nullable=True),
        sa.Column("code_masked", sa.String(64), nullable=False),
        sa.Column("openid", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dedupe_key", name="uq_notifications_dedupe_key"),
    )
    op.create_index("ix_notifications_merchant_id", "notifications", ["merchant_id"])
    op.create_index("ix_notifications_merchant_id_desc", "notifications", ["merchant_id", "id"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("notification_templates")
