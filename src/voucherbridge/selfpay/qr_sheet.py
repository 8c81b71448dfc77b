"""The printable A4 sheet of a store's table QR codes (PDF, reportlab): six tables a page, each
with the store's name, 桌号 and 微信扫码 查看账单 自助买单 under a QR of `/wx/t/{token}`.

The QR is drawn as vector squares from segno's matrix, so it stays sharp at any print size.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from voucherbridge.counter.printing.fonts import cjk_font
from voucherbridge.domain.records import Store
from voucherbridge.selfpay.repository import StoreTable

CAPTION = "微信扫码 查看账单 自助买单"
COLUMNS, ROWS = 2, 3
QR_SIZE = 48 * mm
QUIET = 4  # modules of white around the code


def table_url(base_url: str, table: StoreTable) -> str:
    return f"{base_url.rstrip('/')}/wx/t/{table.token}"


def _qr(pdf: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    matrix = segno.make(text, error="m", micro=False).matrix
    modules = len(matrix) + 2 * QUIET
    step = size / modules
    pdf.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for col, dark in enumerate(row):
            if dark:
                top = y + size - (r + QUIET + 1) * step
                pdf.rect(x + (col + QUIET) * step, top, step, step, stroke=0, fill=1)


def qr_sheet_pdf(store: Store, tables: Sequence[StoreTable], base_url: str) -> bytes:
    """The sheet of the store's active tables (a page saying so when there are none)."""
    font = cjk_font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(f"{store.printed_title} 桌码")
    width, height = A4
    cell_w, cell_h = width / COLUMNS, height / ROWS
    shown = [t for t in tables if t.active]
    if not shown:
        pdf.setFont(font, 16)
        pdf.drawCentredString(width / 2, height / 2, f"{store.printed_title}:暂无启用的桌台")
    for i, table in enumerate(shown):
        if i and i % (COLUMNS * ROWS) == 0:
            pdf.showPage()
        slot = i % (COLUMNS * ROWS)
        left = (slot % COLUMNS) * cell_w
        bottom = height - (slot // COLUMNS + 1) * cell_h
        centre = left + cell_w / 2
        pdf.setStrokeColorRGB(0.8, 0.8, 0.8)
        pdf.rect(left + 6 * mm, bottom + 6 * mm, cell_w - 12 * mm, cell_h - 12 * mm)
        pdf.setFont(font, 13)
        pdf.drawCentredString(centre, bottom + cell_h - 18 * mm, store.printed_title)
        pdf.setFont(font, 22)
        pdf.drawCentredString(centre, bottom + cell_h - 29 * mm, f"桌号 {table.table_no}")
        _qr(pdf, table_url(base_url, table), centre - QR_SIZE / 2, bottom + 15 * mm, QR_SIZE)
        pdf.setFont(font, 12)
        pdf.drawCentredString(centre, bottom + 11 * mm, CAPTION)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
