"""ESC/POS receipt bytes for thermal printers, GB18030-encoded, same columns as the text."""

from __future__ import annotations

from escpos.printer import Dummy

from voucherbridge.counter.printing.text import text_lines
from voucherbridge.domain.receipts import Receipt

# Raw commands rather than Dummy.text()/set(): the magic encoder would pick a code page instead
# of GB18030, and set() uses ESC !, which Chinese (Kanji) characters ignore on most printers.
CHINESE_MODE = b"\x1c&"  # FS &: multi-byte characters are read as GB18030/GBK
ALIGN_LEFT = b"\x1ba\x00"  # ESC a 0: the lines are already padded to their columns
BOLD_ON, BOLD_OFF = b"\x1bE\x01", b"\x1bE\x00"  # ESC E n
# GS ! n also scales Chinese characters; double height keeps the column count unchanged.
SIZE_TALL, SIZE_NORMAL = b"\x1d!\x01", b"\x1d!\x00"


def render_escpos(receipt: Receipt, width_mm: int = 80) -> bytes:
    """Render the receipt as ESC/POS bytes (init, Chinese mode, styled lines, paper cut)."""
    printer = Dummy()
    printer.hw("INIT")  # ESC @
    printer._raw(CHINESE_MODE + ALIGN_LEFT)
    bold = tall = False
    for row, line in text_lines(receipt, width_mm):
        # Only emit a style command when the style changes, to keep the byte stream small.
        if row.bold != bold:
            bold = row.bold
            printer._raw(BOLD_ON if bold else BOLD_OFF)
        if row.tall != tall:
            tall = row.tall
            printer._raw(SIZE_TALL if tall else SIZE_NORMAL)
        printer._raw(line.encode("gb18030") + b"\n")
    if bold:
        printer._raw(BOLD_OFF)
    if tall:
        printer._raw(SIZE_NORMAL)
    printer.cut()  # feeds past the tear bar, then GS V
    return bytes(printer.output)
