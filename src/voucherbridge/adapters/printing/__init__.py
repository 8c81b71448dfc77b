"""Receipt printing: one layout (layout.py) rendered as text, ESC/POS bytes or PDF."""

from voucherbridge.adapters.printing.escpos_bytes import render_escpos
from voucherbridge.adapters.printing.layout import RECEIPT_WIDTHS
from voucherbridge.adapters.printing.pdf import render_pdf
from voucherbridge.adapters.printing.text import render_text

__all__ = ["RECEIPT_WIDTHS", "render_escpos", "render_pdf", "render_text"]
