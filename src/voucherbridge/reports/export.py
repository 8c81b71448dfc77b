"""Reports out as files a merchant opens in Excel: CSV (UTF-8 with BOM) and XLSX.

Money leaves as yuan with two decimals, converted from integer fen (domain/money.py; Decimal,
never a float). A CSV cell that a spreadsheet would read as a formula (= + - @, or a tab or CR
first) gets a leading apostrophe; XLSX cells are typed (numbers are numbers, text is text), so
openpyxl never evaluates them, and a text cell that looks like a formula is stored as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from voucherbridge.domain.money import fen_to_yuan_str
from voucherbridge.reports import Cell, Column, Report

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
YUAN_FORMAT = "0.00"
TOTAL_LABEL = "合计"


def neutralize(text: str) -> str:
    """A cell a spreadsheet would run as a formula, made plain text."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def header(column: Column) -> str:
    return column.label_zh


def csv_cell(column: Column, value: Cell) -> str:
    if value is None:
        return ""
    if column.kind == "fen" and isinstance(value, int):
        return fen_to_yuan_str(value)
    if column.kind == "count" and isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return neutralize(str(value))


def _total_row(report: Report) -> list[Cell] | None:
    if not report.totals or not report.columns:
        return None
    row: list[Cell] = [
        report.totals.get(c.key) if c.kind in ("count", "fen") else None for c in report.columns
    ]
    if row[0] is None:
        row[0] = TOTAL_LABEL
    return row


def csv_lines(report: Report, rows: Iterable[dict[str, Cell]] | None = None) -> Iterable[str]:
    """The CSV text line by line (the BOM first), so that a long export can be streamed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow([header(c) for c in report.columns])
    yield BOM + flush()
    for row in report.rows if rows is None else rows:
        writer.writerow([csv_cell(c, row.get(c.key)) for c in report.columns])
        yield flush()
    total = _total_row(report)
    if total is not None and rows is None:
        writer.writerow(
            [
                TOTAL_LABEL if i == 0 and v == TOTAL_LABEL else csv_cell(c, v)
                for i, (c, v) in enumerate(zip(report.columns, total, strict=True))
            ]
        )
        yield flush()


def to_csv(report: Report) -> bytes:
    """UTF-8 with a BOM (Excel then reads the Chinese right), a header row and a totals row."""
    return "".join(csv_lines(report)).encode("utf-8")


def _xl_value(column: Column, value: Cell) -> object:
    if value is None:
        return None
    if column.kind == "fen" and isinstance(value, int):
        return Decimal(value) / Decimal(100)  # exact: fen to yuan, no float arithmetic
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # already in the merchant's zone; Excel has no zones
    if isinstance(value, (int, date)):
        return value
    return str(value)


def to_xlsx(report: Report) -> bytes:
    """One sheet: Chinese headers (bold, frozen), typed cells, yuan as 0.00, fitted widths."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.title_zh[:31] or "report"
    sheet.append([header(c) for c in report.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    widths = [max(8, _width(header(c))) for c in report.columns]
    for row in report.rows:
        sheet.append([_xl_value(c, row.get(c.key)) for c in report.columns])
        for i, c in enumerate(report.columns):
            widths[i] = max(widths[i], min(60, _width(csv_cell(c, row.get(c.key)))))
    total = _total_row(report)
    if total is not None:
        sheet.append(
            [
                v if i == 0 and v == TOTAL_LABEL else _xl_value(c, v)
                for i, (c, v) in enumerate(zip(report.columns, total, strict=True))
            ]
        )
    for index, column in enumerate(report.columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths[index - 1] + 2
        formats = {"fen": YUAN_FORMAT, "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}
        if column.kind in formats:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell, XlCell):
                    cell.number_format = formats[column.kind]
        elif column.kind == "text":
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                if isinstance(cell, XlCell) and isinstance(cell.value, str):
                    cell.data_type = "s"  # never a formula, whatever the text starts with
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _width(text: str) -> int:
    """Display width: a Chinese character takes two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
