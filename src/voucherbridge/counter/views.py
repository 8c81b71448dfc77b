"""JSON-ready views of records, in the shape the Terminal API publishes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from voucherbridge.core.formatting import iso
from voucherbridge.domain.records import Order, Redemption, Tender


def redemption_view(r: Redemption, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": r.public_id,
        "code": r.code,
        "platform": r.platform.value,
        "kind": r.kind,
        "name": r.name,
        "discount_fen": r.discount_fen,
        "order_id": r.order_id,
        "store_id": r.store_id,
        "status": r.status,
        "redeemed_at": iso(r.redeemed_at, zone),
        "reversible_until": iso(r.reversible_until, zone),
        "reversed_at": iso(r.reversed_at, zone),
    }


def tender_view(tender: Tender) -> dict[str, Any]:
    return {
        "type": tender.type,
        "amount_fen": tender.amount_fen,
        "reference": tender.reference,
        "member": tender.member,
    }


def order_view(
    order: Order, vouchers: list[Redemption], zone: ZoneInfo, tenders: Sequence[Tender] = ()
) -> dict[str, Any]:
    discount = sum(r.discount_fen for r in vouchers)
    paid = sum(t.amount_fen for t in tenders)
    return {
        "id": order.id,
        "order_no": order.order_no,
        "store_id": order.store_id,
        "table": order.table_no,
        "guests": order.guests,
        "status": order.status,
        "lines": [
            {
                "line_no": ln.line_no,
                "item_code": ln.item_code,
                "name": ln.name,
                "unit": ln.unit,
                "quantity": ln.quantity,
                "unit_price_fen": ln.unit_price_fen,
                "amount_fen": ln.amount_fen,
            }
            for ln in order.lines
        ],
        "service_fee_fen": order.service_fee_fen,
        "total_fen": order.total_fen,
        "discount_fen": discount,
        "vouchers": [redemption_view(r, zone) for r in vouchers],
        "tenders": [tender_view(t) for t in tenders],
        "paid_fen": paid,
        "change_fen": order.change_fen,
        "due_fen": max(order.total_fen - discount - paid + order.change_fen, 0),
        "cashier": order.cashier,
        "opened_at": iso(order.opened_at, zone),
        "closed_at": iso(order.closed_at, zone),
    }
