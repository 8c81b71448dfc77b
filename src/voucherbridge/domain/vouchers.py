"""Voucher templates, their validity rules, and the life cycle of a code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from voucherbridge.domain.errors import DomainError, ErrorCode


class VoucherKind(StrEnum):
    """代金券 cash, 实物券 item, 抵扣券 deduction, 套餐 combo."""

    CASH = "cash"
    ITEM = "item"
    DEDUCTION = "deduction"
    COMBO = "combo"


class ValidityMode(StrEnum):
    """Fixed calendar dates, or N days counted from the purchase."""

    FIXED = "fixed"
    RELATIVE = "relative"


class CodeStatus(StrEnum):
    """issued → redeemed → issued (reversed); issued → voided; issued → expired."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    VOIDED = "voided"
    EXPIRED = "expired"


ALLOWED_TRANSITIONS: frozenset[tuple[CodeStatus, CodeStatus]] = frozenset(
    {
        (CodeStatus.ISSUED, CodeStatus.REDEEMED),
        (CodeStatus.REDEEMED, CodeStatus.ISSUED),
        (CodeStatus.ISSUED, CodeStatus.VOIDED),
        (CodeStatus.ISSUED, CodeStatus.EXPIRED),
    }
)


def can_transition(current: CodeStatus, target: CodeStatus) -> bool:
    """Whether the code state machine allows moving from `current` to `target`."""
    return (current, target) in ALLOWED_TRANSITIONS


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A daily window in the merchant's zone; end before start means it crosses midnight."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start

    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class UsageRules:
    """When a voucher may be used: ISO weekdays (1 = Monday) and daily windows, local time."""

    weekdays: frozenset[int] = frozenset()
    windows: tuple[TimeWindow, ...] = ()

    def allows(self, local: datetime) -> bool:
        """True when the local moment falls in a window on an allowed weekday.

        The part of a window after midnight belongs to the day it started on: a Friday
        22:00-02:00 window admits Saturday 01:00 even when only Friday is allowed.
        """
        day = local.isoweekday()
        clock = local.time().replace(tzinfo=None)
        if not self.windows:
            return not self.weekdays or day in self.weekdays
        for window in self.windows:
            if window.crosses_midnight:
                if clock >= window.start and self._day_ok(day):
                    return True
                if clock < window.end and self._day_ok((day + 5) % 7 + 1):
                    return True
            elif window.start <= clock < window.end and self._day_ok(day):
                return True
        return False

    def _day_ok(self, day: int) -> bool:
        return not self.weekdays or day in self.weekdays


# A voucher's dates stay where a calendar, a receipt and a platform all agree they exist: no
# code lives before 2000 or after 2099, nor longer than ten years from its purchase. Outside
# this range day arithmetic overflows (9999-12-31 + 1 day) and no merchant means it anyway.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
MAX_VALID_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Validity:
    """How long codes of a template live."""

    mode: ValidityMode
    valid_from: date | None = None
    valid_to: date | None = None
    valid_days: int | None = None

    def __post_init__(self) -> None:
        if self.mode is ValidityMode.FIXED:
            if self.valid_from is None or self.valid_to is None:
                raise DomainError(ErrorCode.VALIDATION_ERROR, field="validity", reason="dates")
            for name, day in (("valid_from", self.valid_from), ("valid_to", self.valid_to)):
                if not EARLIEST_DAY <= day <= LATEST_DAY:
                    raise DomainError(ErrorCode.VALIDATION_ERROR, field=name, reason="range")
            if self.valid_to < self.valid_from:
                raise DomainError(ErrorCode.VALIDATION_ERROR, field="valid_to", reason="order")
        elif self.valid_days is None or not 1 <= self.valid_days <= MAX_VALID_DAYS:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="valid_days", reason="range")

    def period_for(self, issued_at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The [start, end) of a code issued at `issued_at`, in UTC, whole local days."""
        if self.mode is ValidityMode.FIXED:
            assert self.valid_from is not None
            assert self.valid_to is not None
            start_day, end_day = self.valid_from, self.valid_to
        else:
            assert self.valid_days is not None
            start_day = issued_at.astimezone(zone).date()
            end_day = start_day + timedelta(days=self.valid_days - 1)
        start = datetime.combine(start_day, time.min, tzinfo=zone)
        end = datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Template:
    """The rules behind a family of codes (活动 / 券模板)."""

    id: int
    merchant_id: int
    kind: VoucherKind
    name: str
    face_value_fen: int
    price_fen: int
    item_codes: tuple[str, ...] = ()
    min_spend_fen: int = 0
    store_ids: frozenset[int] = frozenset()
    usage: UsageRules = field(default_factory=UsageRules)
    per_order_limit: int = 1
    stackable: bool = True

    def applies_to_store(self, store_id: int) -> bool:
        """Empty `store_ids` means every store of the merchant (适用门店)."""
        return not self.store_ids or store_id in self.store_ids


def validate_template_shape(
    kind: VoucherKind, face_value_fen: int, price_fen: int, item_codes: Sequence[str]
) -> None:
    """Refuse templates that could never be redeemed sensibly."""
    if face_value_fen < 0 or price_fen < 0:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="face_value_fen", reason="negative")
    if kind is VoucherKind.CASH and face_value_fen <= 0:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="face_value_fen", reason="positive")
    if kind is VoucherKind.DEDUCTION and face_value_fen <= 0:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="face_value_fen", reason="positive")
    if kind is not VoucherKind.CASH and not item_codes:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="item_codes", reason="required")
    if kind is VoucherKind.ITEM and len(item_codes) != 1:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="item_codes", reason="one_item")


def check_usable_at(
    *,
    now: datetime,
    valid_from: datetime,
    valid_until: datetime,
    usage: UsageRules,
    zone: ZoneInfo,
) -> None:
    """Raise the catalogue error when a code cannot be used at `now`."""
    if now < valid_from:
        raise DomainError(
            ErrorCode.VOUCHER_NOT_YET_VALID,
            valid_from=valid_from.astimezone(zone).isoformat(),
        )
    if now >= valid_until:
        raise DomainError(
            ErrorCode.VOUCHER_EXPIRED, valid_until=valid_until.astimezone(zone).isoformat()
        )
    if not usage.allows(now.astimezone(zone)):
        raise DomainError(
            ErrorCode.VOUCHER_OUTSIDE_USAGE_HOURS,
            windows=describe_usage(usage),
        )


WEEKDAY_ZH = {1: "周一", 2: "周二", 3: "周三", 4: "周四", 5: "周五", 6: "周六", 7: "周日"}


def describe_usage(usage: UsageRules) -> str:
    """A short Chinese description of the usage rules: 周一、周五 11:00-14:00."""
    days = "、".join(WEEKDAY_ZH[d] for d in sorted(usage.weekdays)) if usage.weekdays else "每天"
    windows = "、".join(w.label() for w in usage.windows) if usage.windows else "全天"
    return f"{days} {windows}"
