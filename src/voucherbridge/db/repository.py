"""Shared base of the SQL repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from voucherbridge.db import statements as st


class Repository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _insert(self, table: Any, values: dict[str, Any]) -> int:
        return int(st.insert_returning_id(table).run(self.conn, values).scalar_one())
