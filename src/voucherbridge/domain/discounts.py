"""What a voucher takes off a bill. All rounding and capping of money lives here.

Invariants (property-tested): a discount is never negative; all discounts on an order never
exceed its total; vouchers tied to items never take more from a line than the line costs, nor
more per unit than the catalogue's price of the item (the till types line prices; the
catalogue, kept by HQ, bounds what a voucher may take).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.money import fen_to_yuan_str
from voucherbridge.domain.orders import OrderLine, order_total_fen
from voucherbridge.domain.vouchers import Template, VoucherKind


@dataclass(frozen=True, slots=True)
class AppliedVoucher:
    """A voucher already on the order: what it took and from which lines."""

    template_id: int
    stackable: bool
    discount_fen: int
    allocations: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Discount:
    """The result: the amount, and the fen taken per line number for item-bound vouchers."""

    discount_fen: int
    allocations: dict[int, int]


def compute_discount(
    template: Template,
    lines: Sequence[OrderLine],
    service_fee_fen: int,
    applied: Sequence[AppliedVoucher] = (),
    package_price_fen: int = 0,
    *,
    catalogue_prices: Mapping[str, int] | None = None,
) -> Discount:
    """The discount `template` gives on this order, after the vouchers already applied.

    `catalogue_prices` (item code -> unit price in fen) caps what an item-bound voucher takes
    per unit; an item missing from it gives nothing. None trusts the lines (rule tests only).
    """
    check_combination(template, applied)
    total = order_total_fen(lines, service_fee_fen)
    if total < template.min_spend_fen:
        raise DomainError(
            ErrorCode.VOUCHER_MIN_SPEND_NOT_MET, min=fen_to_yuan_str(template.min_spend_fen)
        )
    remaining_order = total - sum(a.discount_fen for a in applied)
    # The bill is what the till rang up; what a voucher may take from a line is bounded by
    # the catalogue's price of its item.
    priced = (
        list(lines)
        if catalogue_prices is None
        else [_at_catalogue_price(line, catalogue_prices) for line in lines]
    )
    remaining = _remaining_per_line(priced, applied)
    if template.kind is VoucherKind.CASH:
        allocations: dict[int, int] = {}
        amount = min(template.face_value_fen, remaining_order)
    elif template.kind is VoucherKind.ITEM:
        allocations = _take_one_unit(template, priced, remaining)
        amount = sum(allocations.values())
    elif template.kind is VoucherKind.DEDUCTION:
        allocations = _take_up_to(template, priced, remaining, template.face_value_fen)
        amount = sum(allocations.values())
    else:
        allocations = _take_combo(template, priced, remaining)
        amount = max(sum(allocations.values()) - package_price_fen, 0)
        allocations = _trim(allocations, sum(allocations.values()) - amount)
    if amount > remaining_order:
        allocations = _trim(allocations, amount - remaining_order)
        amount = remaining_order
    if amount <= 0:
        raise DomainError(ErrorCode.VOUCHER_NOTHING_TO_DISCOUNT)
    return Discount(amount, allocations)


def _at_catalogue_price(line: OrderLine, prices: Mapping[str, int]) -> OrderLine:
    """The line as a voucher may count it: never dearer per unit than the catalogue says."""
    price = min(line.unit_price_fen, max(prices.get(line.item_code, 0), 0))
    return replace(line, unit_price_fen=price) if price != line.unit_price_fen else line


def check_combination(template: Template, applied: Sequence[AppliedVoucher]) -> None:
    """Per-order limit and stacking rules against the vouchers already on the order."""
    same = sum(1 for a in applied if a.template_id == template.id)
    if same >= template.per_order_limit:
        raise DomainError(ErrorCode.VOUCHER_LIMIT_PER_ORDER, n=template.per_order_limit)
    # Several codes of one template may share an order up to its limit; stacking is about
    # mixing templates.
    others = [a for a in applied if a.template_id != template.id]
    if others and (not template.stackable or any(not a.stackable for a in others)):
        raise DomainError(ErrorCode.VOUCHER_NOT_STACKABLE)


def _remaining_per_line(
    lines: Sequence[OrderLine], applied: Sequence[AppliedVoucher]
) -> dict[int, int]:
    remaining = {line.line_no: line.amount_fen for line in lines}
    for voucher in applied:
        for line_no, fen in voucher.allocations.items():
            if line_no in remaining:
                remaining[line_no] -= fen
    return remaining


def _matching(template: Template, lines: Sequence[OrderLine], code: str) -> list[OrderLine]:
    return [line for line in lines if line.item_code == code]


def _take_one_unit(
    template: Template, lines: Sequence[OrderLine], remaining: dict[int, int]
) -> dict[int, int]:
    code = template.item_codes[0]
    matching = _matching(template, lines, code)
    if not matching:
        raise DomainError(ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER, item_code=code)
    for line in matching:
        if remaining[line.line_no] >= line.unit_price_fen and line.unit_price_fen > 0:
            return {line.line_no: line.unit_price_fen}
    raise DomainError(ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER, item_code=code, reason="covered")


def _take_up_to(
    template: Template, lines: Sequence[OrderLine], remaining: dict[int, int], cap: int
) -> dict[int, int]:
    codes = set(template.item_codes)
    matching = [line for line in lines if line.item_code in codes]
    if not matching:
        raise DomainError(ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER, item_code=",".join(sorted(codes)))
    allocations: dict[int, int] = {}
    left = cap
    for line in matching:
        take = min(left, max(remaining[line.line_no], 0))
        if take > 0:
            allocations[line.line_no] = take
            left -= take
        if left == 0:
            break
    return allocations


def _take_combo(
    template: Template, lines: Sequence[OrderLine], remaining: dict[int, int]
) -> dict[int, int]:
    """One unit of each combo item (repeats mean several units), all of them or nothing."""
    allocations: dict[int, int] = {}
    left = dict(remaining)
    for code in template.item_codes:
        for line in _matching(template, lines, code):
            if left[line.line_no] >= line.unit_price_fen:
                left[line.line_no] -= line.unit_price_fen
                allocations[line.line_no] = allocations.get(line.line_no, 0) + line.unit_price_fen
                break
        else:
            raise DomainError(ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER, item_code=code)
    return allocations


def _trim(allocations: dict[int, int], excess: int) -> dict[int, int]:
    """Give back `excess` fen, from the last line first, so totals stay exact."""
    trimmed = dict(allocations)
    for line_no in sorted(trimmed, reverse=True):
        if excess <= 0:
            break
        give = min(trimmed[line_no], excess)
        trimmed[line_no] -= give
        excess -= give
        if trimmed[line_no] == 0:
            del trimmed[line_no]
    return trimmed
