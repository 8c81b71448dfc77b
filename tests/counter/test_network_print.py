"""打印小票 to the store's network receipt printer (issue 18, point 7), on SQLite and PostgreSQL.

A thread listening on 127.0.0.1 plays the printer (raw TCP, as on port 9100) and keeps the
bytes; the checks read them: ESC @ first, the shop and the 抵扣 amount in GB18030 as the
renderer encodes them, the paper cut last. A port nobody listens on is the printer switched off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.counter._printer import Listener, closed_port, printer_listener
from tests.factories import make_merchant
from tests.helpers import (
    ADMIN_API,
    admin_headers,
    demo_admin_headers,
    must_redeem,
    terminal_headers,
)
from voucherbridge.bootstrap import Container
from voucherbridge.chain.users import create_user
from voucherbridge.core.actor import Actor

Order = Callable[..., dict[str, Any]]
INIT, CUT = b"\x1b@", b"\x1dV"


def _till(client: Any, hq: dict[str, str], demo: dict[str, Any], store: str = "皇岗店") -> int:
    """The id of the demo till whose key is `demo["terminal_keys"][store]`."""
    stores = {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()}
    tills = [
        t
        for t in client.get(f"{ADMIN_API}/terminals", headers=hq).json()
        if t["store_id"] == stores[store] and t["active"]
    ]
    assert len(tills) == 1, tills
    return int(tills[0]["id"])


def _set_printer(client: Any, hq: dict[str, str], till: int, **body: Any) -> Any:
    return client.put(f"{ADMIN_API}/terminals/{till}/printer", json=body, headers=hq)


def _closed_order(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
) -> tuple[int, dict[str, Any]]:
    """The seed's bill with a 100元 voucher on it, paid in cash: (order id, the redemption)."""
    order = new_order()
    redemption = must_redeem(client, auth, demo["codes"]["cash"][0], order["id"])
    paid = client.post(
        f"/api/v1/orders/{order['id']}/checkout",
        json={"tenders": [{"type": "cash", "amount_fen": 20000}]},
        headers=auth,
    )
    assert paid.status_code == 200, paid.text
    return int(order["id"]), redemption


def _print(client: Any, auth: dict[str, str], order_id: int, **headers: str) -> Any:
    return client.post(f"/api/v1/orders/{order_id}/receipt/print", headers={**auth, **headers})


def _receipt(client: Any, auth: dict[str, str], order_id: int, fmt: str, width: int = 80) -> Any:
    url = f"/api/v1/orders/{order_id}/receipt?format={fmt}&width={width}&preview=true"
    return client.get(url, headers=auth)


@pytest.fixture
def printer() -> Iterator[Listener]:
    """The store's receipt printer: a listener on 127.0.0.1 keeping every print job."""
    with printer_listener() as running:
        yield running


@pytest.fixture
def hq(client: Any, demo: dict[str, Any]) -> dict[str, str]:
    return demo_admin_headers(client, demo)


def test_the_receipt_reaches_the_printer_as_escpos_bytes(
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    new_order: Order,
    hq: Any,
    printer: Listener,
) -> None:
    till = _till(client, hq, demo)
    saved = _set_printer(client, hq, till, host=printer.host, port=printer.port, width_mm=58)
    assert saved.status_code == 200, saved.text
    order_id, redemption = _closed_order(client, auth, demo, new_order)

    sent = _print(client, auth, order_id)
    assert sent.status_code == 200, sent.text
    body = sent.json()
    assert body["printer"] == f"127.0.0.1:{printer.port}"
    assert (body["print_count"], body["width_mm"]) == (1, 58)
    [job] = printer.wait_for(1)
    assert body["bytes_sent"] == len(job)

    assert job.startswith(INIT)  # ESC @: the printer starts from its defaults
    assert b"\x1c&" in job[:16]  # FS &: Chinese mode before any text
    assert CUT in job[-8:]  # GS V: the paper is cut after the receipt
    text = _receipt(client, auth, order_id, "text", 58).text
    shop = text.splitlines()[0].strip()
    assert "右姑娘火锅" in shop
    assert shop.encode("gb18030") in job
    amount = f"{redemption['discount_fen'] // 100}.{redemption['discount_fen'] % 100:02d}"
    assert amount == "100.00"
    voucher_line = next(line for line in text.splitlines() if "票券" in line and amount in line)
    assert voucher_line.strip().encode("gb18030") in job  # 票券x1: 100.00, as GB18030
    assert "右姑娘".encode() not in job  # no UTF-8 leaking through
    # Byte for byte what the ESC/POS receipt route renders for this print (58 mm)
    assert job == _receipt(client, auth, order_id, "escpos", 58).content

    again = _print(client, auth, order_id)
    assert again.json()["print_count"] == 2  # 重打 counts as the receipt route does
    _, second = printer.wait_for(2)
    assert "第2次打印".encode("gb18030") in second
    counted = client.get(f"/api/v1/orders/{order_id}/receipt", headers=auth)
    assert "第3次打印" in counted.text


def test_a_printer_that_is_off_is_printer_unreachable_in_chinese_within_the_timeout(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order, hq: Any
) -> None:
    till = _till(client, hq, demo)
    port = closed_port()
    assert _set_printer(client, hq, till, host="127.0.0.1", port=port).status_code == 200
    order_id, _ = _closed_order(client, auth, demo, new_order)

    started = time.monotonic()
    refused = _print(client, auth, order_id)
    assert time.monotonic() - started < 3
    assert refused.status_code == 503, refused.text
    error = refused.json()["error"]
    assert error["code"] == "printer_unreachable"
    assert error["message"] == f"小票机无法连接 (127.0.0.1:{port}):请检查打印机电源和网线"
    english = _print(client, auth, order_id, **{"Accept-Language": "en"}).json()["error"]
    assert english["message"].startswith(f"Cannot reach the receipt printer (127.0.0.1:{port})")
    # Nothing printed, nothing counted: the next print is still the first
    assert "第1次打印" in client.get(f"/api/v1/orders/{order_id}/receipt", headers=auth).text


