"""the redeem path's schema: audit chain lanes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 09:30:00

A merchant's audit chain had one head row that every append locked until commit, so every
redemption of a merchant queued on it. The chain becomes a few lanes, each an independent hash
chain with a head row of its own; an append takes a lane no other transaction holds. Existing
rows and heads become lane 0 unchanged (the lane is not part of a row's hash), so every chain
written before keeps verifying.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lane", sa.Integer(), nullable=False, server_default="0"))
    if op.get_bind().dialect.name == "postgresql":
        op.add_column(
            "audit_chain_heads",
            sa.Column(
                "lane", sa.Integer(), autoincrement=False, nullable=False, server_default="0"
            ),
        )
        op.drop_constraint("pk_audit_chain_heads", "audit_chain_heads", type_="primary")
        op.create_primary_key("pk_audit_chain_heads", "audit_chain_heads", ["chain_id", "lane"])
        return
    # SQLite cannot change a primary key in place: the table is rebuilt with its rows.
    with op.batch_alter_table("audit_chain_heads", recreate="always") as batch_op:
        batch_op.add_column(
            sa.Column("lane", sa.Integer(), autoincrement=False, nullable=False, server_default="0")
        )
        batch_op.drop_constraint("pk_audit_chain_heads", type_="primary")
        batch_op.create_primary_key("pk_audit_chain_heads", ["chain_id", "lane"])


def downgrade() -> None:
    # Only lane 0 survives a downgrade; a chain that used more lanes no longer verifies then.
    op.execute("DELETE FROM audit_chain_heads WHERE lane <> 0")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("pk_audit_chain_heads", "audit_chain_heads", type_="primary")
        op.drop_column("audit_chain_heads", "lane")
        op.create_primary_key("pk_audit_chain_heads", "audit_chain_heads", ["chain_id"])
    else:
        with op.batch_alter_table("audit_chain_heads", recreate="always") as batch_op:
            batch_op.drop_constraint("pk_audit_chain_heads", type_="primary")
            batch_op.drop_column("lane")
            batch_op.create_primary_key("pk_audit_chain_heads", ["chain_id"])
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_column("lane")
