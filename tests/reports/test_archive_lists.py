"""The archive (票券档案) and the orders and redemptions lists through the admin API: walking
every page (no duplicate, no gap), filters, each code's history, bad cursors, scope."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import func, select

from voucherbridge.bootstrap import Container
from voucherbridge.db import tables as t

API = "/api/admin/v1"


def _walk(client: Any, headers: dict[str, str], path: str, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(1000):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"{API}{path}", headers=headers, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["report"]["rows"]) <= int(params.get("limit", 50))
        rows.extend(page["report"]["rows"])
        cursor = page["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("the pages never end")


def _count(container: Container, table: Any) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_walking_the_archive_sees_every_code_once_newest_first(
    client: Any, world: dict[str, Any], container: Container
):
    rows = _walk(client, world["hq"], "/codes", limit=3)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == _count(container, t.codes)
    assert ids == sorted(ids, reverse=True)


def test_archive_filters_and_history(client: Any, world: dict[str, Any]):
    hq, codes, stores = world["hq"], world["codes"], world["stores"]
    span = {"from": "2027-03-01", "to": "2027-03-02"}
    mall = _walk(client, hq, "/codes", platform="weimall", limit=2, **span)
    assert {r["code"] for r in mall} == set(codes)
    used = _walk(client, hq, "/codes", status="redeemed", store_id=stores["福田店"], **span)
    assert [r["code"] for r in used] == [codes[1]]
    assert used[0]["store"] == "福田店"
    [found] = _walk(client, hq, "/codes", prefix=codes[2].lower())
    assert found["status"] == "issued"  # used on day 2 and reversed: usable again
    assert "发券" in found["history"]
    assert "核销" in found["history"]
    assert "撤销" in found["history"]
    mt = _walk(client, hq, "/codes", platform="meituan", **span)
    assert [r["code"] for r in mt] == [world["mt_code"]]
    assert _walk(client, hq, "/codes", listing_id=world["cash_listing_id"], **span) == mall


def test_orders_and_redemptions_lists_page_and_filter(client: Any, world: dict[str, Any]):
    hq, stores = world["hq"], world["stores"]
    redemptions = _walk(client, hq, "/redemptions", limit=1, **{"from": "2027-03-01"})
    assert len(redemptions) == 4
    assert {r["status"] for r in redemptions} == {"active", "reversed"}
    [reversed_one] = _walk(client, hq, "/redemptions", status="reversed")
    assert reversed_one["code"] == world["codes"][2]
    assert reversed_one["reversed_at"]
    day2 = _walk(client, hq, "/redemptions", **{"from": "2027-03-02", "to": "2027-03-02"})
    assert [r["code"] for r in day2] == [world["codes"][2]]
    orders = _walk(
        client, hq, "/orders", limit=2, store_id=stores["皇岗店"], **{"from": "2027-03-01"}
    )
    assert len(orders) == 3
    assert {o["store"] for o in orders} == {"皇岗店"}


def test_a_manager_lists_their_store_and_is_refused_another(client: Any, world: dict[str, Any]):
    manager, stores = world["manager"], world["stores"]
    mine = _walk(client, manager, "/redemptions")
    assert {r["store"] for r in mine} == {"皇岗店"}
    codes = {r["code"] for r in _walk(client, manager, "/codes", **{"from": "2027-03-01"})}
    assert codes == {world["codes"][0], world["codes"][2], world["mt_code"]}
    for path in ("/codes", "/orders", "/redemptions"):
        other = client.get(f"{API}{path}", headers=manager, params={"store_id": stores["福田店"]})
        assert other.status_code == 403, other.text
        assert other.json()["error"]["code"] == "forbidden"


def test_a_managers_code_lookup_reaches_what_their_archive_lists(
    client: Any, world: dict[str, Any]
):
    """c1 was used at 福田店 only: the 皇岗店 manager cannot open it by its code either."""
    manager, hq = world["manager"], world["hq"]
    mine = client.get(f"{API}/codes/{world['codes'][0]}", headers=manager)
    assert mine.status_code == 200, mine.text
    assert mine.json()["status"] == "redeemed"
    theirs = client.get(f"{API}/codes/{world['codes'][1]}", headers=manager)
    assert theirs.status_code == 404, theirs.text
    assert theirs.json()["error"]["code"] == "voucher_not_found"
    assert client.get(f"{API}/codes/{world['codes'][1]}", headers=hq).status_code == 200


@pytest.mark.parametrize(
    "cursor",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"id:-4").decode(),
        base64.urlsafe_b64encode(b"id:abc").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        base64.urlsafe_b64encode(b"offset:10").decode(),
        base64.urlsafe_b64encode(b"id:99999999999999999999999").decode(),
    ],
)
def test_a_bad_cursor_is_a_validation_error(client: Any, world: dict[str, Any], cursor: str):
    for path in ("/codes", "/orders", "/redemptions"):
        response = client.get(f"{API}{path}", headers=world["hq"], params={"cursor": cursor})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["code"], error["details"]["field"]) == ("validation_error", "cursor")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"platform": "taobao"}, "platform"),
        ({"from": "yesterday"}, "from"),
        ({"from": "2027-03-02", "to": "2027-03-01"}, "from"),
        ({"format": "docx"}, "format"),
    ],
)
def test_bad_list_filters_name_the_field(
    client: Any, world: dict[str, Any], params: dict[str, str], field: str
):
    response = client.get(f"{API}/codes", headers=world["hq"], params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["field"] == field
