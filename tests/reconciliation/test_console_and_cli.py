"""The console's 对账 pages (list by date, start a run, upload a CSV, open a run) and the
`voucherbridge reconcile` command, on a Meituan day with one amount that differs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from tests.factories import FakeClock
from tests.helpers import buy_meituan, console_login, csrf_in, must_redeem, platform_listing
from tests.platforms.flows.conftest import sim_clock_follows
from tests.reconciliation.tools import china_day, sim_statement, store_id
from voucherbridge.cli.main import app as cli_app
from voucherbridge.config import Settings


def _login(client: Any) -> str:
    console_login(client)
    page = client.get("/console/reconciliations")
    assert page.status_code == 200, page.text
    return csrf_in(page.text)


def _meituan_day(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., Any],
    meituan: httpx.Client,
    noon: FakeClock,
) -> list[str]:
    platform_listing(client, admin, "meituan", "880300", price_fen=5990, per_order_limit=5)
    sim_clock_follows(meituan, noon)
    codes = buy_meituan(meituan, "880300", count=2)
    for code in codes:
        must_redeem(client, auth, code, new_order()["id"])
    sim_statement(meituan, china_day(noon), amount_delta_fen={codes[1]: -990})
    return codes


def test_console_starts_a_run_shows_it_and_lists_it_by_date(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., Any],
    meituan: httpx.Client,
    noon: FakeClock,
):
    codes = _meituan_day(client, admin, auth, new_order, meituan, noon)
    csrf, day, store = _login(client), china_day(noon).isoformat(), store_id(client, admin)
    started = client.post(
        "/console/reconciliations",
        data={"csrf": csrf, "store_id": str(store), "platform": "meituan", "date": day},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    page = client.get(started.headers["location"])
    assert page.status_code == 200
    text = page.text
    for label in (
        "对账",
        "一致 (1)",
        "金额不符 (1)",
        "仅平台有 (0)",
        "仅我方有 (0)",
        "状态不符 (0)",
    ):
        assert label in text, label
    assert f'data-code="{codes[1]}"' in text
    assert "59.90" in text
    assert "50.00" in text
    assert 'id="difference">-9.90</td>' in text
    assert "不一致" in text

    listed = client.get("/console/reconciliations", params={"date": day}).text
    assert "美团" in listed
    assert "皇岗店" in listed
    assert "-9.90" in listed

    upload = client.post(
        "/console/reconciliations/upload",
        data={"csrf": csrf, "store_id": str(store), "platform": "meituan", "date": day},
        files={"file": ("s.csv", f"券码,金额(元)\n{codes[0]},59.90\n".encode(), "text/csv")},
        follow_redirects=False,
    )
    assert upload.status_code == 303, upload.text
    shown = client.get(upload.headers["location"]).text
    assert "上传对账单" in shown
    assert "仅我方有 (1)" in shown

    bad = client.post(
        "/console/reconciliations/upload",
        data={"csrf": csrf, "store_id": str(store), "platform": "meituan", "date": day},
        files={"file": ("s.csv", b"nothing useful\n", "text/csv")},
    )
    assert bad.status_code == 422
    assert "请求内容有误" in bad.text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_cli_prints_the_run_as_a_table(
    client: Any,
    admin: dict[str, str],
    auth: dict[str, str],
    new_order: Callable[..., Any],
    meituan: httpx.Client,
    noon: FakeClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
):
    codes = _meituan_day(client, admin, auth, new_order, meituan, noon)
    for name in ("database_url", "meituan_base_url", "meituan_app_key", "meituan_app_secret"):
        monkeypatch.setenv(f"VOUCHERBRIDGE_{name.upper()}", str(getattr(settings, name)))
    monkeypatch.setenv("VOUCHERBRIDGE_SECRET_KEY", settings.secret_key)
    day, store = china_day(noon).isoformat(), str(store_id(client, admin))
    args = ["reconcile", "--platform", "meituan", "--store", store, "--date", day]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 3, result.output  # kept, with a mismatch
    assert "金额不符" in result.output
    assert codes[1] in result.output
    assert "-9.90" in result.output

    statement = tmp_path / "s.csv"
    statement.write_text("券码,金额(元)\n" + "\n".join(f"{c},59.90" for c in codes), "utf-8")
    same = CliRunner().invoke(cli_app, [*args, "--csv", str(statement)])
    assert same.exit_code == 0, same.output
    assert "consistent" in same.output
    # the same command among the reports, as `voucherbridge report reconcile`
    among = CliRunner().invoke(cli_app, ["report", *args, "--csv", str(statement)])
    assert among.exit_code == 0, among.output
    assert "consistent" in among.output
