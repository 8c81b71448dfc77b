"""CSV and XLSX exports of the reports and lists, read back with the csv module and openpyxl;
the CLI's tables and files through typer's CliRunner. Both on the two days of `world`."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from voucherbridge.cli.main import app as cli_app
from voucherbridge.reports import Column, Report
from voucherbridge.reports.export import to_csv, to_xlsx

API = "/api/admin/v1"
SPAN = {"from": "2027-03-01", "to": "2027-03-02"}


def _download(client: Any, headers: dict[str, str], path: str, **params: str) -> Any:
    response = client.get(f"{API}{path}", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response


def test_sales_as_csv_opens_in_excel_with_yuan_and_no_formulas(client: Any, world: dict[str, Any]):
    response = _download(
        client, world["hq"], "/reports/sales", **SPAN, group_by="listing", format="csv"
    )
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="sales_2027-03-01_2027-03-02.csv"' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["商品", "售出券数", "线上实收", "面值合计", "已退款", "未使用", "7天内到期"]
    by_listing = {r[0]: r for r in rows[1:]}
    price = world["cash"]["price_fen"]
    assert by_listing[world["cash"]["title"]][1:3] == ["4", f"{4 * price // 100}.00"]
    # the listing titled "=1+1 ..." is text, not a formula
    assert by_listing["'=1+1 美团代金券"][1:4] == ["1", "59.90", "100.00"]
    assert rows[-1][0] == "合计"
    assert rows[-1][1] == "5"


def test_redemptions_as_xlsx_typed_frozen_and_in_chinese(
    client: Any, world: dict[str, Any], tmp_path: Path
):
    response = _download(
        client, world["hq"], "/reports/redemptions", **SPAN, group_by="day,store", format="xlsx"
    )
    assert "spreadsheetml" in response.headers["content-type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == ["日期", "门店", "核销", "撤销", "净核销", "净抵扣金额"]
    first = [c for c in sheet[2]]
    assert isinstance(first[0].value, datetime)
    assert first[0].value.date() == date(2027, 3, 1)
    assert first[1].value == "福田店" or first[1].value == "皇岗店"
    assert isinstance(first[2].value, int)
    money = sheet.cell(row=2, column=6)
    assert isinstance(money.value, (int, float))
    assert money.number_format == "0.00"
    d = world["discount"]
    total = sheet.cell(row=sheet.max_row, column=6).value
    assert sheet.cell(row=sheet.max_row, column=1).value == "合计"
    assert Decimal(str(total)) == Decimal(d["c0"] + d["c1"] + d["mt"]) / 100
    assert sheet.column_dimensions["B"].width >= 6


def test_the_archive_exports_the_whole_filtered_list(client: Any, world: dict[str, Any]):
    response = _download(client, world["hq"], "/codes", platform="weimall", format="csv", **SPAN)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["券码", "状态", "平台"]
    assert {r[0] for r in rows[1:]} == set(world["codes"])
    xlsx = _download(client, world["hq"], "/redemptions", format="xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert sheet.max_row >= 5


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralized_in_csv_and_text_in_xlsx(text: str):
    report = Report(
        "测试",
        "test",
        (Column("name", "名称", "Name", "text"), Column("fen", "金额", "Amount", "fen")),
        ({"name": text, "fen": -1999},),
        {"fen": -1999},
    )
    [_, row, _total] = list(csv.reader(io.StringIO(to_csv(report).decode("utf-8-sig"))))
    assert row == ["'" + text, "-19.99"]
    sheet = load_workbook(io.BytesIO(to_xlsx(report))).active
    assert sheet is not None
    cell = sheet.cell(row=2, column=1)
    assert cell.data_type == "s"
    assert cell.value in (text, text.replace("\r", "\n"))  # XML reads a CR back as LF
    assert Decimal(str(sheet.cell(row=2, column=2).value)) == Decimal("-19.99")


def test_the_cli_prints_tables_and_writes_files(
    world: dict[str, Any], database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("VOUCHERBRIDGE_DATABASE_URL", database_url)
    runner = CliRunner()
    shown = runner.invoke(
        cli_app,
        [
            "report",
            "redemptions",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-02",
            "--group-by",
            "store",
            "--format",
            "table",
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert "皇岗店" in shown.output
    assert "福田店" in shown.output
    assert "核销" in shown.output
    out = tmp_path / "sales.csv"
    wrote = runner.invoke(
        cli_app,
        [
            "report",
            "sales",
            "--from",
            "2027-03-01",
            "--to",
            "2027-03-02",
            "--group-by",
            "platform",
            "--format",
            "csv",
            "--output",
            str(out),
        ],
    )
    assert wrote.exit_code == 0, wrote.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert {r[0]: r[1] for r in rows[1:-1]} == {"微商城": "4", "美团": "1"}
    book = tmp_path / "archive.xlsx"
    archived = runner.invoke(
        cli_app,
        [
            "report",
            "archive",
            "--platform",
            "weimall",
            "--from",
            "2027-03-01",
            "--format",
            "xlsx",
            "--output",
            str(book),
        ],
    )
    assert archived.exit_code == 0, archived.output
    sheet = load_workbook(book).active
    assert sheet is not None
    assert sheet.max_row == 1 + len(world["codes"])
    bad = runner.invoke(cli_app, ["report", "sales", "--from", "2027-03-02", "--to", "2027-03-01"])
    assert bad.exit_code == 1
    assert "validation_error" in bad.output
