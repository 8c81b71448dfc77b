"""Money and times on pages go through one library (Babel): integer fen as yuan with no float
anywhere, times in the merchant's zone, in the page's locale (no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from voucherbridge.core.formatting import local_time, yuan
from voucherbridge.web import templating

BEIJING = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 12, 2, 6, 30, 5, tzinfo=UTC)  # 14:30 in Beijing


@pytest.mark.parametrize(
    ("fen", "shown"),
    [(0, "0.00"), (1, "0.01"), (-250, "-2.50"), (18400, "184.00"), (123456789, "1234567.89")],
)
def test_yuan_is_exact_in_both_locales(fen: int, shown: str) -> None:
    assert yuan(fen) == shown
    assert yuan(fen, "en") == shown


@pytest.mark.parametrize("not_fen", [1.5, Decimal("1.50"), "100", True])
def test_yuan_takes_integer_fen_only(not_fen: object) -> None:
    with pytest.raises(TypeError):
        yuan(not_fen)  # type: ignore[arg-type]


def test_times_are_shown_in_the_merchants_zone() -> None:
    assert local_time(MOMENT, BEIJING) == "2026-12-02 14:30"
    assert local_time(MOMENT, BEIJING, "en", "yyyy-MM-dd HH:mm:ss") == "2026-12-02 14:30:05"
    assert local_time(MOMENT.replace(tzinfo=None), BEIJING) == "2026-12-02 14:30"  # DB: UTC
    assert local_time(MOMENT.isoformat(), BEIJING) == "2026-12-02 14:30"
    # An ISO string from `iso` already carries the merchant's offset: kept as it is.
    assert local_time("2026-12-02T14:30:00+08:00", None) == "2026-12-02 14:30"
    assert local_time(None, BEIJING) == ""
    assert local_time("", None) == ""


def test_page_filters_use_the_pages_zone_and_language() -> None:
    page = templating.environment().from_string("{{ fen | yuan }} · {{ at | when }}")
    assert page.render(fen=18400, at=MOMENT, zone=BEIJING) == "184.00 · 2026-12-02 14:30"
    assert page.render(fen="-5", at=MOMENT) == "-0.05 · 2026-12-02 06:30"
    with pytest.raises(TypeError):
        page.render(fen=1.5, at=MOMENT)
