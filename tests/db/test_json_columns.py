"""JSON columns go through orjson (db/engine.py, issue #20) and keep what the standard library's
json gave: the same values back on both backends, dict keys as strings, text without the
spaces, and a value JSON has no type for (a time, a set) refused with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import StatementError

from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.engine import json_text

ITEM_CODES = t.voucher_templates.c.item_codes
_SET = Prepared(
    update(t.voucher_templates)
    .where(t.voucher_templates.c.id == bindparam("template_id"))
    .values(item_codes=bindparam("item_codes"))
)


def a_template(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.scalars(select(t.voucher_templates.c.id).order_by("id")).first())


def item_codes_of(container: Container, template_id: int) -> Any:
    with container.engine.connect() as conn:
        query = select(ITEM_CODES).where(t.voucher_templates.c.id == template_id)
        return conn.scalars(query).one()


def test_json_text_is_compact_and_keeps_chinese():
    assert json_text({"菜品": ["A1", 2], 3: None}) == '{"菜品":["A1",2],"3":null}'


@pytest.mark.parametrize("through", ["sqlalchemy", "prepared"])
def test_a_json_column_round_trips_and_refuses_what_json_cannot_say(
    container: Container, demo: dict[str, Any], through: str
):
    template_id = a_template(container)
    before = item_codes_of(container, template_id)

    def write(value: Any) -> None:
        with container.engine.begin() as conn:
            if through == "prepared":
                _SET.run(conn, {"template_id": template_id, "item_codes": value})
            else:
                query = update(t.voucher_templates).where(t.voucher_templates.c.id == template_id)
                conn.execute(query.values(item_codes=value))

    for refused in (datetime.now(UTC), {"A1"}):
        with pytest.raises((TypeError, StatementError)):
            write([refused])
        assert item_codes_of(container, template_id) == before

    write({"宫保鸡丁": [1, 2], 7: "七"})
    assert item_codes_of(container, template_id) == {"宫保鸡丁": [1, 2], "7": "七"}
