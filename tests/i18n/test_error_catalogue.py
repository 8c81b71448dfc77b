"""One translation system: the error messages' English is a gettext catalogue like the pages'.

Every error code has a Chinese message in i18n/catalogue.py and an English msgstr in
i18n/locale/en/LC_MESSAGES/errors.po (msgid the Chinese with its placeholders); the pages and
the errors read the same merged catalogue; the API's `Accept-Language: en` answers from it.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import pytest

from tests.i18n import move_error_english
from voucherbridge.domain.errors import ErrorCode
from voucherbridge.i18n.catalogue import CATALOGUE, NOUNS, catalogue_markdown, render
from voucherbridge.i18n.translations import (
    ERRORS_PO,
    english,
    po_files,
    read_catalogue,
    to_english_in,
)

_HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _errors_po() -> dict[tuple[str | None, str], str]:
    return {(m.context, str(m.id)): str(m.string) for m in read_catalogue(ERRORS_PO) if m.id}


def test_every_error_code_has_a_chinese_message_and_an_english_msgstr() -> None:
    po = _errors_po()
    missing = [code.value for code in ErrorCode if code not in CATALOGUE]
    assert missing == []
    for code in ErrorCode:
        zh = CATALOGUE[code].zh
        assert _HAN.search(zh), code
        assert po.get((None, zh)), f"{code.value}: no msgstr for {zh!r} in errors.po"


def test_no_msgstr_is_empty_or_left_chinese() -> None:
    po = _errors_po()
    assert po, "errors.po is empty"
    for (context, msgid), msgstr in po.items():
        assert msgstr.strip(), msgid
        assert not _HAN.search(msgstr), f"{context or ''} {msgid} -> {msgstr}"
        assert msgstr.isascii(), msgstr
    for message in read_catalogue(ERRORS_PO):  # read_po drops nothing: empty ones count too
        if message.id:
            assert str(message.string).strip(), f"empty msgstr for {message.id!r}"


def test_english_keeps_the_chinese_placeholders() -> None:
    for code, spec in CATALOGUE.items():
        english_text = english().gettext(spec.zh)
        zh_names = set(_PLACEHOLDER.findall(spec.zh))
        assert set(_PLACEHOLDER.findall(english_text)) == zh_names, code


def test_every_noun_inside_a_message_has_its_english() -> None:
    for name, noun in NOUNS.items():
        zh = noun if isinstance(noun, str) else noun[0]
        translated = to_english_in("noun", zh)
        assert translated != zh, name
        assert translated.isascii(), name


def test_english_lives_only_in_the_po_file() -> None:
    """catalogue.py carries no English any more (`ErrorSpec(status, zh)`, nouns as strings)."""
    assert move_error_english.main(["--check"]) == 0, (
        "run: .venv/bin/python -m tests.i18n.move_error_english"
    )
    source = ast.parse(move_error_english.SOURCE.read_text(encoding="utf-8"))
    for node in ast.walk(source):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "ErrorSpec":
            assert len(node.args) == 2, ast.unparse(node)


def test_pages_and_errors_share_one_catalogue_without_contradictions() -> None:
    """The merged catalogue answers each msgid one way: no file silently shadows another."""
    files = po_files()
    assert files[0] == ERRORS_PO
    assert {p.parent.name for p in files} >= {"LC_MESSAGES", "en"}  # errors and pages
    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    clashes = []
    for po in files:
        for message in read_catalogue(po):
            if not message.id or not message.string:
                continue
            key = (message.context, str(message.id))
            if key in seen and seen[key][1] != message.string:
                clashes.append(f"{key}: {seen[key][0]} vs {po.name}")
            seen.setdefault(key, (po.name, str(message.string)))
    assert clashes == []
    # A page text and an error message come out of the same translations object.
    assert english().gettext(CATALOGUE[ErrorCode.ORDER_NOT_FOUND].zh) == "Order not found"
    assert english().gettext("收银终端") != "收银终端"


def test_render_reads_english_from_the_po_file() -> None:
    po = _errors_po()
    spec = CATALOGUE[ErrorCode.BINDING_MISSING]
    assert render(ErrorCode.BINDING_MISSING, {"platform": "douyin"}, "en") == po[
        (None, spec.zh)
    ].format(platform=po[("noun", "抖音")])
    assert render(ErrorCode.BINDING_MISSING, {"platform": "douyin"}) == (
        "门店未绑定抖音,请先在基础资料中绑定"
    )


def test_the_docs_table_takes_its_english_from_the_po_file() -> None:
    po = _errors_po()
    table = catalogue_markdown()
    for code, spec in CATALOGUE.items():
        assert f"| `{code.value}` | {spec.status} | {spec.zh} | {po[(None, spec.zh)]} |" in table


def test_the_api_answers_in_english_from_the_po_file(client: Any, auth: dict[str, str]) -> None:
    po = _errors_po()
    missing = client.get("/api/v1/orders/999999", headers={**auth, "Accept-Language": "en"})
    assert missing.status_code == 404
    body = missing.json()["error"]
    assert body["code"] == "order_not_found"
    assert body["message"] == po[(None, CATALOGUE[ErrorCode.ORDER_NOT_FOUND].zh)]
    chinese = client.get("/api/v1/orders/999999", headers=auth).json()["error"]
    assert chinese["message"] == "消费单不存在"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_console_shows_a_refusal_in_the_page_language(
    client: Any, demo: dict[str, Any], lang: str
) -> None:
    """A console page shows an error message from the same catalogue as its own words."""
    page = client.post(
        f"/console/login?lang={lang}",
        data={"username": demo["console"]["user"], "password": "wrong-password"},
        follow_redirects=False,
    )
    message = render(ErrorCode.UNAUTHORIZED, {}, lang)
    assert message in page.text
    if lang == "en":
        assert message == _errors_po()[(None, CATALOGUE[ErrorCode.UNAUTHORIZED].zh)]
