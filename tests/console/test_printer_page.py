"""The console's 小票打印机 field of a till (issue 18, point 7): set, refuse, clear, on SQLite and
PostgreSQL, through the pages as a browser posts them."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.helpers import ADMIN_API, console_login, csrf_in, demo_admin_headers

HQ = ("admin", "hotpot-hq-demo")


def _till(client: Any, demo: dict[str, Any]) -> int:
    hq = demo_admin_headers(client, demo)
    stores = {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()}
    tills = client.get(f"{ADMIN_API}/terminals", headers=hq).json()
    return int(next(t["id"] for t in tills if t["store_id"] == stores["皇岗店"]))


def _row(page: str, till: int) -> str:
    """The printer cell of the till's row in the terminal list, as text."""
    link = f'<a href="/console/terminals/{till}/printer"'
    match = re.search(rf'<td class="printer">(.*?){link}', page, re.S)
    assert match, "the terminal row links to its printer page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _message(page: str, field: str) -> str:
    match = re.search(rf'data-field="{field}">([^<]*)<', page)
    assert match, f"no message next to {field}"
    return html.unescape(match.group(1))


def test_hq_sets_the_printer_of_a_till_and_the_list_shows_it(
    client: Any, demo: dict[str, Any]
) -> None:
    till = _till(client, demo)
    console_login(client, *HQ)
    listed = client.get("/console/terminals").text
    assert "小票打印机" in listed
    assert _row(listed, till) == "未设置"

    form = client.get(f"/console/terminals/{till}/printer")
    assert form.status_code == 200
    assert "小票打印机 地址" in form.text
    assert "纸宽" in form.text
    saved = client.post(
        f"/console/terminals/{till}/printer",
        data={
            "csrf": csrf_in(form.text),
            "printer_host": "１９２.１６８.１.５０",  # typed with a full-width IME
            "printer_port": "9100",
            "printer_width_mm": "58",
            "action": "save",
        },
        follow_redirects=False,
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/console/terminals")
    assert _row(client.get("/console/terminals").text, till) == "192.168.1.50 · 58mm"
    again = client.get(f"/console/terminals/{till}/printer").text
    assert 'value="192.168.1.50"' in again

    cleared = client.post(
        f"/console/terminals/{till}/printer",
        data={"csrf": csrf_in(again), "action": "clear"},
        follow_redirects=False,
    )
    assert cleared.status_code == 303
    assert _row(client.get("/console/terminals").text, till) == "未设置"


def test_a_bad_address_comes_back_with_a_chinese_message_and_what_was_typed(
    client: Any, demo: dict[str, Any]
) -> None:
    till = _till(client, demo)
    console_login(client, *HQ)
    csrf = csrf_in(client.get(f"/console/terminals/{till}/printer").text)
    cases = [
        ({"printer_host": "192.168.1.300"}, "printer_host", "小票机地址有误"),
        ({"printer_host": "192.168.1.50", "printer_port": "91OO"}, "printer_port", "小票机端口"),
        ({"printer_host": "192.168.1.50", "printer_width_mm": "76"}, "printer_width_mm", "纸宽"),
    ]
    for typed, field, words in cases:
        refused = client.post(
            f"/console/terminals/{till}/printer", data={"csrf": csrf, "action": "save", **typed}
        )
        assert refused.status_code == 400, (typed, refused.status_code)
        assert _message(refused.text, field).startswith(words), typed
        assert f'value="{typed["printer_host"]}"' in refused.text  # the typed host is kept
    assert _row(client.get("/console/terminals").text, till) == "未设置"  # nothing was saved


def test_the_page_speaks_english_too(client: Any, demo: dict[str, Any]) -> None:
    till = _till(client, demo)
    console_login(client, *HQ)
    page = client.get(f"/console/terminals/{till}/printer", headers={"Accept-Language": "en"})
    assert "Receipt printer address" in page.text
    assert "Paper width" in page.text


def test_a_store_manager_sets_their_own_till_but_not_another_stores(
    client: Any, demo: dict[str, Any]
) -> None:
    hq = demo_admin_headers(client, demo)
    stores = {s["name"]: s["id"] for s in client.get(f"{ADMIN_API}/stores", headers=hq).json()}
    tills = {
        t["store_id"]: t["id"] for t in client.get(f"{ADMIN_API}/terminals", headers=hq).json()
    }
    own, other = tills[stores["皇岗店"]], tills[stores["福田店"]]
    manager = demo["store_manager"]
    console_login(client, manager["user"], manager["password"])
    csrf = csrf_in(client.get(f"/console/terminals/{own}/printer").text)
    body = {"csrf": csrf, "printer_host": "10.0.0.8", "action": "save"}
    ok = client.post(f"/console/terminals/{own}/printer", data=body, follow_redirects=False)
    assert ok.status_code == 303
    refused = client.post(f"/console/terminals/{other}/printer", data=body)
    assert refused.status_code == 403
    assert "没有权限执行此操作" in refused.text
    printer = client.get(f"{ADMIN_API}/terminals/{other}/printer", headers=hq).json()
    assert printer["host"] is None
