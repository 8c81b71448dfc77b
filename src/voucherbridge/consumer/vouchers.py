"""我的优惠: the codes a consumer bought for their openid, as the phone shows them.

Only codes whose order's buyer is this openid, within this merchant: anyone else's code, or
another merchant's, is not there at all (the page answers 404, as for an unknown code).
Usable codes come first (soonest to end first), then used, expired and refunded ones.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from voucherbridge.catalogue.repository import TemplateRepo
from voucherbridge.chain.merchants import merchant_zone
from voucherbridge.chain.repository import MerchantRepo, StoreRepo
from voucherbridge.consumer.repository import ConsumerCodeRepo, OwnedCode
from voucherbridge.core.clock import utc_now
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.records import TemplateRow

# What the phone says of a code; Chinese is the msgid the page's .po translates.
STATUS_LABELS = {
    "usable": "可使用",
    "not_yet": "未到使用时间",
    "used": "已使用",
    "expired": "已过期",
    "voided": "已退款",
}
_ORDER = {"usable": 0, "not_yet": 1, "used": 2, "expired": 3, "voided": 4}


@dataclass(frozen=True)
class VoucherStore:
    id: int
    name: str
    address: str


@dataclass(frozen=True)
class MyVoucher:
    code: str
    title: str  # the voucher, as the template names it: 100元代金券
    bought_as: str  # what was bought, as the listing names it: 60代100元票券抢购
    status: str  # usable | not_yet | used | expired | voided
    status_label: str  # Chinese (STATUS_LABELS); pages translate it
    valid_from: datetime  # in the merchant's zone
    valid_to: datetime  # in the merchant's zone; the end, exclusive (midnight after the last day)
    face_value_fen: int
    kind: str
    platform: str
    stores: tuple[VoucherStore, ...]
    usable_now: bool  # right now: unused, in its dates and its daily hours
    usage_hours: str  # "11:00-14:00" when limited to hours of the day, else ""
    redeemed_at: datetime | None  # in the merchant's zone

    @property
    def open(self) -> bool:
        """Still to be used (now or later): its page shows the QR code."""
        return self.status in ("usable", "not_yet")

    @property
    def last_day(self) -> str:
        """The last day it can be used, as the merchant's calendar has it (YYYY-MM-DD)."""
        return (self.valid_to - timedelta(microseconds=1)).date().isoformat()


def my_vouchers(
    uow: UnitOfWork,
    merchant_id: int,
    openid: str,
    store_id: int | None = None,
    *,
    now: datetime | None = None,
) -> list[MyVoucher]:
    """The consumer's codes at this merchant; with `store_id`, only those that apply there."""
    return _mine(uow, merchant_id, openid, store_id, None, now or utc_now())


def my_voucher(
    uow: UnitOfWork, merchant_id: int, openid: str, code: str, *, now: datetime | None = None
) -> MyVoucher | None:
    """One code of the consumer's, or None (unknown, someone else's, another merchant's)."""
    if not isinstance(code, str) or not code or len(code) > 64:
        return None
    found = _mine(uow, merchant_id, openid, None, code, now or utc_now())
    return found[0] if found else None


def _mine(
    uow: UnitOfWork,
    merchant_id: int,
    openid: str,
    store_id: int | None,
    code: str | None,
    now: datetime,
) -> list[MyVoucher]:
    if not openid:
        return []
    # A caller may hand us its open unit of work (self-pay reads inside its own transaction).
    with nullcontext(uow) if uow.is_open else uow:
        owned = uow.repo(ConsumerCodeRepo).owned(merchant_id, openid, code)
        if not owned:
            return []
        zone = merchant_zone(uow, merchant_id)
        stores = [s for s in uow.repo(StoreRepo).list(merchant_id) if s.active]
        templates: dict[int, TemplateRow | None] = {}
        for row in owned:
            if row.template_id not in templates:
                found = uow.repo(TemplateRepo).get(merchant_id, row.template_id)
                templates[row.template_id] = found
    vouchers: list[MyVoucher] = []
    for row in owned:
        template = templates.get(row.template_id)
        if template is None:
            continue
        where = tuple(
            VoucherStore(s.id, s.name, s.address)
            for s in stores
            if template.template.applies_to_store(s.id)
        )
        if store_id is not None and store_id not in {s.id for s in where}:
            continue
        vouchers.append(_shown(row, template, where, zone, now))
    vouchers.sort(key=_sort_key)
    return vouchers


def _status(row: OwnedCode, now: datetime) -> str:
    if row.status == "redeemed":
        return "used"
    if row.status == "voided":
        return "voided"
    if row.status == "expired" or now >= row.valid_until:
        return "expired"
    return "not_yet" if now < row.valid_from else "usable"


def _shown(
    row: OwnedCode,
    template: TemplateRow,
    stores: tuple[VoucherStore, ...],
    zone: ZoneInfo,
    now: datetime,
) -> MyVoucher:
    status = _status(row, now)
    usage = template.template.usage
    return MyVoucher(
        code=row.code,
        title=template.template.name,
        bought_as=row.listing_title,
        status=status,
        status_label=STATUS_LABELS[status],
        valid_from=row.valid_from.astimezone(zone),
        valid_to=row.valid_until.astimezone(zone),
        face_value_fen=template.template.face_value_fen,
        kind=template.template.kind.value,
        platform=row.platform,
        stores=stores,
        usable_now=status == "usable" and usage.allows(now.astimezone(zone)) and bool(stores),
        usage_hours="、".join(w.label() for w in usage.windows),
        redeemed_at=row.redeemed_at.astimezone(zone) if row.redeemed_at else None,
    )


def _sort_key(voucher: MyVoucher) -> tuple[int, float]:
    rank = _ORDER[voucher.status]
    if voucher.open:
        return rank, voucher.valid_to.timestamp()  # soonest to end first
    ended = voucher.redeemed_at or voucher.valid_to
    return rank, -ended.timestamp()  # most recent first


def consumer_merchant(uow: UnitOfWork, merchant_id: int) -> str | None:
    """The name of the merchant whose 我的优惠 this is, or None when there is no such active
    merchant (its pages answer 404 and no sign-in starts for it)."""
    with nullcontext(uow) if uow.is_open else uow:
        merchant = uow.repo(MerchantRepo).get(merchant_id)
    return merchant.name if merchant is not None and merchant.active else None
