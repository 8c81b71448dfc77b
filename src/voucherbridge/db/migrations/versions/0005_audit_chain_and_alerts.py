"""hash-chained audit log, guess counting, store opening hours

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:30:00
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DEMO_OPENING_HOURS = "10:00-22:00"

# PostgreSQL refuses to change or remove audit rows; the hash chain still exposes whoever
# drops this trigger first (a superuser), so the trigger is a fence, not the proof.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
"""

_audit = sa.table(
    "audit_log",
    sa.column("id", sa.BigInteger()),
    sa.column("merchant_id", sa.BigInteger()),
    sa.column("store_id", sa.BigInteger()),
    sa.column("seq", sa.BigInteger()),
    sa.column("actor_type", sa.String()),
    sa.column("actor_id", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)
# The chain's hash as it was defined when this migration was written: frozen here, so a later
# change of domain/audit_chain.py cannot change what this migration computes.
GENESIS = "0" * 64
HASHED_FIELDS = (
    "merchant_id",
    "store_id",
    "seq",
    "actor_type",
    "actor_id",
    "action",
    "subject",
    "before",
    "after",
    "at",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    return value


def hash_row(fields: dict[str, Any], prev_hash: str) -> str:
    picked = {name: _plain(fields.get(name)) for name in HASHED_FIELDS}
    plain = json.loads(json.dumps(picked, ensure_ascii=False, default=str))
    text = json.dumps(plain, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + text).encode()).hexdigest()


_heads = sa.table(
    "audit_chain_heads",
    sa.column("chain_id", sa.BigInteger()),
    sa.column("last_seq", sa.BigInteger()),
    sa.column("last_hash", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("store_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_log_store_id"), ["store_id"], unique=False)
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", name=op.f("pk_audit_chain_heads")),
    )
    op.create_table(
        "code_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("merchant_id", sa.BigInteger(), nullable=False),
        sa.Column("store_id", sa.BigInteger(), nullable=False),
        sa.Column("terminal_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_attempts")),
    )
    op.create_index("ix_code_attempts_store_at", "code_attempts", ["store_id", "at"])
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "opening_hours",
                sa.String(length=100),
                nullable=True,
                server_default=DEMO_OPENING_HOURS,
            )
        )
    _chain_existing_rows(op.get_bind())
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def _chain_existing_rows(conn: sa.Connection) -> None:
    """Rows written before the chain existed are chained now, so verify starts green."""
    heads: dict[int, tuple[int, str]] = {}
    rows = conn.execute(sa.select(_audit).order_by(_audit.c.id)).mappings().all()
    for row in rows:
        chain = int(row["merchant_id"] or 0)
        seq, prev = heads.get(chain, (0, GENESIS))
        fields: dict[str, Any] = {**row, "seq": seq + 1}
        digest = hash_row(fields, prev)
        conn.execute(
            sa.update(_audit)
            .where(_audit.c.id == row["id"])
            .values(seq=seq + 1, prev_hash=prev, row_hash=digest)
        )
        heads[chain] = (seq + 1, digest)
    for chain, (seq, digest) in heads.items():
        conn.execute(sa.insert(_heads).values(chain_id=chain, last_seq=seq, last_hash=digest))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("stores", schema=None) as batch_op:
        batch_op.drop_column("opening_hours")
    op.drop_index("ix_code_attempts_store_at", table_name="code_attempts")
    op.drop_table("code_attempts")
    op.drop_table("audit_chain_heads")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_store_id"))
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("store_id")
