"""我的优惠: find a consumer's codes by their openid

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 17:00:00

The consumer's page lists the codes whose order was bought by their openid within one merchant
(`code_orders.buyer_openid`, stored since the first schema): an index on (merchant_id,
buyer_openid) so that page is a lookup, not a scan of every order of the merchant.
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_code_orders_merchant_buyer", "code_orders", ["merchant_id", "buyer_openid"])


def downgrade() -> None:
    op.drop_index("ix_code_orders_merchant_buyer", table_name="code_orders")
