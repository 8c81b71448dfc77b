"""The rule for every password a person sets (new user, reset, first HQ admin of a merchant):
8 to 256 characters, and not easy to guess as zxcvbn estimates it (score 3 of 4 or more).

Guessing starts from what the attacker knows about the chain, so the words of this merchant
(its name, its stores, the person's own names) and of the trade count as the commonest words:
"hotpot2024" for a 火锅 chain is weak. Scoring is pure CPU work; callers read those words in a
short transaction and score (and hash) before they open the one that writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zxcvbn import zxcvbn

from voucherbridge.domain.errors import DomainError, ErrorCode

MIN_PASSWORD = 8
MAX_PASSWORD = 256
MIN_SCORE = 3
# zxcvbn refuses longer input (its matching grows fast with length); 72 characters that are
# hard to guess make the whole password hard to guess.
_SCORED_CHARS = 72
# What an attacker tries first against a restaurant's console, in the pinyin and English that
# passwords are typed in (a merchant's Chinese name does not tell zxcvbn about "hotpot").
TRADE_WORDS = (
    "hotpot",
    "huoguo",
    "restaurant",
    "canting",
    "fandian",
    "canyin",
    "store",
    "mendian",
    "voucher",
    "quanqiao",
    "voucherbridge",
    "tuangou",
    "douyin",
    "meituan",
    "weimall",
    "weixin",
    "wechat",
    "cashier",
    "shouyin",
    "admin",
    "manager",
    "dianzhang",
    "zongbu",
)


def check_length(value: Any) -> str:
    """The password, if it is text of an allowed length (the quick check, before any reading)."""
    if not isinstance(value, str) or not MIN_PASSWORD <= len(value) <= MAX_PASSWORD:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="password", min_length=MIN_PASSWORD)
    return value


def check_strength(password: str, *, known: Iterable[str]) -> None:
    """Refuse a password that is easy to guess for someone who knows the words in `known`."""
    words = _guessing_words(known)
    if zxcvbn(password[:_SCORED_CHARS], user_inputs=words)["score"] < MIN_SCORE:
        raise DomainError(ErrorCode.PASSWORD_WEAK, field="password")


def _guessing_words(known: Iterable[str]) -> list[str]:
    words = list(TRADE_WORDS)
    for text in known:
        name = text.strip().lower()
        if not name:
            continue
        words.append(name)
        if not name.isascii() and len(name) <= 20:
            # 火锅 out of 右姑娘火锅, 皇岗 out of 皇岗店: Chinese names are not split by spaces.
            words += [name[i:j] for i in range(len(name)) for j in range(i + 2, len(name) + 1)]
    return words
