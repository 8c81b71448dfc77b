"""Voucher codes: generation, check digit, and recognising a scanned code's platform."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from stdnum import damm

from voucherbridge.domain.errors import DomainError, ErrorCode


class Platform(StrEnum):
    """Where a voucher was sold; `direct` is sold by the merchant through us."""

    WEIMALL = "weimall"
    DOUYIN = "douyin"
    MEITUAN = "meituan"
    DIRECT = "direct"


class CodeType(StrEnum):
    """`merchant`: we issue the code; `platform`: the platform issues and verifies it."""

    MERCHANT = "merchant"
    PLATFORM = "platform"


PLATFORM_LABELS_ZH: dict[Platform, str] = {
    Platform.WEIMALL: "微商城",
    Platform.DOUYIN: "抖音",
    Platform.MEITUAN: "美团",
    Platform.DIRECT: "本店",
}

# Seed 000: micro-mall codes start with J; the other letters are ours [PROTOCOLS.md §0].
MERCHANT_PREFIX: dict[Platform, str] = {
    Platform.WEIMALL: "J",
    Platform.DOUYIN: "D",
    Platform.MEITUAN: "M",
    Platform.DIRECT: "V",
}
PREFIX_PLATFORM: dict[str, Platform] = {v: k for k, v in MERCHANT_PREFIX.items()}

# 13 random decimal digits carry 43.2 bits; the Damm check digit catches every single-digit
# typo and every adjacent transposition a cashier can make on a keypad.
RANDOM_DIGITS = 13
MERCHANT_CODE_RE = re.compile(rf"^([A-Z])(\d{{{RANDOM_DIGITS + 1}}})$", re.ASCII)
DOUYIN_CODE_RE = re.compile(r"^\d{12,15}$", re.ASCII)
DOUYIN_LINK_RE = re.compile(r"^(https?://)?v\.douyin\.com/[A-Za-z0-9_-]+/?$", re.ASCII)
MEITUAN_CODE_RE = re.compile(r"^\d{10}$", re.ASCII)
MAX_SCANNED_LENGTH = 256
OVERLAP_LENGTH = 12


def generate_merchant_code(platform: Platform) -> str:
    """A fresh unguessable code: platform letter + 13 random digits + Damm check digit."""
    body = "".join(secrets.choice("0123456789") for _ in range(RANDOM_DIGITS))
    return MERCHANT_PREFIX[platform] + body + damm.calc_check_digit(body)


def has_valid_check_digit(code: str) -> bool:
    """True when a merchant code's last digit matches the Damm digit of its body."""
    match = MERCHANT_CODE_RE.match(code)
    return match is not None and bool(damm.is_valid(match.group(2)))


def normalize_code(raw: str) -> str:
    """What a scanner or a Chinese IME typed, as we store it: NFKC, no blanks, upper case.

    Full-width digits and letters (typed with a Chinese input method) become ASCII; zero-width
    and other format characters are dropped so a pasted code still matches.
    """
    text = unicodedata.normalize("NFKC", raw[: MAX_SCANNED_LENGTH * 2])
    text = "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch) != "Cf")
    if DOUYIN_LINK_RE.match(text):
        return text  # short links are case-sensitive
    return text.upper()


@dataclass(frozen=True, slots=True)
class ScannedCode:
    """What the shape of a scanned code says about it."""

    value: str
    platform: Platform
    code_type: CodeType
    is_link: bool = False
    # Platforms whose code formats this shape fits, most likely first; prepare asks each
    # bound one when there are several (PROTOCOLS.md §0).
    also: tuple[Platform, ...] = ()

    @property
    def candidates(self) -> tuple[Platform, ...]:
        return (self.platform, *self.also)


def classify_code(raw: str) -> ScannedCode:
    """Tell from a code's shape which platform it belongs to; unknown shapes are not found."""
    value = normalize_code(raw)
    if not value or len(value) > MAX_SCANNED_LENGTH:
        raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=value[:32])
    match = MERCHANT_CODE_RE.match(value)
    if match:
        platform = PREFIX_PLATFORM.get(match.group(1))
        if platform is None or not damm.is_valid(match.group(2)):
            raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=value)
        return ScannedCode(value, platform, CodeType.MERCHANT)
    if DOUYIN_LINK_RE.match(value):
        return ScannedCode(value, Platform.DOUYIN, CodeType.PLATFORM, is_link=True)
    if DOUYIN_CODE_RE.match(value):
        # Meituan's newer receipts are 12 digits too: the one shape both platforms use.
        also = (Platform.MEITUAN,) if len(value) == OVERLAP_LENGTH else ()
        return ScannedCode(value, Platform.DOUYIN, CodeType.PLATFORM, also=also)
    if MEITUAN_CODE_RE.match(value):
        return ScannedCode(value, Platform.MEITUAN, CodeType.PLATFORM)
    raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=value[:32])


def mask_code(code: str) -> str:
    """Show a code in logs and notifications without making it usable: J123******8901."""
    if len(code) <= 8:
        return code[:2] + "*" * max(len(code) - 2, 0)
    return code[:4] + "*" * (len(code) - 8) + code[-4:]
