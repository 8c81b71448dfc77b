"""outbox rows of one code are delivered in order

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 09:00:00

A reversal delivered before its use was refused ("not found") and went dead, then the use
arrived: the platform showed the code used while we showed it reversed. Each row now carries
an order key, "{destination}:{code}"; the worker claims a row only when no earlier row of its
key is still pending or in flight (see outbox/ordering.py). Rows queued before this revision get
their key from their payload, so a use and a reversal already waiting keep their order too.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BATCH = 1000


def _order_key(destination: str, payload: Any) -> str | None:
    # The rule of outbox/ordering.py, copied: a migration must not change when the code does.
    code = payload.get("code") if isinstance(payload, dict) else None
    return f"{destination}:{code}" if isinstance(code, str) and code else None


def upgrade() -> None:
    # Added in place (nullable, no default): batch mode would copy the table on SQLite.
    op.add_column("outbox", sa.Column("order_key", sa.String(100), nullable=True))
    op.create_index("ix_outbox_order_key_id", "outbox", ["order_key", "id"], unique=False)
    outbox = sa.table(
        "outbox",
        sa.column("id", _ID),
        sa.column("destination", sa.String()),
        sa.column("payload", sa.JSON()),
        sa.column("order_key", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.destination, outbox.c.payload).order_by(outbox.c.id)
    ).all()
    keyed = [
        {"row_id": r.id, "key": key}
        for r in rows
        if (key := _order_key(str(r.destination), r.payload)) is not None
    ]
    update = (
        sa.update(outbox)
        .where(outbox.c.id == sa.bindparam("row_id"))
        .values(order_key=sa.bindparam("key"))
    )
    for start in range(0, len(keyed), _BATCH):
        bind.execute(update, keyed[start : start + _BATCH])


def downgrade() -> None:
    op.drop_index("ix_outbox_order_key_id", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("order_key")
