"""The voucher's QR code as inline SVG (segno): exactly the code text the cashier's scan box
takes, drawn on the server, so the page needs no script and no image from elsewhere."""

from __future__ import annotations

import segno
from markupsafe import Markup

GROUP = 4


def qr_svg(code: str) -> Markup:
    """An SVG that scales to its box (viewBox, no fixed size), dark on white, quiet zone 4."""
    qr = segno.make(code, error="m", micro=False)
    svg = qr.svg_inline(
        scale=1,
        border=4,
        dark="#000",
        light="#fff",
        omitsize=True,
        svgclass="voucher-qr",
        title=code,
    )
    return Markup(svg)  # segno escapes the title; the rest is its own markup


def grouped(code: str) -> str:
    """J1234567890123 4 -> "J123 4567 8901 234": easy to read out at the counter."""
    return " ".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))
