"""indexes for the reports and the keyset-paginated archive

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:30:00

The reports aggregate one merchant's codes by sale time and its redemptions by use and by
reversal time; the archive and the lists walk one merchant's rows by id, newest first (keyset).
Each of those reads gets an index that starts with the merchant, so a chain's report never
scans another tenant's rows and a deep page costs the same as the first.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_INDEXES: tuple[tuple[str, str, list[str]], ...] = (
    ("ix_codes_merchant_id_desc", "codes", ["merchant_id", "id"]),
    ("ix_codes_merchant_issued_at", "codes", ["merchant_id", "issued_at"]),
    ("ix_codes_merchant_status_id", "codes", ["merchant_id", "status", "id"]),
    ("ix_redemptions_merchant_reversed_at", "redemptions", ["merchant_id", "reversed_at"]),
    ("ix_redemptions_store_redeemed_at", "redemptions", ["store_id", "redeemed_at"]),
    ("ix_redemptions_merchant_id_desc", "redemptions", ["merchant_id", "id"]),
    ("ix_orders_merchant_id_desc", "orders", ["merchant_id", "id"]),
    ("ix_orders_merchant_opened_at", "orders", ["merchant_id", "opened_at"]),
)


def upgrade() -> None:
    for name, table, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
