"""Table-QR self-pay: a store's tables with their QR token, and the online payments of bills

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 17:00:00

`store_tables` is one row per table of a store (桌号 like A3) with a random unguessable `token`
that its printed QR carries (`/wx/t/{token}`); a disabled table's QR opens nothing.
`online_payments` is one WeChat Pay JSAPI order per attempt to pay a bill's due from the phone:
its unique `out_trade_no`, the amount asked (fen), the payer's openid, the prepay id, the status
(created -> paid, or refund_due when the bill was settled some other way first), WeChat's
`transaction_id` (unique: a replayed notify finds its row) and when it was paid.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "store_tables",
        sa.Column("id", ID, primary_key=True),
        sa.Column("merchant_id", sa.BigInteger(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("store_id", sa.BigInteger(), sa.ForeignKey("stores.id"), nullable=False),
        sa.Column("table_no", sa.String(32), nullable=False),
        sa.Column("token", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("token", name="uq_store_tables_token"),
        sa.UniqueConstraint("store_id", "table_no", name="uq_store_tables_store_table"),
    )
    op.create_index("ix_store_tables_merchant_id", "store_tables", ["merchant_id"])
    op.create_table(
        "online_payments",
        sa.Column("id", ID, primary_key=True),
        sa.Column("merchant_id", sa.BigInteger(), sa.ForeignKey("merchants.id"), nullable=False),
        sa.Column("store_id", sa.BigInteger(), sa.ForeignKey("stores.id"), nullable=False),
        sa.Column("order_id", sa.BigInteger(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("table_no", sa.String(32), nullable=False),
        sa.Column("out_trade_no", sa.String(32), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("openid", sa.String(128), nullable=False),
        sa.Column("prepay_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("transaction_id", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_online_payments_amount_positive")),
        sa.CheckConstraint(
            "status in ('created', 'paid', 'refund_due')",
            name=op.f("ck_online_payments_status_known"),
        ),
        sa.UniqueConstraint("out_trade_no", name="uq_online_payments_out_trade_no"),
        sa.UniqueConstraint("transaction_id", name="uq_online_payments_transaction_id"),
    )
    op.create_index("ix_online_payments_merchant_id", "online_payments", ["merchant_id"])
    op.create_index("ix_online_payments_order_id", "online_payments", ["order_id"])
    op.create_index(
        "ix_online_payments_store_status", "online_payments", ["store_id", "status", "id"]
    )


def downgrade() -> None:
    op.drop_table("online_payments")
    op.drop_table("store_tables")
