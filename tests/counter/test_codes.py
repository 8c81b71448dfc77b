"""Voucher codes as a cashier types or scans them."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import damm

from voucherbridge.domain.codes import (
    MERCHANT_PREFIX,
    RANDOM_DIGITS,
    CodeType,
    Platform,
    ScannedCode,
    classify_code,
    generate_merchant_code,
    has_valid_check_digit,
    mask_code,
    normalize_code,
)
from voucherbridge.domain.errors import DomainError, ErrorCode

EXPECTED_PREFIX = {
    Platform.WEIMALL: "J",
    Platform.DOUYIN: "D",
    Platform.MEITUAN: "M",
    Platform.DIRECT: "V",
}
DIGITS = "0123456789"
ZERO_WIDTH_SPACE = "\u200b"


def full_width(text: str) -> str:
    """What a Chinese IME in full-width mode types for ASCII letters and digits."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def not_found(raw: str) -> DomainError:
    with pytest.raises(DomainError) as err:
        classify_code(raw)
    assert err.value.code is ErrorCode.VOUCHER_NOT_FOUND
    return err.value


# Valid merchant codes built deterministically (Hypothesis must control the randomness).
bodies = st.text(alphabet=DIGITS, min_size=RANDOM_DIGITS, max_size=RANDOM_DIGITS)
platforms = st.sampled_from(list(Platform))


@st.composite
def valid_codes(draw: st.DrawFn) -> str:
    body = draw(bodies)
    return MERCHANT_PREFIX[draw(platforms)] + body + damm.calc_check_digit(body)


# --------------------------------------------------------------------------- generation


@pytest.mark.parametrize("platform", list(Platform))
def test_generated_code_starts_with_the_platform_letter_and_scans_back(platform) -> None:
    for _ in range(50):
        code = generate_merchant_code(platform)
        assert code[0] == EXPECTED_PREFIX[platform]
        assert len(code) == 15
        assert code[1:].isascii()
        assert code[1:].isdigit()
        assert has_valid_check_digit(code)
        scanned = classify_code(code)
        assert scanned == ScannedCode(code, platform, CodeType.MERCHANT)


def test_weimall_codes_start_with_j_like_the_seed() -> None:
    assert generate_merchant_code(Platform.WEIMALL).startswith("J")


def test_generated_codes_do_not_repeat() -> None:
    codes = {generate_merchant_code(Platform.WEIMALL) for _ in range(2000)}
    assert len(codes) == 2000


def test_codes_carry_at_least_40_bits_of_randomness() -> None:
    assert RANDOM_DIGITS * math.log2(10) >= 40


def test_check_digit_is_rejected_on_wrong_shapes() -> None:
    assert not has_valid_check_digit("")
    assert not has_valid_check_digit("J123")
    assert not has_valid_check_digit("j" + "0" * 14)


# --------------------------------------------------------------------------- typos


@settings(max_examples=200, deadline=None)
@given(valid_codes(), st.integers(1, 14), st.integers(1, 9))
def test_a_single_mistyped_digit_is_never_accepted(code: str, position: int, shift: int) -> None:
    assert classify_code(code).code_type is CodeType.MERCHANT
    wrong = str((int(code[position]) + shift) % 10)
    typo = code[:position] + wrong + code[position + 1 :]
    assert not has_valid_check_digit(typo)
    not_found(typo)


@settings(max_examples=200, deadline=None)
@given(valid_codes(), st.integers(1, 13))
def test_two_swapped_neighbouring_digits_are_never_accepted(code: str, position: int) -> None:
    a, b = code[position], code[position + 1]
    if a == b:
        position = next((i for i in range(1, 14) if code[i] != code[i + 1]), 0)
        if position == 0:  # all digits equal: nothing to swap
            return
        a, b = code[position], code[position + 1]
    swapped = code[:position] + b + a + code[position + 2 :]
    assert not has_valid_check_digit(swapped)
    not_found(swapped)


# --------------------------------------------------------------------------- classification


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=DIGITS, min_size=12, max_size=15))
def test_twelve_to_fifteen_digit_numbers_are_douyin_codes(code: str) -> None:
    scanned = classify_code(code)
    assert (scanned.value, scanned.platform, scanned.code_type) == (
        code,
        Platform.DOUYIN,
        CodeType.PLATFORM,
    )


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=DIGITS, min_size=10, max_size=10))
def test_ten_digit_numbers_are_meituan_codes(code: str) -> None:
    assert classify_code(code) == ScannedCode(code, Platform.MEITUAN, CodeType.PLATFORM)