def test_a_till_without_a_printer_is_told_so(
    client: Any, auth: dict[str, str], demo: dict[str, Any], new_order: Order
) -> None:
    order_id, _ = _closed_order(client, auth, demo, new_order)
    response = _print(client, auth, order_id)
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "printer_not_configured"
    assert error["message"].startswith("未设置小票机")
    english = _print(client, auth, order_id, **{"Accept-Language": "en"}).json()["error"]
    assert english["message"].startswith("No receipt printer is set")


def test_another_stores_order_and_an_open_order_print_nothing(
    client: Any,
    auth: dict[str, str],
    demo: dict[str, Any],
    new_order: Order,
    hq: Any,
    printer: Listener,
) -> None:
    other = terminal_headers(demo["terminal_keys"]["福田店"])
    other_till = _till(client, hq, demo, "福田店")
    assert _set_printer(client, hq, other_till, host=printer.host, port=printer.port).is_success
    order_id, _ = _closed_order(client, auth, demo, new_order)

    stolen = _print(client, other, order_id)
    assert (stolen.status_code, stolen.json()["error"]["code"]) == (404, "order_not_found")
    still_open = new_order()
    own = _print(client, auth, still_open["id"])
    assert (own.status_code, own.json()["error"]["code"]) == (409, "order_not_closed")
    time.sleep(0.3)
    assert printer.jobs == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"host": "192.168.1.300"}, "printer_host_invalid"),
        ({"host": "http://192.168.1.50/"}, "printer_host_invalid"),
        ({"host": "192.168.1.50:9100"}, "printer_host_invalid"),
        ({"host": "169.254.169.254"}, "printer_host_invalid"),  # cloud metadata, never a printer
        ({"host": "-bad-.local"}, "printer_host_invalid"),
        ({"host": "192.168.1.50", "port": 0}, "printer_port_invalid"),
        ({"host": "192.168.1.50", "port": 70000}, "printer_port_invalid"),
        ({"host": "192.168.1.50", "width_mm": 76}, "printer_width_invalid"),
        ({"host": "", "port": 99999}, "printer_port_invalid"),  # a typo is never dropped
    ],
)
def test_the_admin_api_refuses_a_bad_printer_address_and_keeps_the_old_one(
    client: Any, demo: dict[str, Any], hq: Any, body: dict[str, Any], code: str
) -> None:
    till = _till(client, hq, demo)
    assert _set_printer(client, hq, till, host="192.168.1.50").status_code == 200
    refused = _set_printer(client, hq, till, **body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"] == code
    kept = client.get(f"{ADMIN_API}/terminals/{till}/printer", headers=hq).json()
    assert (kept["host"], kept["port"], kept["width_mm"]) == ("192.168.1.50", 9100, 80)


def test_the_admin_api_sets_clears_and_audits_the_printer(
    client: Any, demo: dict[str, Any], hq: Any
) -> None:
    till = _till(client, hq, demo)
    empty = client.get(f"{ADMIN_API}/terminals/{till}/printer", headers=hq).json()
    assert (empty["host"], empty["label"]) == (None, None)
    manager = demo_admin_headers(client, demo, "store_manager")  # 皇岗店's own manager
    typed = {"host": " ＰＲＩＮＴＥＲ-1.lan ", "port": 9101, "width_mm": 58}  # an IME's width
    saved = _set_printer(client, manager, till, **typed)
    assert saved.status_code == 200, saved.text
    assert saved.json()["label"] == "printer-1.lan:9101"
    assert _set_printer(client, hq, till, host="192.168.1.50").json()["label"] == "192.168.1.50"
    cleared = _set_printer(client, hq, till, host=None)
    assert (cleared.json()["host"], cleared.json()["port"]) == (None, None)

    audit = client.get(f"{ADMIN_API}/audit?action=terminal.printer", headers=hq).json()
    changes = audit["items"]
    assert len(changes) == 3
    assert {r["subject"] for r in changes} == {f"terminal:{till}"}
    hosts = sorted(str((r["before"] or {}).get("host")) for r in changes)
    assert hosts == ["192.168.1.50", "None", "printer-1.lan"]


def test_merchant_b_cannot_set_or_read_merchant_a_printers(
    client: Any, container: Container, demo: dict[str, Any], hq: Any
) -> None:
    till = _till(client, hq, demo)
    other = make_merchant(container)
    b_actor = Actor(0, other.merchant_id, "setup", "hq_admin", None)
    create_user(
        container.uow(write=True),
        actor=b_actor,
        username="b-hq",
        password="b-password-1",
        role="hq_admin",
        now=container.clock(),
    )
    b_hq = admin_headers(client, "b-hq", "b-password-1")
    for method in ("GET", "PUT"):
        response = client.request(
            method,
            f"{ADMIN_API}/terminals/{till}/printer",
            json={"host": "10.0.0.66"} if method == "PUT" else None,
            headers=b_hq,
        )
        assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    kept = client.get(f"{ADMIN_API}/terminals/{till}/printer", headers=hq).json()
    assert kept["host"] is None
