"""An index for how every platform callback finds its store: bindings (platform, store id)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 23:30:00

A callback (a purchase push, an SPI call, a webhook) names the platform's store; the binding
behind it was found by reading every binding, one per store and platform: a chain of 1,000
stores on three platforms read 3,000 rows per callback (issue #20).
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bindings_platform_store", "bindings", ["platform", "platform_store_id"])


def downgrade() -> None:
    op.drop_index("ix_bindings_platform_store", table_name="bindings")
