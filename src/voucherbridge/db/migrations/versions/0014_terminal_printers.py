"""A terminal's network receipt printer

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 14:30:00

Each till may name the store's network receipt printer (小票机) it prints to: `printer_host`
(a host name or IPv4 address; NULL: no printer), `printer_port` (raw ESC/POS over TCP, usually
9100) and `printer_width_mm` (58 or 80 mm paper). Set in the console or the admin API; the
Terminal API's `POST /api/v1/orders/{id}/receipt/print` sends the receipt there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("terminals") as batch:
        batch.add_column(sa.Column("printer_host", sa.String(253), nullable=True))
        batch.add_column(sa.Column("printer_port", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("printer_width_mm", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("terminals") as batch:
        batch.drop_column("printer_width_mm")
        batch.drop_column("printer_port")
        batch.drop_column("printer_host")
