"""How times and money leave the service: ISO 8601 in the merchant's zone for the APIs, and
Babel's formatting in the reader's locale (zh_CN, or en) for pages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal

# Page language -> Babel locale.
LOCALES = {"zh": "zh_CN", "en": "en"}
MINUTE = "yyyy-MM-dd HH:mm"  # 2020-05-25 17:31: the console's tables, in the merchant's zone
SECOND = "yyyy-MM-dd HH:mm:ss"
# Two decimals and no grouping, as the receipts print yuan (184.00): only the locale's symbols.
YUAN = "0.00"


def iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """ISO 8601 in the merchant's zone, with its offset: 2020-05-25T17:31:00+08:00."""
    return moment.astimezone(zone).isoformat() if moment else None


def locale_of(lang: str) -> str:
    return LOCALES.get(lang, LOCALES["zh"])


def local_time(
    moment: datetime | str | None, zone: ZoneInfo | None, lang: str = "zh", pattern: str = MINUTE
) -> str:
    """A moment as a person reads it in the merchant's zone (`zone`; None keeps the moment's
    own offset, as an ISO string from `iso` carries the merchant's already; a naive one is
    UTC, as the database keeps it); "" for none."""
    if moment is None or moment == "":
        return ""
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:  # the database keeps UTC
        when = when.replace(tzinfo=UTC)
    shown = when.astimezone(zone) if zone is not None else when
    return format_datetime(shown, pattern, tzinfo=shown.tzinfo, locale=locale_of(lang))


def yuan(fen: int, lang: str = "zh") -> str:
    """Integer fen as yuan for a page: 18400 -> 184.00 (exact: Decimal, never a float)."""
    if not isinstance(fen, int) or isinstance(fen, bool):
        raise TypeError("money is integer fen")
    return format_decimal(Decimal(fen).scaleb(-2), format=YUAN, locale=locale_of(lang))
