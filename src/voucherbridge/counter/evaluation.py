"""Every rule of a code's template against an order: what it is worth, or why it is refused.

Shared by our own merchant codes and the platform codes mirrored from a platform's answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.catalogue.item_repository import ItemRepo
from voucherbridge.catalogue.repository import ListingRepo, TemplateRepo
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.counter.repository import OrderRepo, RedemptionRepo
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.discounts import AppliedVoucher, Discount, compute_discount
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Code, Listing, Order, Redemption, TemplateRow, Terminal
from voucherbridge.domain.vouchers import CodeStatus, check_usable_at


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Everything prepare found out; redeem writes it down."""

    code: Code
    template: TemplateRow
    listing: Listing
    discount: Discount


def open_order(uow: UnitOfWork, terminal: Terminal, order_id: int) -> Order:
    order = uow.repo(OrderRepo).get(terminal.merchant_id, order_id)
    if order is None or order.store_id != terminal.store_id:
        raise DomainError(ErrorCode.ORDER_NOT_FOUND, order_id=order_id)
    if order.status != "open":
        raise DomainError(ErrorCode.ORDER_CLOSED, order_id=order_id)
    return order


def evaluate(
    uow: UnitOfWork,
    terminal: Terminal,
    code: Code,
    order: Order,
    now: datetime,
    zone: ZoneInfo,
    pending: Sequence[AppliedVoucher] = (),
    catalogue: tuple[TemplateRow, Listing] | None = None,
) -> Evaluation:
    """Every rule of the code's template against the order; `pending` are vouchers about to be
    applied in the same scan (several codes of one platform order). `catalogue` is the code's
    template and listing when the caller read them with the code (ScanRepo.scan)."""
    if code.status is CodeStatus.REDEEMED:
        raise already_redeemed(uow, terminal, code, zone)
    if code.status is CodeStatus.VOIDED:
        raise DomainError(ErrorCode.VOUCHER_VOIDED, code=code.code)
    if code.status is CodeStatus.EXPIRED:
        raise DomainError(ErrorCode.VOUCHER_EXPIRED, code=code.code)
    template_row: TemplateRow | None
    listing: Listing | None
    if catalogue is not None:
        template_row, listing = catalogue
    else:
        template_row = uow.repo(TemplateRepo).get(terminal.merchant_id, code.template_id)
        listing = uow.repo(ListingRepo).get(terminal.merchant_id, code.listing_id)
    if template_row is None or listing is None:  # pragma: no cover - foreign keys forbid it
        raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code.code)
    template = template_row.template
    if not template.applies_to_store(terminal.store_id):
        store = uow.repo(StoreRepo).get(terminal.merchant_id, terminal.store_id)
        raise DomainError(
            ErrorCode.VOUCHER_STORE_NOT_APPLICABLE,
            store=store.name if store else "",
            code=code.code,
        )
    check_usable_at(
        now=now,
        valid_from=code.valid_from,
        valid_until=code.valid_until,
        usage=template.usage,
        zone=zone,
    )
    applied = [
        AppliedVoucher(r.template_id, r.stackable, r.discount_fen, r.allocations)
        for r in uow.repo(RedemptionRepo).active_for_order(order.id)
    ]
    applied.extend(pending)
    discount = compute_discount(
        template,
        order.lines,
        order.service_fee_fen,
        applied,
        package_price_fen=template_row.package_price_fen,
        catalogue_prices=uow.repo(ItemRepo).prices(terminal.merchant_id, template.item_codes),
    )
    return Evaluation(code, template_row, listing, discount)


def already_redeemed(
    uow: UnitOfWork, terminal: Terminal, code: Code, zone: ZoneInfo
) -> DomainError:
    previous = uow.repo(RedemptionRepo).latest_for_code(code.id)
    store = uow.repo(StoreRepo).get(terminal.merchant_id, previous.store_id) if previous else None
    when = previous.redeemed_at if previous else code.redeemed_at
    return DomainError(
        ErrorCode.VOUCHER_ALREADY_REDEEMED,
        code=code.code,
        time=when.astimezone(zone).strftime("%Y-%m-%d %H:%M") if when else "",
        store=store.name if store else "",
    )


def double_enter(
    uow: UnitOfWork, terminal: Terminal, code: Code, order: Order
) -> Redemption | None:
    """The active redemption of this code on this order at this store, if there is one."""
    if code.status is not CodeStatus.REDEEMED:
        return None
    previous = uow.repo(RedemptionRepo).latest_for_code(code.id)
    if (
        previous is not None
        and previous.status == "active"
        and previous.order_id == order.id
        and previous.store_id == terminal.store_id
    ):
        return previous
    return None
