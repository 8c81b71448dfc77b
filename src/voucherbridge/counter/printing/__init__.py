"""Receipt printing: one layout (layout.py) rendered as text, ESC/POS bytes or PDF."""

from voucherbridge.counter.printing.escpos_bytes import render_escpos
from voucherbridge.counter.printing.layout import RECEIPT_WIDTHS
from voucherbridge.counter.printing.pdf import render_pdf
from voucherbridge.counter.printing.text import render_text

__all__ = ["RECEIPT_WIDTHS", "render_escpos", "render_pdf", "render_text"]
