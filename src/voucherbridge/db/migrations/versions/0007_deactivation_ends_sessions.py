"""merchants can be deactivated; a cashier's web terminal knows its user

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00

Every request re-checks, in the one query that resolves a terminal key, that the terminal's
store and merchant are active and, for a cashier's web terminal, that its user is. Web
terminals issued before this revision are tied to their user by the name the cashier page gave
them ("网页收银台 · {username}", unique per merchant as usernames are unique).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WEB_TERMINAL_PREFIX = "网页收银台 · "


def upgrade() -> None:
    # Both columns are added in place, never by batch mode's copy-and-move: on SQLite that
    # drops and recreates the table, which foreign_keys=ON (the app's engine, `voucherbridge
    # migrate`) refuses for tables every other table references. The literal default keeps
    # SQLite's ADD COLUMN in place ('1' is true on both backends).
    op.add_column(
        "merchants", sa.Column("active", sa.Boolean(), server_default="1", nullable=False)
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place (its default is NULL).
        op.execute(
            "ALTER TABLE terminals ADD COLUMN user_id INTEGER"
            " CONSTRAINT fk_terminals_user_id_users REFERENCES users (id)"
        )
    else:
        op.add_column("terminals", sa.Column("user_id", _ID, nullable=True))
        op.create_foreign_key(
            op.f("fk_terminals_user_id_users"), "terminals", "users", ["user_id"], ["id"]
        )
    op.create_index(op.f("ix_terminals_user_id"), "terminals", ["user_id"], unique=False)
    op.execute(
        sa.text(
            "UPDATE terminals SET user_id = ("
            " SELECT users.id FROM users"
            " WHERE users.merchant_id = terminals.merchant_id"
            " AND terminals.name = CAST(:prefix AS VARCHAR(100)) || users.username"
            ") WHERE user_id IS NULL"
        ).bindparams(prefix=WEB_TERMINAL_PREFIX)
    )


def downgrade() -> None:
    # Batch mode here (SQLite cannot drop a column that references another table in place).
    op.drop_index(op.f("ix_terminals_user_id"), table_name="terminals")
    with op.batch_alter_table("terminals", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_terminals_user_id_users"), type_="foreignkey")
        batch_op.drop_column("user_id")
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.drop_column("active")
