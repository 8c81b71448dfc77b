"""PDF receipt: a single page as wide as the paper roll and as tall as the receipt."""

from __future__ import annotations

import io

from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from voucherbridge.counter.printing.fonts import cjk_font
from voucherbridge.counter.printing.layout import CENTER, RIGHT, Cell, build_rows, columns_for
from voucherbridge.domain.receipts import Receipt

_SIDE_MARGIN = 3 * mm
_VERTICAL_MARGIN = 5 * mm
_LINE_SPACING = 1.45  # line height as a multiple of the font size
_TALL_SCALE = 1.35  # tall (double-height on the printer) rows are drawn this much larger


def render_pdf(receipt: Receipt, width_mm: int = 80) -> bytes:
    """Render the receipt as a one-page PDF sized to a 58 mm or 80 mm roll."""
    columns = columns_for(width_mm)
    rows = build_rows(receipt, columns)
    font = cjk_font()
    page_width = width_mm * mm
    col_width = (page_width - 2 * _SIDE_MARGIN) / columns
    # A Chinese character is one em wide and takes two columns, as on the printer.
    size = 2 * col_width
    heights = [size * (_TALL_SCALE if row.tall else 1) * _LINE_SPACING for row in rows]
    page_height = sum(heights) + 2 * _VERTICAL_MARGIN

    buffer = io.BytesIO()
    # invariant: no timestamps or random ids, so the same receipt gives the same bytes.
    canvas = Canvas(buffer, pagesize=(page_width, page_height), invariant=True)
    canvas.setTitle(f"{receipt.title} {receipt.order_no}")
    y = page_height - _VERTICAL_MARGIN
    for row, height in zip(rows, heights, strict=True):
        y -= height
        if row.rule:
            _draw_rule(canvas, y + height / 2, page_width)
            continue
        row_size = size * (_TALL_SCALE if row.tall else 1)
        baseline = y + (height - row_size) / 2 + row_size * 0.15
        for cell in row.cells:
            _draw_cell(canvas, cell, font, row_size, baseline, col_width, bold=row.bold)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_rule(canvas: Canvas, y: float, page_width: float) -> None:
    canvas.saveState()
    canvas.setLineWidth(0.5)
    canvas.setDash(2, 2)
    canvas.line(_SIDE_MARGIN, y, page_width - _SIDE_MARGIN, y)
    canvas.restoreState()


def _draw_cell(
    canvas: Canvas,
    cell: Cell,
    font: str,
    size: float,
    baseline: float,
    col_width: float,
    *,
    bold: bool,
) -> None:
    """Draw a cell inside its column span, squeezing it horizontally if the font runs wide."""
    if not cell.text:
        return
    left = _SIDE_MARGIN + cell.col * col_width
    span = cell.width * col_width
    natural = pdfmetrics.stringWidth(cell.text, font, size)
    # Proportional Latin digits are wider than half an em, so a long card number could overrun.
    scale = min(1.0, span / natural) if natural else 1.0
    drawn = natural * scale
    if cell.align == RIGHT:
        x = left + span - drawn
    elif cell.align == CENTER:
        x = left + (span - drawn) / 2
    else:
        x = left
    canvas.saveState()
    text = canvas.beginText(x, baseline)
    text.setFont(font, size)
    text.setHorizScale(scale * 100)
    if bold:
        # No bold face is embedded: stroke the glyph outlines as well as filling them.
        text.setTextRenderMode(2)
        canvas.setLineWidth(size * 0.04)
    text.textOut(cell.text)
    canvas.drawText(text)
    canvas.restoreState()
