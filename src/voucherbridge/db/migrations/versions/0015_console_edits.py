"""Console edits: store opening hours, disabling listings and templates

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:30:00

No schema change: every column these edits need exists already (stores.opening_hours and
active, items.active, listings.active, voucher_templates.active; a till is disabled and enabled
again through terminals.revoked_at). The revision keeps the chain 0014 -> 0015 -> 0016 whole.
"""

from __future__ import annotations

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
