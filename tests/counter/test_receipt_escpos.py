"""ESC/POS bytes for the thermal printer: GB18030 text in the same columns as the text receipt."""

from __future__ import annotations

import pytest

from tests.counter.receipt_samples import cash_receipt_with_change, seed_receipt
from voucherbridge.counter.printing import render_escpos, render_text

# Length of each command the renderer may emit, keyed by its first two bytes.
_FIXED_COMMANDS = {
    b"\x1b@": 2,  # ESC @        initialise
    b"\x1c&": 2,  # FS &         Chinese character mode
    b"\x1c.": 2,  # FS .         cancel Chinese mode
    b"\x1bE": 3,  # ESC E n      bold
    b"\x1ba": 3,  # ESC a n      justification
    b"\x1b!": 3,  # ESC ! n      print mode
    b"\x1bd": 3,  # ESC d n      feed n lines
    b"\x1d!": 3,  # GS ! n       character size
}


def decode(data: bytes) -> tuple[str, list[bytes]]:
    """Strip the ESC/POS commands; return the GB18030 text and the commands seen, in order."""
    text = bytearray()
    commands: list[bytes] = []
    i = 0
    while i < len(data):
        if data[i] not in (0x1B, 0x1C, 0x1D):
            # GB18030 bytes are all >= 0x30 after a lead byte, so they never look like ESC/FS/GS.
            text.append(data[i])
            i += 1
            continue
        head = data[i : i + 2]
        if head == b"\x1dV":  # GS V m [n]: modes 65/66 carry a feed amount
            size = 4 if data[i + 2] in (65, 66) else 3
        elif head in _FIXED_COMMANDS:
            size = _FIXED_COMMANDS[head]
        else:
            raise AssertionError(f"unexpected command {data[i : i + 3]!r} at byte {i}")
        commands.append(data[i : i + size])
        i += size
    return text.decode("gb18030"), commands


def test_starts_with_init_and_ends_with_cut() -> None:
    data = render_escpos(seed_receipt(), width_mm=80)
    assert data.startswith(b"\x1b@")
    assert b"\x1dV" in data
    _, commands = decode(data)
    assert commands[-1].startswith(b"\x1dV")
    assert b"\x1c&" in commands  # Chinese mode, or the printer prints GB18030 as garbage


@pytest.mark.parametrize("width_mm", [58, 80])
def test_printed_text_is_the_text_receipt(width_mm: int) -> None:
    text, _ = decode(render_escpos(seed_receipt(), width_mm=width_mm))
    assert text == render_text(seed_receipt(), width_mm=width_mm)


def test_chinese_is_encoded_as_gb18030() -> None:
    data = render_escpos(seed_receipt(), width_mm=80)
    assert "票券x1: 100.00".encode("gb18030") in data
    assert "谢谢惠顾,欢迎下次光临!".encode("gb18030") in data
    assert "结账单".encode() not in data  # no UTF-8 leaking through


def test_store_title_is_bold_and_the_rest_returns_to_normal() -> None:
    data = render_escpos(seed_receipt(), width_mm=80)
    title_at = data.index("右姑娘火锅".encode("gb18030"))
    assert b"\x1bE\x01" in data[:title_at]
    amount_at = data.index(b"284.00")
    bold_off_at = data.rindex(b"\x1bE\x00", 0, amount_at)
    assert data.rfind(b"\x1bE\x01", 0, amount_at) < bold_off_at


def test_change_receipt_round_trips_too() -> None:
    text, _ = decode(render_escpos(cash_receipt_with_change(), width_mm=58))
    assert text == render_text(cash_receipt_with_change(), width_mm=58)
    assert "找零: 16.00" in text