@pytest.mark.parametrize(
    "link",
    [
        "https://v.douyin.com/iRNBho6u/",
        "http://v.douyin.com/iRNBho6u",
        "v.douyin.com/AbC_d-9/",
    ],
)
def test_douyin_short_link_is_a_douyin_link_and_keeps_its_case(link: str) -> None:
    scanned = classify_code(f"  {link} ")
    assert scanned.platform is Platform.DOUYIN
    assert scanned.code_type is CodeType.PLATFORM
    assert scanned.is_link
    assert scanned.value == link


def test_code_with_unknown_prefix_letter_is_not_found() -> None:
    body = "1234567890123"
    valid_digits = body + damm.calc_check_digit(body)
    assert classify_code("J" + valid_digits).platform is Platform.WEIMALL
    for letter in "ABXZ":
        not_found(letter + valid_digits)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "\t\n\u3000",
        ZERO_WIDTH_SPACE * 3,
        "hello",
        "票券",
        "12345678901",  # 11 digits: neither Meituan nor Douyin
        "123456789",
        "1234567890123456",  # 16 digits
        "J1234",
        "https://example.com/iRNBho6u",
        "J" + "1" * 300,
        "9" * 300,
    ],
)
def test_garbage_is_reported_as_voucher_not_found(raw: str) -> None:
    not_found(raw)


def test_not_found_error_never_echoes_a_huge_scan() -> None:
    err = not_found("X" * 300)
    assert len(err.params["code"]) <= 32


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_anything_scanned_is_either_recognised_or_voucher_not_found(raw: str) -> None:
    refusal: ErrorCode | None = None
    try:
        scanned = classify_code(raw)
    except DomainError as err:
        refusal = err.code
    if refusal is not None:
        assert refusal is ErrorCode.VOUCHER_NOT_FOUND
    else:
        assert isinstance(scanned, ScannedCode)
        assert scanned.value


# --------------------------------------------------------------------------- normalisation


@settings(max_examples=100, deadline=None)
@given(valid_codes())
def test_code_typed_with_a_chinese_ime_or_pasted_sloppily_is_the_same_code(code: str) -> None:
    variants = [
        full_width(code),  # Ｊ０１２… from a Chinese input method
        code.lower(),
        f"  {code}\t\n",
        ZERO_WIDTH_SPACE + code[:5] + ZERO_WIDTH_SPACE + code[5:] + "\ufeff",
        "\u3000" + full_width(code.lower()) + " ",
    ]
    for raw in variants:
        assert normalize_code(raw) == code
        assert classify_code(raw) == classify_code(code)


def test_full_width_douyin_code_is_recognised() -> None:
    assert classify_code(full_width("123456789012")).value == "123456789012"


def test_recognised_codes_are_plain_ascii() -> None:
    arabic_indic = "".join(chr(0x660 + int(d)) for d in "123456789012")
    with pytest.raises(DomainError):
        classify_code(arabic_indic)


# --------------------------------------------------------------------------- masking


def test_mask_hides_the_middle_of_a_merchant_code() -> None:
    code = "J12345678901234"
    masked = mask_code(code)
    assert masked == "J123*******1234"
    assert "5678901" not in masked


@settings(max_examples=100, deadline=None)
@given(valid_codes())
def test_masked_code_cannot_be_used_as_a_code(code: str) -> None:
    masked = mask_code(code)
    assert masked != code
    assert masked.count("*") == len(code) - 8
    not_found(masked)


@pytest.mark.parametrize(("code", "masked"), [("", ""), ("J1", "J1"), ("J1234567", "J1******")])
def test_mask_of_a_short_code_shows_at_most_two_characters(code: str, masked: str) -> None:
    assert mask_code(code) == masked


def test_twelve_digit_numbers_may_be_douyin_or_meituan():
    """The one shape both platforms use: prepare asks each bound platform (PROTOCOLS §0)."""
    twelve = classify_code("620123456789")
    assert twelve.candidates == (Platform.DOUYIN, Platform.MEITUAN)
    assert classify_code("6201234567890").candidates == (Platform.DOUYIN,)
    assert classify_code("1234567890").candidates == (Platform.MEITUAN,)
