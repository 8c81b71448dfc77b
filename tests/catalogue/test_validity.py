"""When a voucher may be used: validity periods and usage hours, in the merchant's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.vouchers import (
    TimeWindow,
    UsageRules,
    Validity,
    ValidityMode,
    check_usable_at,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
LUNCH = TimeWindow(time(11, 0), time(14, 0))
LATE_NIGHT = TimeWindow(time(22, 0), time(2, 0))
FRIDAY = 5


def sh(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """A wall-clock moment in Shanghai."""
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


# --------------------------------------------------------------------------- periods


def test_fixed_period_covers_whole_local_days_in_shanghai() -> None:
    validity = Validity(ValidityMode.FIXED, valid_from=date(2026, 1, 1), valid_to=date(2026, 1, 31))
    start, end = validity.period_for(datetime(2025, 6, 1, tzinfo=UTC), SHANGHAI)
    assert start == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 1, 31, 16, 0, tzinfo=UTC)
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC


def test_fixed_period_does_not_depend_on_the_purchase_time() -> None:
    validity = Validity(ValidityMode.FIXED, valid_from=date(2026, 1, 1), valid_to=date(2026, 1, 31))
    assert validity.period_for(sh(2025, 1, 1), SHANGHAI) == validity.period_for(
        sh(2026, 1, 15, 23, 59), SHANGHAI
    )


def test_relative_30_days_bought_late_at_night_counts_the_purchase_day_as_day_one() -> None:
    validity = Validity(ValidityMode.RELATIVE, valid_days=30)
    start, end = validity.period_for(sh(2026, 1, 1, 23, 30), SHANGHAI)
    assert start == sh(2026, 1, 1)
    # Valid through the whole of 2026-01-30 local time (day 30), gone at its midnight.
    assert end == sh(2026, 1, 31)
    assert end == datetime(2026, 1, 30, 16, 0, tzinfo=UTC)


def test_relative_period_counts_from_the_local_date_not_the_utc_date() -> None:
    validity = Validity(ValidityMode.RELATIVE, valid_days=1)
    purchase_utc = datetime(2026, 2, 28, 16, 30, tzinfo=UTC)  # 2026-03-01 00:30 in Shanghai
    assert purchase_utc == sh(2026, 3, 1, 0, 30)
    start, end = validity.period_for(purchase_utc, SHANGHAI)
    assert start == sh(2026, 3, 1)
    assert end == sh(2026, 3, 2)


@pytest.mark.parametrize(
    ("purchase", "valid_days", "end_local", "hours"),
    [
        # US spring forward on 2026-03-08: that day has 23 hours.
        (datetime(2026, 3, 8, 10, 0, tzinfo=NEW_YORK), 1, date(2026, 3, 9), 23),
        (datetime(2026, 3, 7, 20, 0, tzinfo=NEW_YORK), 2, date(2026, 3, 9), 47),
        # US fall back on 2026-11-01: that day has 25 hours.
        (datetime(2026, 11, 1, 1, 30, tzinfo=NEW_YORK), 1, date(2026, 11, 2), 25),
        (datetime(2026, 10, 31, 12, 0, tzinfo=NEW_YORK), 3, date(2026, 11, 3), 73),
    ],
)
def test_relative_period_ends_at_local_midnight_across_a_dst_change(
    purchase: datetime, valid_days: int, end_local: date, hours: int
) -> None:
    start, end = Validity(ValidityMode.RELATIVE, valid_days=valid_days).period_for(
        purchase, NEW_YORK
    )
    local_end = end.astimezone(NEW_YORK)
    assert local_end.time() == time(0, 0)
    assert local_end.date() == end_local
    assert start.astimezone(NEW_YORK).time() == time(0, 0)
    assert end - start == timedelta(hours=hours)


@settings(max_examples=100, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds must be naive
        max_value=datetime(2090, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.integers(1, 400),
)
def test_relative_code_is_always_usable_at_the_moment_it_was_bought(
    purchase: datetime, valid_days: int
) -> None:
    start, end = Validity(ValidityMode.RELATIVE, valid_days=valid_days).period_for(
        purchase, SHANGHAI
    )
    assert start <= purchase < end
    assert (end.astimezone(SHANGHAI).date() - start.astimezone(SHANGHAI).date()).days == (
        valid_days
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": ValidityMode.FIXED, "valid_from": date(2026, 1, 1)},
        {"mode": ValidityMode.FIXED, "valid_from": date(2026, 2, 1), "valid_to": date(2026, 1, 1)},
        {"mode": ValidityMode.RELATIVE},
        {"mode": ValidityMode.RELATIVE, "valid_days": 0},
    ],
)
def test_nonsensical_validity_is_refused(kwargs: dict) -> None:
    with pytest.raises(DomainError) as err:
        Validity(**kwargs)
    assert err.value.code is ErrorCode.VALIDATION_ERROR


def test_single_day_fixed_validity_is_allowed() -> None:
    validity = Validity(ValidityMode.FIXED, valid_from=date(2026, 1, 1), valid_to=date(2026, 1, 1))
    start, end = validity.period_for(sh(2026, 1, 1), SHANGHAI)
    assert end - start == timedelta(days=1)


# --------------------------------------------------------------------------- usage rules


def test_weekday_only_voucher_works_monday_to_friday_only() -> None:
    rules = UsageRules(weekdays=frozenset({1, 2, 3, 4, 5}))
    monday = sh(2026, 3, 2, 12)
    for offset in range(7):
        moment = monday + timedelta(days=offset)
        assert rules.allows(moment) is (offset < 5), moment


def test_lunch_window_includes_its_start_and_excludes_its_end() -> None:
    rules = UsageRules(windows=(LUNCH,))
    assert not rules.allows(sh(2026, 3, 2, 10, 59, 59))
    assert rules.allows(sh(2026, 3, 2, 11, 0))
    assert rules.allows(sh(2026, 3, 2, 13, 59, 59))
    assert not rules.allows(sh(2026, 3, 2, 14, 0))


def test_friday_late_night_window_runs_past_midnight_into_saturday() -> None:
    rules = UsageRules(weekdays=frozenset({FRIDAY}), windows=(LATE_NIGHT,))
    friday, saturday = sh(2026, 3, 6), sh(2026, 3, 7)
    assert friday.isoweekday() == FRIDAY
    assert rules.allows(friday.replace(hour=23))
    assert rules.allows(friday.replace(hour=22))
    assert rules.allows(saturday.replace(hour=1))
    assert rules.allows(saturday.replace(hour=1, minute=59))
    assert not rules.allows(saturday.replace(hour=2))
    assert not rules.allows(saturday.replace(hour=23))
    assert not rules.allows(friday.replace(hour=1))  # belongs to Thursday's window
    assert not rules.allows(friday.replace(hour=12))


def test_sunday_late_night_window_runs_into_monday() -> None:
    rules = UsageRules(weekdays=frozenset({7}), windows=(LATE_NIGHT,))
    assert sh(2026, 3, 8).isoweekday() == 7
    assert rules.allows(sh(2026, 3, 8, 23))  # Sunday 23:00
    assert rules.allows(sh(2026, 3, 9, 1))  # Monday 01:00, still Sunday night
    assert not rules.allows(sh(2026, 3, 8, 1))  # Sunday 01:00 belongs to Saturday night
    assert not rules.allows(sh(2026, 3, 9, 23))  # Monday 23:00


local_moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds must be naive
    max_value=datetime(2090, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([SHANGHAI, NEW_YORK, UTC]),
)


@settings(max_examples=200, deadline=None)
@given(local_moments)
def test_voucher_without_day_or_hour_rules_is_usable_any_time(moment: datetime) -> None:
    assert UsageRules().allows(moment)


@settings(max_examples=200, deadline=None)
@given(
    local_moments,
    st.frozensets(st.integers(1, 7), min_size=1),
    st.times(),
    st.times(),
)
def test_hours_rules_agree_with_the_clock_and_calendar(
    moment: datetime, weekdays: frozenset[int], start: time, end: time
) -> None:
    window = TimeWindow(start, end)
    rules = UsageRules(weekdays=weekdays, windows=(window,))
    clock = moment.time()
    today, yesterday = moment.isoweekday(), (moment - timedelta(days=1)).isoweekday()
    if window.crosses_midnight:
        expected = (clock >= start and today in weekdays) or (clock < end and yesterday in weekdays)
    else:
        expected = start <= clock < end and today in weekdays
    assert rules.allows(moment) is expected


# --------------------------------------------------------------------------- check_usable_at

VALID_FROM = sh(2026, 1, 1)
VALID_UNTIL = sh(2026, 2, 1)


def check(now: datetime, usage: UsageRules | None = None) -> None:
    check_usable_at(
        now=now,
        valid_from=VALID_FROM.astimezone(UTC),
        valid_until=VALID_UNTIL.astimezone(UTC),
        usage=usage or UsageRules(),
        zone=SHANGHAI,
    )


def test_voucher_cannot_be_used_before_its_period_starts() -> None:
    with pytest.raises(DomainError) as err:
        check(VALID_FROM - timedelta(seconds=1))
    assert err.value.code is ErrorCode.VOUCHER_NOT_YET_VALID
    assert err.value.params["valid_from"].startswith("2026-01-01T00:00:00+08:00")


def test_voucher_is_usable_from_the_first_second_to_the_last() -> None:
    check(VALID_FROM)
    check(VALID_UNTIL - timedelta(microseconds=1))


def test_voucher_expires_exactly_at_the_end_of_its_period() -> None:
    with pytest.raises(DomainError) as err:
        check(VALID_UNTIL)
    assert err.value.code is ErrorCode.VOUCHER_EXPIRED
    assert err.value.params["valid_until"].startswith("2026-02-01T00:00:00+08:00")


def test_lunch_voucher_outside_lunch_names_the_allowed_hours() -> None:
    lunch_only = UsageRules(windows=(LUNCH,))
    check(sh(2026, 1, 15, 12), lunch_only)
    with pytest.raises(DomainError) as err:
        check(sh(2026, 1, 15, 18), lunch_only)
    assert err.value.code is ErrorCode.VOUCHER_OUTSIDE_USAGE_HOURS
    assert "11:00-14:00" in err.value.params["windows"]


def test_usage_hours_are_judged_in_the_merchants_zone_not_utc() -> None:
    lunch_only = UsageRules(windows=(LUNCH,))
    check(datetime(2026, 1, 15, 4, 0, tzinfo=UTC), lunch_only)  # 12:00 in Shanghai
    with pytest.raises(DomainError) as err:
        check(datetime(2026, 1, 15, 12, 0, tzinfo=UTC), lunch_only)  # 20:00 in Shanghai
    assert err.value.code is ErrorCode.VOUCHER_OUTSIDE_USAGE_HOURS


def test_expired_wins_over_outside_hours() -> None:
    with pytest.raises(DomainError) as err:
        check(VALID_UNTIL + timedelta(days=1, hours=20), UsageRules(windows=(LUNCH,)))
    assert err.value.code is ErrorCode.VOUCHER_EXPIRED


# --------------------------------------------------------------------------- range


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.integers(min_value=0, max_value=400),
    # hypothesis takes naive bounds and attaches the zone itself
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001
        max_value=datetime(2099, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
)
def test_every_period_inside_the_range_can_be_computed(
    start: date, length: int, issued: datetime
) -> None:
    end = min(start + timedelta(days=length), date(2099, 12, 31))
    fixed = Validity(ValidityMode.FIXED, valid_from=start, valid_to=end)
    begins, ends = fixed.period_for(issued, SHANGHAI)
    assert begins < ends
    relative = Validity(ValidityMode.RELATIVE, valid_days=length % 3650 + 1)
    begins, ends = relative.period_for(issued, SHANGHAI)
    assert begins < ends


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "field"),
    [
        (date(9999, 12, 30), date(9999, 12, 31), "valid_from"),
        (date(1, 1, 1), date(1, 1, 2), "valid_from"),
        (date(1999, 12, 31), date(2000, 1, 1), "valid_from"),
        (date(2099, 12, 31), date(2100, 1, 1), "valid_to"),
    ],
)
def test_dates_outside_2000_to_2099_are_refused_by_name(
    valid_from: date, valid_to: date, field: str
) -> None:
    with pytest.raises(DomainError) as refused:
        Validity(ValidityMode.FIXED, valid_from=valid_from, valid_to=valid_to)
    assert refused.value.code is ErrorCode.VALIDATION_ERROR
    assert refused.value.params["field"] == field


@pytest.mark.parametrize("days", [0, 3651, 10**9])
def test_relative_validity_is_one_day_to_ten_years(days: int) -> None:
    with pytest.raises(DomainError) as refused:
        Validity(ValidityMode.RELATIVE, valid_days=days)
    assert refused.value.params["field"] == "valid_days"
