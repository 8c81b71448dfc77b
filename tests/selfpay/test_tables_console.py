"""The console's 桌台与桌码 page, on both backends: HQ adds a range of tables, a table that
exists is not added twice, a bad range is refused in words, a table is disabled (its QR then
opens nothing); a manager of another store may not touch them; the A4 PDF carries the store's
name, 桌号 and 微信扫码 查看账单 自助买单 and QR codes that decode to each table's address."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ADMIN_API, console_login, csrf_in, demo_admin_headers

HQ = ("admin", "hotpot-hq-demo")


def _store_id(client: Any, demo: dict[str, Any], name: str = "皇岗店") -> int:
    hq = demo_admin_headers(client, demo)
    stores = client.get(f"{ADMIN_API}/stores", headers=hq).json()
    return int(next(s["id"] for s in stores if s["name"] == name))


def _rows(page: str) -> dict[str, str]:
    """table_no -> its /wx/t/ address, as the page lists them."""
    return dict(
        re.findall(
            r'<tr data-table="([A-Z0-9]+)">.*?<code class="table-url">([^<]+)</code>', page, re.S
        )
    )


def test_hq_adds_tables_and_disables_one(client: Any, demo: dict[str, Any]) -> None:
    store = _store_id(client, demo)
    console_login(client, *HQ)
    page = client.get(f"/console/stores/{store}/tables")
    assert page.status_code == 200
    assert "暂无桌台" in page.text
    added = client.post(
        f"/console/stores/{store}/tables",
        data={"csrf": csrf_in(page.text), "tables": "A1-A4, a3 VIP1"},
        follow_redirects=True,
    )
    assert added.status_code == 200
    rows = _rows(added.text)
    assert list(rows) == ["A1", "A2", "A3", "A4", "VIP1"]
    assert all(re.fullmatch(r"http://testserver/wx/t/[A-Za-z0-9_-]{24}", u) for u in rows.values())
    assert len(set(rows.values())) == 5
    again = client.post(
        f"/console/stores/{store}/tables",
        data={"csrf": csrf_in(added.text), "tables": "A4-A5"},
        follow_redirects=True,
    )
    assert _rows(again.text)["A4"] == rows["A4"]  # kept its QR
    assert "A5" in _rows(again.text)
    bad = client.post(
        f"/console/stores/{store}/tables",
        data={"csrf": csrf_in(again.text), "tables": "A9-A1"},
    )
    assert bad.status_code == 400
    assert "桌号有误(A9-A1)" in bad.text

    a3 = re.search(
        r'action="(/console/stores/\d+/tables/\d+/active)"', again.text.split('data-table="A3"')[1]
    )
    assert a3
    off = client.post(
        a3.group(1), data={"csrf": csrf_in(again.text), "active": "0"}, follow_redirects=True
    )
    assert off.status_code == 200
    token = rows["A3"].rsplit("/", 1)[1]
    gone = client.get(f"/wx/t/{token}", follow_redirects=False)
    assert gone.status_code == 404
    assert "桌码不存在或已停用" in gone.text


def test_a_manager_of_another_store_may_not_touch_its_tables(
    client: Any, demo: dict[str, Any]
) -> None:
    mine = demo["store_manager"]["store"]
    other = next(
        s["id"]
        for s in client.get(f"{ADMIN_API}/stores", headers=demo_admin_headers(client, demo)).json()
        if s["name"] != mine
    )
    console_login(client, demo["store_manager"]["user"], demo["store_manager"]["password"])
    assert client.get(f"/console/stores/{other}/tables").status_code == 403
    assert client.get(f"/console/stores/{other}/tables.pdf").status_code == 403
    own = client.get(f"/console/stores/{_store_id(client, demo, mine)}/tables")
    assert own.status_code == 200
    posted = client.post(
        f"/console/stores/{other}/tables", data={"csrf": csrf_in(own.text), "tables": "B1"}
    )
    assert posted.status_code == 403


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) missing")
def test_the_pdf_sheet_has_the_words_and_qr_codes_of_the_tables(
    client: Any, demo: dict[str, Any], tmp_path: Path
) -> None:
    import zxingcpp
    from PIL import Image

    store = _store_id(client, demo)
    console_login(client, *HQ)
    page = client.get(f"/console/stores/{store}/tables")
    added = client.post(
        f"/console/stores/{store}/tables",
        data={"csrf": csrf_in(page.text), "tables": "A1-A7"},
        follow_redirects=True,
    )
    rows = _rows(added.text)
    sheet = client.get(f"/console/stores/{store}/tables.pdf")
    assert sheet.status_code == 200
    assert sheet.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "tables.pdf"
    pdf.write_bytes(sheet.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "右姑娘火锅(皇岗店)" in text.replace(" ", "")  # pdftotext spaces some glyphs
    assert "桌号 A1" in text
    assert "桌号 A7" in text
    assert text.count("微信扫码 查看账单 自助买单") == 7
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(tmp_path / "p")], check=True)
    decoded = []
    for png in sorted(tmp_path.glob("p*.png")):
        decoded += [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    assert sorted(decoded) == sorted(rows.values())  # 6 on page one, 1 on page two
