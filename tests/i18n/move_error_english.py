"""Move the English of the error catalogue into its gettext catalogue; rerunnable.

    .venv/bin/python -m tests.i18n.move_error_english          # rewrite both files
    .venv/bin/python -m tests.i18n.move_error_english --check  # exit 1 if a move is pending

Reads src/voucherbridge/i18n/catalogue.py as source (ast, nothing imported), takes every English
text still written there -- the third argument of `ErrorSpec(status, zh, en)` and the second of
a `NOUNS` tuple `(zh, en)` -- and writes i18n/locale/en/LC_MESSAGES/errors.po: one entry per
error code in the catalogue's order (msgid the Chinese message with its {placeholders}, msgstr
the English, the code as a comment), then the nouns under msgctxt "noun". English already in
errors.po is kept unless catalogue.py carries a newer text for the same code. catalogue.py is
then rewritten with those English arguments removed (only those spans of text change, comments
stay) and run through `ruff format`.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "voucherbridge" / "i18n" / "catalogue.py"
PO = ROOT / "src" / "voucherbridge" / "i18n" / "locale" / "en" / "LC_MESSAGES" / "errors.po"
NOUN_CONTEXT = "noun"
HEADER = """\
English of the error messages (i18n/catalogue.py holds the Chinese and the HTTP status).
msgid: the Chinese message with its {placeholders}; msgstr: the English, same placeholders.
Nouns used inside messages ({what}, {platform}) have msgctxt "noun".
Written by tests/i18n/move_error_english.py; edit the msgstr lines by hand freely."""


@dataclass
class Entry:
    code: str  # "VOUCHER_NOT_FOUND", or the noun's key
    zh: str
    en: str | None  # English still written in catalogue.py
    cut: tuple[int, int] | None  # the span of catalogue.py to replace
    keep: str | None  # what replaces it (None: delete)


def _offset(lines: list[str], lineno: int, col: int) -> int:
    """Character offset of an ast position (col is in UTF-8 bytes)."""
    line = lines[lineno - 1]
    return sum(len(x) for x in lines[: lineno - 1]) + len(line.encode()[:col].decode())


def _dict_named(tree: ast.Module, name: str) -> ast.Dict:
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == name and isinstance(value, ast.Dict):
            return value
    raise SystemExit(f"{SOURCE}: no {name} dict")


def read_source(text: str) -> tuple[list[Entry], list[Entry]]:
    """The catalogue's (errors, nouns) as written in catalogue.py."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)

    def span(start: ast.expr, end: ast.expr) -> tuple[int, int]:
        assert end.end_lineno is not None
        assert end.end_col_offset is not None
        return (
            _offset(lines, start.end_lineno or start.lineno, start.end_col_offset or 0),
            _offset(lines, end.end_lineno, end.end_col_offset),
        )

    errors: list[Entry] = []
    for key, value in zip(*_dict(tree, "CATALOGUE"), strict=True):
        code = ast.unparse(key).removeprefix("C.").removeprefix("ErrorCode.")
        if not isinstance(value, ast.Call) or len(value.args) not in (2, 3):
            raise SystemExit(f"{SOURCE}:{value.lineno}: {code} is not ErrorSpec(status, zh[, en])")
        zh = ast.literal_eval(value.args[1])
        if len(value.args) == 2:
            errors.append(Entry(code, zh, None, None, None))
            continue
        en = ast.literal_eval(value.args[2])
        start, end = span(value.args[1], value.args[2])
        if text[end:].lstrip().startswith(","):  # its trailing comma too, so ruff joins lines
            end = text.index(",", end) + 1
        errors.append(Entry(code, zh, en, (start, end), None))
    nouns: list[Entry] = []
    for key, value in zip(*_dict(tree, "NOUNS"), strict=True):
        name = ast.literal_eval(key)
        if isinstance(value, ast.Tuple):
            zh, en = (ast.literal_eval(v) for v in value.elts)
            start = _offset(lines, value.lineno, value.col_offset)
            end = _offset(lines, value.end_lineno or 0, value.end_col_offset or 0)
            nouns.append(Entry(name, zh, en, (start, end), repr(zh).replace("'", '"')))
        else:
            nouns.append(Entry(name, ast.literal_eval(value), None, None, None))
    return errors, nouns


def _dict(tree: ast.Module, name: str) -> tuple[list[ast.expr], list[ast.expr]]:
    found = _dict_named(tree, name)
    keys = [k for k in found.keys if k is not None]
    assert len(keys) == len(found.values), f"{name}: no ** in the catalogue"
    return keys, found.values


def english_in_po() -> dict[tuple[str | None, str], str]:
    if not PO.exists():
        return {}
    with PO.open("rb") as source:
        catalog = read_po(source, locale="en")
    return {(m.context, str(m.id)): str(m.string) for m in catalog if m.id and m.string}


def build_po(errors: list[Entry], nouns: list[Entry]) -> Catalog:
    known = english_in_po()
    catalog = Catalog(locale="en", header_comment="\n".join(f"# {x}" for x in HEADER.split("\n")))
    missing: list[str] = []
    for entries, context in ((errors, None), (nouns, NOUN_CONTEXT)):
        for entry in entries:
            english = entry.en or known.get((context, entry.zh), "")
            if not english:
                missing.append(entry.code)
            existing = catalog.get(entry.zh, context)
            if existing is not None:  # two codes, one Chinese message: one entry, both codes
                existing.auto_comments.append(entry.code.lower())
                if existing.string != english:
                    raise SystemExit(f"{entry.code}: same Chinese as another code, other English")
                continue
            catalog.add(entry.zh, english, auto_comments=[entry.code.lower()], context=context)
    if missing:
        print("no English yet for:", ", ".join(missing), file=sys.stderr)
    return catalog


def po_text(catalog: Catalog) -> str:
    from io import BytesIO

    buffer = BytesIO()
    write_po(buffer, catalog, width=0, omit_header=False, no_location=True)
    text = buffer.getvalue().decode("utf-8")
    # Babel's header names a project and dates that would change on every run: keep it small.
    head, _, body = text.partition('msgid ""\nmsgstr ""\n')
    body = body.split("\n\n", 1)[1] if "\n\n" in body else ""
    comments = "\n".join(line for line in head.splitlines() if line.startswith("# "))
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    return f"{comments}\n{header}\n{body}"


def rewritten_source(text: str, entries: list[Entry]) -> str:
    for entry in sorted((e for e in entries if e.cut), key=lambda e: e.cut or (0, 0), reverse=True):
        assert entry.cut is not None
        start, end = entry.cut
        text = text[:start] + (entry.keep or "") + text[end:]
    return text


def main(argv: list[str]) -> int:
    text = SOURCE.read_text(encoding="utf-8")
    errors, nouns = read_source(text)
    po = po_text(build_po(errors, nouns))
    new_source = rewritten_source(text, [*errors, *nouns])
    old_po = PO.read_text(encoding="utf-8") if PO.exists() else ""
    if "--check" in argv:
        pending = new_source != text or po != old_po
        print("move pending" if pending else "nothing to move")
        return 1 if pending else 0
    PO.parent.mkdir(parents=True, exist_ok=True)
    PO.write_text(po, encoding="utf-8")
    if new_source != text:
        SOURCE.write_text(new_source, encoding="utf-8")
        ruff = ROOT / ".venv" / "bin" / "ruff"
        subprocess.run([str(ruff), "format", "-q", str(SOURCE)], check=True)
    moved = sum(1 for e in [*errors, *nouns] if e.en)
    print(f"{len(errors)} messages, {len(nouns)} nouns; {moved} English texts moved to {PO}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
