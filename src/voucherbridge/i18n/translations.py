"""The one English catalogue of the product, for the pages and the error messages alike.

Chinese is the source text everywhere (templates, page code, the error catalogue); English comes
from gettext .po files, read with Babel once per process and merged into one translations
object: the error messages' `i18n/locale/en/LC_MESSAGES/*.po` (errors.po, keyed by the Chinese
message) and the pages' `web/locale/en/*.po` (one file per page family). The .po files are
compiled in memory at start-up; there are no .mo files to build or forget.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

HERE = Path(__file__).parent
ERRORS_PO = HERE / "locale" / "en" / "LC_MESSAGES" / "errors.po"
# Read as files, not imported: the pages' catalogues sit beside their templates.
PO_DIRS = (HERE / "locale" / "en" / "LC_MESSAGES", HERE.parent / "web" / "locale" / "en")


def po_files() -> list[Path]:
    """Every English .po file, errors first, then the pages' in name order."""
    return [po for folder in PO_DIRS for po in sorted(folder.glob("*.po"))]


def read_catalogue(po: Path) -> Catalog:
    with po.open("rb") as source:
        return read_po(source, locale="en")


@cache
def english() -> gettext.NullTranslations:
    """All English catalogues merged (on a msgid in two files the first file wins)."""
    merged: gettext.NullTranslations | None = None
    for po in po_files():
        buffer = BytesIO()
        write_mo(buffer, read_catalogue(po))
        buffer.seek(0)
        translations = gettext.GNUTranslations(buffer)
        if merged is None:
            merged = translations
        else:
            merged.add_fallback(translations)
    return merged or gettext.NullTranslations()


def to_english(message: str) -> str:
    """The English of a Chinese source text (the text itself when no catalogue has it)."""
    return english().gettext(message)


def to_english_in(context: str, message: str) -> str:
    """The English of a Chinese text as `context` (msgctxt) means it."""
    return english().pgettext(context, message)
