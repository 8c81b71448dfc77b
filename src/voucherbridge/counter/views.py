"""Typed views of records, in the shape the Terminal API publishes (api/schemas/terminal.py).

Every view is a frozen dataclass whose fields are the JSON keys, in the published order; the
routes return them and their response models serialize them. Money is integer fen, moments are
ISO 8601 strings in the merchant's zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.core.formatting import iso
from voucherbridge.domain.records import Order, Redemption, Tender


def _at(moment: datetime, zone: ZoneInfo) -> str:
    """A moment that is always there, in the merchant's zone (iso() for one that may be None)."""
    return moment.astimezone(zone).isoformat()


@dataclass(frozen=True, kw_only=True)
class RedemptionView:
    """One redemption (核销) as the Terminal API answers it."""

    id: str
    code: str
    platform: str
    kind: str
    name: str
    discount_fen: int
    order_id: int
    store_id: int
    status: str
    redeemed_at: str
    reversible_until: str
    reversed_at: str | None

    @classmethod
    def of(cls, r: Redemption, zone: ZoneInfo) -> RedemptionView:
        return cls(
            id=r.public_id,
            code=r.code,
            platform=r.platform.value,
            kind=r.kind,
            name=r.name,
            discount_fen=r.discount_fen,
            order_id=r.order_id,
            store_id=r.store_id,
            status=r.status,
            redeemed_at=_at(r.redeemed_at, zone),
            reversible_until=_at(r.reversible_until, zone),
            reversed_at=iso(r.reversed_at, zone),
        )


@dataclass(frozen=True, kw_only=True)
class ScanView(RedemptionView):
    """A scan that used several vouchers of one platform order: the first redemption's fields,
    and every redemption of the scan (the first first) under `redemptions`."""

    redemptions: tuple[RedemptionView, ...]

    @classmethod
    def of_scan(cls, views: Sequence[RedemptionView]) -> ScanView:
        first = views[0]
        return cls(
            id=first.id,
            code=first.code,
            platform=first.platform,
            kind=first.kind,
            name=first.name,
            discount_fen=first.discount_fen,
            order_id=first.order_id,
            store_id=first.store_id,
            status=first.status,
            redeemed_at=first.redeemed_at,
            reversible_until=first.reversible_until,
            reversed_at=first.reversed_at,
            redemptions=tuple(views),
        )


def scan_answer(views: Sequence[RedemptionView]) -> RedemptionView | ScanView:
    """What a redeem answers: the redemption, or the combined body when one scan used several."""
    return ScanView.of_scan(views) if len(views) > 1 else views[0]


def stored_answer(body: Mapping[str, Any]) -> RedemptionView | ScanView:
    """The view again from the JSON an idempotency row keeps (`dataclasses.asdict` of a
    `scan_answer`), so that a replay answers exactly what the first request answered.

    `body` is the stored JSON column, free-form as far as the database knows.
    """
    if "redemptions" in body:
        return ScanView(
            **{k: v for k, v in body.items() if k != "redemptions"},
            redemptions=tuple(RedemptionView(**r) for r in body["redemptions"]),
        )
    return RedemptionView(**body)


@dataclass(frozen=True, kw_only=True)
class PrepareView:
    """验券准备: what a code is worth on an order. `available_count` and `platform_title` are
    only known for platform codes (how many one scan can redeem, the platform's own title)."""

    code: str
    platform: str
    kind: str
    name: str
    face_value_fen: int
    discount_fen: int
    valid_until: str | None
    redeemable: bool
    available_count: int | None = None
    platform_title: str | None = None


@dataclass(frozen=True, kw_only=True)
class TenderView:
    """A payment recorded at checkout."""

    type: str
    amount_fen: int
    reference: str | None
    # The member card data the POS reported, as the tender row keeps it (phone masked): JSON.
    member: dict[str, Any] | None

    @classmethod
    def of(cls, tender: Tender) -> TenderView:
        return cls(
            type=tender.type,
            amount_fen=tender.amount_fen,
            reference=tender.reference,
            member=tender.member,
        )


@dataclass(frozen=True, kw_only=True)
class OrderLineView:
    line_no: int
    item_code: str
    name: str
    unit: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


@dataclass(frozen=True, kw_only=True)
class OrderView:
    """An order (消费单) with its lines, vouchers, tenders and what is still due."""

    id: int
    order_no: str
    store_id: int
    table: str
    guests: int
    status: str
    lines: tuple[OrderLineView, ...]
    service_fee_fen: int
    total_fen: int
    discount_fen: int
    vouchers: tuple[RedemptionView, ...]
    tenders: tuple[TenderView, ...]
    paid_fen: int
    change_fen: int
    due_fen: int
    cashier: str
    opened_at: str
    closed_at: str | None

    @classmethod
    def of(
        cls,
        order: Order,
        vouchers: Sequence[Redemption],
        zone: ZoneInfo,
        tenders: Sequence[Tender] = (),
    ) -> OrderView:
        discount = sum(r.discount_fen for r in vouchers)
        paid = sum(t.amount_fen for t in tenders)
        return cls(
            id=order.id,
            order_no=order.order_no,
            store_id=order.store_id,
            table=order.table_no,
            guests=order.guests,
            status=order.status,
            lines=tuple(
                OrderLineView(
                    line_no=ln.line_no,
                    item_code=ln.item_code,
                    name=ln.name,
                    unit=ln.unit,
                    quantity=ln.quantity,
                    unit_price_fen=ln.unit_price_fen,
                    amount_fen=ln.amount_fen,
                )
                for ln in order.lines
            ),
            service_fee_fen=order.service_fee_fen,
            total_fen=order.total_fen,
            discount_fen=discount,
            vouchers=tuple(RedemptionView.of(r, zone) for r in vouchers),
            tenders=tuple(TenderView.of(t) for t in tenders),
            paid_fen=paid,
            change_fen=order.change_fen,
            due_fen=max(order.total_fen - discount - paid + order.change_fen, 0),
            cashier=order.cashier,
            opened_at=_at(order.opened_at, zone),
            closed_at=iso(order.closed_at, zone),
        )


@dataclass(frozen=True, kw_only=True)
class OpenBillView:
    """One open bill (挂单) of the store: where, how many, since when, what is due, which
    vouchers are already on it."""

    id: int
    order_no: str
    table: str
    guests: int
    opened_at: str
    total_fen: int
    discount_fen: int
    due_fen: int
    vouchers: tuple[RedemptionView, ...]

    @classmethod
    def of(cls, order: Order, vouchers: Sequence[Redemption], zone: ZoneInfo) -> OpenBillView:
        discount = sum(r.discount_fen for r in vouchers)
        return cls(
            id=order.id,
            order_no=order.order_no,
            table=order.table_no,
            guests=order.guests,
            opened_at=_at(order.opened_at, zone),
            total_fen=order.total_fen,
            discount_fen=discount,
            due_fen=max(order.total_fen - discount, 0),
            vouchers=tuple(RedemptionView.of(r, zone) for r in vouchers),
        )
