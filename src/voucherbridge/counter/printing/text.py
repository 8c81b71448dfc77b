"""Plain-text receipt: the layout rows padded into fixed columns, one line per row."""

from __future__ import annotations

from voucherbridge.counter.printing.layout import Row, build_rows, columns_for
from voucherbridge.counter.printing.widths import pad
from voucherbridge.domain.receipts import Receipt


def row_text(row: Row, columns: int) -> str:
    """One row as a line of at most `columns` display columns, without trailing spaces."""
    if row.rule:
        return "-" * columns
    line, pos = "", 0
    for cell in sorted(row.cells, key=lambda c: c.col):
        line += " " * max(cell.col - pos, 0) + pad(cell.text, cell.width, cell.align)
        pos = cell.col + cell.width
    return line.rstrip()


def text_lines(receipt: Receipt, width_mm: int = 80) -> list[tuple[Row, str]]:
    """Each layout row with its printed line, shared by the text and ESC/POS renderers."""
    columns = columns_for(width_mm)
    return [(row, row_text(row, columns)) for row in build_rows(receipt, columns)]


def render_text(receipt: Receipt, width_mm: int = 80) -> str:
    """Render the receipt as monospaced text for 58 mm (32 columns) or 80 mm (48 columns)."""
    return "".join(line + "\n" for _, line in text_lines(receipt, width_mm))
