"""Chooses (once) the Chinese font the PDF receipt uses."""

from __future__ import annotations

import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont

FONT_NAME = "VoucherBridgeCJK"
FALLBACK_CID_FONT = "STSong-Light"

# TrueType-outline CJK fonts reportlab can embed (Noto CJK .ttc files are CFF and cannot be).
_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    ("/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


@functools.cache
def cjk_font() -> str:
    """Register and return the PDF font name: an embedded system TTF, else built-in STSong."""
    for path, index in _CANDIDATES:
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=index))
        except (TTFError, OSError):
            continue  # unreadable or CFF-flavoured: try the next candidate
        return FONT_NAME
    # Not embedded: viewers substitute a Song face, so the PDF still shows Chinese.
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_CID_FONT))
    return FALLBACK_CID_FONT


def font_description() -> str:
    """Human-readable name of the chosen font, for logs and diagnostics."""
    name = cjk_font()
    font = pdfmetrics.getFont(name)
    if isinstance(font, TTFont):
        return f"{font.face.name.decode(errors='replace')} (embedded TrueType)"
    return f"{name} (built-in CID font, not embedded)"
