"""open bills held at the till: an index for a store's open orders

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 14:30:00

The cashier page lists its store's open bills (挂单/取单, GET /api/v1/orders?status=open) every
time a cashier looks for one; the index starts with the store and the status, so the list reads
only the store's open rows however many closed bills the store has kept.
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_orders_store_status_opened_at",
        "orders",
        ["store_id", "status", "opened_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_orders_store_status_opened_at", table_name="orders")
