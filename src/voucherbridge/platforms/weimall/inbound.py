"""The micro-mall's pushes to us (`POST /hooks/weimall`): purchase, refund, ping.

The signature is checked on the raw body, with the secret of the store binding the push names
(`client_id` = the platform store id), before anything is parsed or changed; a push whose
timestamp is outside the tolerance is a replay and refused the same way. A push acted on before
(same ``msg_id``, or the same order and action) gets its first answer again. Business answers
follow the mall's contract (HTTP 200, ``code`` in the body); a non-zero code of 50000 and up
makes the mall retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

import structlog

from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms import purchases as platform_orders
from voucherbridge.platforms.inbound_log import answer_once
from voucherbridge.platforms.repository import BindingRepo
from voucherbridge.platforms.weimall.signing import SignatureError, open_envelope

log = structlog.get_logger("voucherbridge.weimall.inbound")
PLATFORM = "weimall"
NOT_FOUND, RETRY_LATER, BAD_REQUEST = 40401, 50000, 40000


def answer(
    code: int = 0, data: dict[str, Any] | None = None, msg: str = "success"
) -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": data or {}}


def handle_push(
    make_uow: UnitOfWorkFactory,
    open_secret: Callable[[str], str],
    raw_body: bytes,
    *,
    now: datetime,
    tolerance_s: int,
) -> dict[str, Any]:
    """Verify, then act; raises DomainError(INVALID_SIGNATURE) for anything not signed right."""
    merchants: dict[str, int] = {}

    def secret_for(client_id: str) -> str | None:
        with make_uow() as uow:
            binding = uow.repo(BindingRepo).by_platform_store(PLATFORM, client_id)
        if binding is None:
            return None
        merchants[client_id] = binding.merchant_id
        return open_secret(binding.secret_sealed)

    try:
        client_id, type_, payload, msg_id = open_envelope(
            raw_body, secret_for, int(now.timestamp()), tolerance_s
        )
    except SignatureError as exc:
        log.warning("weimall.push.refused", reason=str(exc))
        raise DomainError(ErrorCode.INVALID_SIGNATURE) from exc
    merchant_id = merchants[client_id]
    log.info("weimall.push.received", type=type_, msg_id=msg_id, client_id=client_id)
    try:
        return _act(make_uow, merchant_id, type_, payload, msg_id, now)
    except DomainError as exc:
        if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_ERROR):
            code = NOT_FOUND if exc.code is ErrorCode.NOT_FOUND else BAD_REQUEST
            return answer(code, msg=f"{exc.code.value}: {exc.params}")
        return answer(RETRY_LATER, msg=exc.code.value)


def _act(
    make_uow: UnitOfWorkFactory,
    merchant_id: int,
    type_: str,
    payload: dict[str, Any],
    msg_id: str,
    now: datetime,
) -> dict[str, Any]:
    if type_ == "PING":
        return answer()
    if type_ == "VOUCHER_PURCHASED":
        order_no = _text(payload, "order_no")
        quantity = payload.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="quantity")
        buyer = found if isinstance(found := payload.get("buyer"), dict) else {}

        def purchase(uow: UnitOfWork) -> dict[str, Any]:
            purchased = platform_orders.purchase_in(
                uow,
                platform=PLATFORM,
                merchant_id=merchant_id,
                listing_public_id=_text(payload, "coupon_id"),
                platform_order_id=order_no,
                quantity=quantity,
                buyer_openid=str(buyer.get("openid") or "")[:128] or None,
                now=now,
            )
            return answer(data={"codes": purchased.codes})

        return _once(make_uow, f"purchase:{order_no}", msg_id, purchase, now)
    if type_ == "VOUCHER_REFUNDED":
        order_no = _text(payload, "order_no")
        raw_codes = payload.get("codes")
        codes = [str(c) for c in raw_codes] if isinstance(raw_codes, list) else None
        refund_no = payload.get("refund_no")
        which = str(refund_no) if refund_no else f"{order_no}:{','.join(sorted(codes or ['*']))}"

        def refund(uow: UnitOfWork) -> dict[str, Any]:
            refunded = platform_orders.refund_in(
                uow,
                platform=PLATFORM,
                merchant_id=merchant_id,
                platform_order_id=order_no,
                codes=codes,
                now=now,
            )
            refused = [asdict(r) for r in refunded.refused]
            return answer(data={"voided": refunded.voided, "refused": refused})

        return _once(make_uow, f"refund:{which}", msg_id, refund, now)
    # A type the mall's contract does not have: refused for good (codes below 50000 are not
    # resent), nothing changed.
    log.warning("weimall.push.unknown_type", type=type_[:40])
    return answer(BAD_REQUEST, msg=f"unknown type {type_[:40]}")


def _once(
    make_uow: UnitOfWorkFactory,
    action_key: str,
    msg_id: str,
    act: Callable[[UnitOfWork], dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    return answer_once(
        make_uow, platform=PLATFORM, action_key=action_key, message_id=msg_id, act=act, now=now
    ).answer


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field=key)
    return value.strip()
