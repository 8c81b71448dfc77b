"""Display-width arithmetic for receipt columns: a Chinese character takes two columns."""

from __future__ import annotations

import unicodedata

from wcwidth import wcswidth, wcwidth


def clean(text: str) -> str:
    """Replace control characters (tabs, newlines) with spaces so every character has a width."""
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def char_width(ch: str) -> int:
    """Columns one character occupies on the printer (0 for combining marks)."""
    return max(wcwidth(ch), 0)


def text_width(text: str) -> int:
    """Columns a string occupies: 2 per Chinese character, 1 per ASCII character."""
    width = wcswidth(text)
    # wcswidth gives -1 if any character is non-printable; count those as zero-width instead.
    return width if width >= 0 else sum(char_width(ch) for ch in text)


def pad(text: str, width: int, align: str) -> str:
    """Pad text with spaces to exactly `width` columns, aligned left, right or center."""
    gap = max(width - text_width(text), 0)
    if align == "right":
        return " " * gap + text
    if align == "center":
        return " " * (gap // 2) + text + " " * (gap - gap // 2)
    return text + " " * gap


def _tokens(text: str) -> list[str]:
    """Split into wrap units: runs of ASCII letters/digits (kept whole), spaces, other chars."""
    tokens: list[str] = []
    for ch in text:
        word_char = ch.isascii() and not ch.isspace()
        if word_char and tokens and tokens[-1][-1].isascii() and not tokens[-1][-1].isspace():
            tokens[-1] += ch
        else:
            tokens.append(ch)
    return tokens


def wrap(text: str, width: int) -> list[str]:
    """Wrap text into lines of at most `width` columns, breaking between words or characters."""
    if width < 2:
        raise ValueError("wrap width must allow at least one Chinese character")
    lines: list[str] = []
    current = ""

    def flush() -> None:
        nonlocal current
        if current.strip():
            lines.append(current.rstrip())
        current = ""

    for token in _tokens(clean(text)):
        if text_width(current) + text_width(token) <= width:
            current += token
        elif token.isspace():
            flush()
        elif text_width(token) <= width:
            flush()
            current = token
        else:
            # A word wider than the whole column (a long SKU code): split it by character.
            for ch in token:
                if text_width(current) + char_width(ch) > width:
                    flush()
                current += ch
    flush()
    return [line.lstrip() for line in lines] or [""]
