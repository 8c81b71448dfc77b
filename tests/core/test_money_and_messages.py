"""Amounts as printed on receipts, and the messages the cashier reads."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import fen_to_yuan_str, yuan_to_fen
from voucherbridge.i18n.catalogue import CATALOGUE, message_template, pick_language, render

# --------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        ("19.9", 1990),
        ("19.90", 1990),
        ("0.005", 1),  # half a fen rounds up
        ("0.004", 0),
        ("0.015", 2),
        ("100", 10_000),
        ("100.00", 10_000),
        ("284.00", 28_400),
        ("0", 0),
        ("-1.5", -150),
        (100, 10_000),
        (Decimal("1.99"), 199),
    ],
)
def test_yuan_amounts_become_exact_fen(yuan: str | int | Decimal, fen: int) -> None:
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("bad", ["abc", "NaN", "nan", "sNaN", "inf", "-Infinity", "", "1,00"])
def test_non_amounts_are_refused_with_value_error(bad: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        yuan_to_fen(bad)


@pytest.mark.parametrize("huge", ["1e30", "12345678901234567890123456789"])
def test_absurdly_large_amounts_are_refused_with_value_error(huge: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        yuan_to_fen(huge)


@pytest.mark.parametrize(
    ("fen", "printed"),
    [
        (28_400, "284.00"),
        (5, "0.05"),
        (-150, "-1.50"),
        (0, "0.00"),
        (10_000, "100.00"),
        (-5, "-0.05"),
    ],
)
def test_fen_print_as_yuan_with_two_decimals(fen: int, printed: str) -> None:
    assert fen_to_yuan_str(fen) == printed


@settings(max_examples=200, deadline=None)
@given(st.integers(-(10**12), 10**12))
def test_printed_amount_reads_back_to_the_same_fen(fen: int) -> None:
    assert yuan_to_fen(fen_to_yuan_str(fen)) == fen


# --------------------------------------------------------------------------- messages


def test_every_error_code_has_a_message() -> None:
    missing = [code for code in ErrorCode if code not in CATALOGUE]
    assert missing == []


@pytest.mark.parametrize("code", list(CATALOGUE))
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_message_renders_even_without_details(code: ErrorCode, lang: str) -> None:
    message = render(code, {}, lang)
    assert message.strip()
    assert "{" not in message
    assert "}" not in message


@pytest.mark.parametrize("code", list(CATALOGUE))
def test_every_message_renders_from_its_own_domain_error(code: ErrorCode) -> None:
    err = DomainError(code, store="皇岗店", code="J123", minutes=60, platform="douyin")
    assert render(err.code, err.params, "zh")
    assert render(err.code, err.params, "en")


def test_chinese_messages_are_chinese_and_english_messages_are_english() -> None:
    for code, spec in CATALOGUE.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.zh), code
        assert message_template(code, "en").isascii(), code  # errors.po, see tests/i18n


def test_unknown_language_falls_back_to_chinese() -> None:
    assert render(ErrorCode.VOUCHER_NOT_FOUND, {}, "fr") == "票券不存在"


@pytest.mark.parametrize(
    ("code", "params", "message"),
    [
        (ErrorCode.VOUCHER_NOT_FOUND, {}, "票券不存在"),
        (ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER, {}, "订单中没有此券相关菜品,不能使用"),
        (
            ErrorCode.VOUCHER_STORE_NOT_APPLICABLE,
            {"store": "皇岗店", "code": "J123"},
            "皇岗店不能使用该票券,票券【消费号J123】不能使用!",
        ),
        (ErrorCode.REVERSAL_WINDOW_CLOSED, {"minutes": 60}, "核销已超过60分钟,不能反结账退券"),
        (ErrorCode.BINDING_MISSING, {"platform": "douyin"}, "门店未绑定抖音,请先在基础资料中绑定"),
        (
            ErrorCode.VOUCHER_MIN_SPEND_NOT_MET,
            {"min": "100.00"},
            "订单金额未满100.00元,不能使用该票券",
        ),
    ],
)
def test_seed_wording_is_kept_exactly(code: ErrorCode, params: dict, message: str) -> None:
    assert render(code, params) == message
    assert render(code, params, "zh") == message


def test_code_type_message_starts_with_the_seed_wording() -> None:
    assert render(ErrorCode.CODE_TYPE_IMMUTABLE, {}).startswith("券码类型不可以更改")


def test_platform_names_are_translated_inside_english_messages() -> None:
    assert render(ErrorCode.BINDING_MISSING, {"platform": "douyin"}, "en") == (
        "This store is not bound to Douyin; bind it first"
    )
    assert "美团" in render(ErrorCode.PLATFORM_UNAVAILABLE, {"platform": "meituan"})


def test_english_message_fills_in_store_and_code() -> None:
    message = render(
        ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, {"store": "Huanggang", "code": "J123"}, "en"
    )
    assert message == "Voucher J123 cannot be used at Huanggang"


# --------------------------------------------------------------------------- language


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en-US,en;q=0.9", "en"),
        ("en", "en"),
        ("EN-GB", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en;q=0.5,zh;q=0.9", "zh"),
        ("fr-FR,en;q=0.7", "en"),
        ("fr-FR,de;q=0.7", "zh"),
        ("garbage", "zh"),
        (";;;,,,q=", "zh"),
        ("*", "zh"),
    ],
)
def test_language_follows_the_browser_preference_defaulting_to_chinese(
    header: str | None, lang: str
) -> None:
    assert pick_language(header) == lang


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="latin-1"), max_size=80))
def test_any_accept_language_header_picks_zh_or_en(header: str) -> None:
    assert pick_language(header) in ("zh", "en")


@pytest.mark.parametrize("header", ["en;q=0", "en;q=0.000", "fr,en;q=0"])
def test_english_marked_not_acceptable_is_never_picked(header: str) -> None:
    assert pick_language(header) == "zh"


@pytest.mark.parametrize("header", ["en;q=NaN", "zh;q=nan, en", "en;q=sNaN"])
def test_nan_quality_in_accept_language_falls_back_to_chinese(header: str) -> None:
    assert pick_language(header) in ("zh", "en")


def test_a_use_the_platform_reports_without_when_or_where_reads_plainly() -> None:
    # Douyin or the micro-mall may say "used" for a use we never saw: no empty "(, )".
    bare = {"code": "123456789012", "time": "", "store": ""}
    assert render(ErrorCode.VOUCHER_ALREADY_REDEEMED, bare) == "票券已使用"
    assert render(ErrorCode.VOUCHER_ALREADY_REDEEMED, bare, "en") == "Voucher already used"
    known = {**bare, "time": "2025-05-25 12:30", "store": "皇岗店"}
    assert (
        render(ErrorCode.VOUCHER_ALREADY_REDEEMED, known) == "票券已使用 (2025-05-25 12:30, 皇岗店)"
    )
