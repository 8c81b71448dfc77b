"""Douyin is one app that each merchant authorizes; its token is shared by every process

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:00:00

A Douyin binding used to carry a client secret of its own; Douyin has one app (our client
key and secret, in the settings) that a merchant authorizes for its account and POIs. The
binding now records the authorizing account (`account_id`, empty when Douyin resolves it from
the POI); the secrets that Douyin bindings carried are no longer read. `platform_tokens` holds
the app's access token (sealed) so that every API and worker process uses one token instead of
each fetching its own: Douyin keeps only the latest two alive.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bindings", sa.Column("account_id", sa.String(64), nullable=True))
    op.create_table(
        "platform_tokens",
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("app_key", sa.String(128), primary_key=True),
        sa.Column("token_sealed", sa.Text(), nullable=False),
        sa.Column("renew_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("platform_tokens")
    with op.batch_alter_table("bindings") as batch:
        batch.drop_column("account_id")
