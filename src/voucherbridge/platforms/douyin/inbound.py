"""Douyin calling us: the merchant-code SPIs (三方码 发券 / 退款申请 / 退款信息同步 / 订单状态)
and the webhook (PROTOCOLS.md §1.2, §1.3).

Whose call it is comes from the body (the listing id in ``sku.third_sku_id``, or the Douyin
order we issued codes for); the signature is then checked on the raw bytes with that
merchant's Douyin app secret, and the ``timestamp`` must be within the tolerance, before
anything changes. The signature does not cover the path, so each SPI's body must carry its own
fields and none that mark another SPI; an issue or refund acted on before (same order, same
after-sale) gets its first answer again. Douyin reads business results from ``data`` (HTTP
200); ``error_code`` != 0 makes it retry, so it is only used for failures worth retrying.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import structlog

from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.catalogue.repository import ListingRepo
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.vouchers import CodeStatus
from voucherbridge.platforms import purchases as platform_orders
from voucherbridge.platforms.douyin.messages import (
    AGREE,
    FAILED,
    ISSUED,
    REJECT,
    SPI_FIELDS,
    WEBHOOK_EVENTS,
    content_of,
    json_object,
    label,
    ok,
    signature_refused,
    system_error,
    text_field,
)
from voucherbridge.platforms.douyin.signing import verify_spi, verify_webhook
from voucherbridge.platforms.inbound_log import Act, answer_once
from voucherbridge.platforms.repository import BindingRepo

log = structlog.get_logger("voucherbridge.douyin.inbound")
PLATFORM = "douyin"


@dataclass(frozen=True)
class InboundCall:
    query: Mapping[str, str]
    headers: Mapping[str, str]
    raw_body: bytes


class DouyinInbound:
    """Verifies and answers Douyin's calls; use cases do the work."""

    def __init__(
        self,
        make_uow: UnitOfWorkFactory,
        *,
        client_key: str,
        client_secret: str,
        tolerance_s: int,
    ) -> None:
        self.make_uow = make_uow
        self.client_key = client_key
        self.client_secret = client_secret
        self.tolerance_s = tolerance_s

    # ---- SPIs ------------------------------------------------------------------------------
    def spi(self, name: str, call: InboundCall, now: datetime) -> dict[str, Any]:
        """One SPI call: a call that fails the signature check (or is not the SPI it claims to
        be) gets Douyin's HTTP 200 验签失败 answer, and nothing changes."""
        body = json_object(call.raw_body)
        needed, foreign = SPI_FIELDS.get(name, (frozenset(), frozenset()))
        try:
            if not needed <= body.keys() or foreign & body.keys():
                raise _refused(f"not a {name} call")
            merchant_id = self._merchant_of(name, body)
            self._check_spi(call, merchant_id, now)
        except DomainError as exc:
            if exc.code is not ErrorCode.INVALID_SIGNATURE:
                raise
            return signature_refused()
        assert merchant_id is not None  # a merchant's secret verified the call
        try:
            if name == "issue":
                return self._once(
                    f"issue:{text_field(body, 'order_id')}",
                    lambda uow: self._issue(uow, merchant_id, body, now),
                    now,
                )
            if name == "refund-apply":
                return self._once(
                    f"refund-apply:{text_field(body, 'after_sale_id')}",
                    lambda uow: self._refund_apply(uow, merchant_id, body, now),
                    now,
                )
            if name == "refund-notice":
                return ok()
            if name == "order-status":
                return self._order_status(merchant_id, body)
        except DomainError as exc:
            log.warning("douyin.spi.failed", spi=name, reason=exc.code.value)
            if exc.code in (ErrorCode.NOT_FOUND, ErrorCode.VALIDATION_ERROR):
                return ok(result=FAILED, fail_reason=f"{exc.code.value}: {exc.params}")
            return system_error(exc.code.value)
        raise DomainError(ErrorCode.NOT_FOUND, what="spi")

    def _merchant_of(self, name: str, body: dict[str, Any]) -> int | None:
        with self.make_uow() as uow:
            if name == "issue":
                sku = found if isinstance(found := body.get("sku"), dict) else {}
                listing = uow.repo(ListingRepo).by_public_id(str(sku.get("third_sku_id") or ""))
                return listing.merchant_id if listing else None
            order_ids = body.get("order_ids") if name == "order-status" else [body.get("order_id")]
            for order_id in order_ids if isinstance(order_ids, list) else []:
                merchant = uow.repo(CodeRepo).merchant_of_platform_order(PLATFORM, str(order_id))
                if merchant is not None:
                    return merchant
        return None

    def _secrets(self, merchant_id: int | None) -> list[str]:
        """Douyin signs with our one app's secret; only for a merchant that authorized the app
        (a bound Douyin store) does a signed call count."""
        if merchant_id is None:
            return []
        with self.make_uow() as uow:
            bindings = uow.repo(BindingRepo).list(merchant_id, None)
        bound = any(b.platform == PLATFORM and b.status == "bound" for b in bindings)
        return [self.client_secret] if bound else []

    def _check_spi(self, call: InboundCall, merchant_id: int | None, now: datetime) -> None:
        if call.query.get("client_key") != self.client_key:
            raise _refused("client_key")
        try:
            sent_ms = int(call.query.get("timestamp", ""))
        except ValueError:
            raise _refused("timestamp") from None
        if abs(now.timestamp() * 1000 - sent_ms) > self.tolerance_s * 1000:
            raise _refused("stale")
        x_life_sign = call.headers.get("x-life-sign")
        legacy = call.query.get("sign")
        for secret in self._secrets(merchant_id):
            if verify_spi(secret, call.query, call.raw_body, x_life_sign, legacy):
                return
        raise _refused("signature")

    def _once(self, action_key: str, act: Act, now: datetime) -> dict[str, Any]:
        """Act once per order (issue) or after-sale (refund); a resend gets the first answer."""
        return answer_once(
            self.make_uow,
            platform=PLATFORM,
            action_key=action_key,
            message_id=None,
            act=act,
            now=now,
        ).answer

    def _issue(
        self, uow: UnitOfWork, merchant_id: int, body: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        sku = found if isinstance(found := body.get("sku"), dict) else {}
        count = body.get("count")
        if not isinstance(count, int) or isinstance(count, bool):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="count")
        purchased = platform_orders.purchase_in(
            uow,
            platform=PLATFORM,
            merchant_id=merchant_id,
            listing_public_id=str(sku.get("third_sku_id") or ""),
            platform_order_id=text_field(body, "order_id"),
            quantity=count,
            buyer_openid=str(body.get("open_id") or "")[:128] or None,
            now=now,
        )
        # Each code goes back with its certificate_id (the issue SPI's reply shape): our row id.
        rows = uow.repo(CodeRepo)
        certificates = []
        for plain in purchased.codes:
            row = rows.find(merchant_id, plain)
            certificates.append({"certificate_id": str(row.id if row else plain), "code": plain})
        return ok(result=ISSUED, certificates=certificates)

    def _refund_apply(
        self, uow: UnitOfWork, merchant_id: int, body: dict[str, Any], now: datetime
    ) -> dict[str, Any]:
        """Agree only when every code asked for is unused: a used code cannot be refunded."""
        order_id = text_field(body, "order_id")
        raw_codes = body.get("codes")
        codes = [str(c) for c in raw_codes] if isinstance(raw_codes, list) and raw_codes else None
        order_ref = uow.repo(CodeRepo).find_order(merchant_id, PLATFORM, order_id)
        of_order = uow.repo(CodeRepo).of_order(order_ref) if order_ref is not None else []
        wanted = [c for c in of_order if codes is None or c.code in codes]
        used = [c.code for c in wanted if c.status is CodeStatus.REDEEMED]
        if used:
            return ok(result=REJECT, reason="已核销的券码不可退款", used_codes=used)
        refunded = platform_orders.refund_in(
            uow,
            platform=PLATFORM,
            merchant_id=merchant_id,
            platform_order_id=order_id,
            codes=codes,
            now=now,
        )
        if refunded.refused:
            refused = [asdict(r) for r in refunded.refused]
            return ok(result=REJECT, reason="已核销的券码不可退款", refused=refused)
        return ok(result=AGREE, voided=refunded.voided)

    def _order_status(self, merchant_id: int, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        with self.make_uow() as uow:
            asked = found if isinstance(found := body.get("order_ids"), list) else []
            for order_id in [str(o) for o in asked if isinstance(o, str | int)][:100]:
                ref = uow.repo(CodeRepo).find_order(merchant_id, PLATFORM, order_id)
                if ref is None:
                    continue
                codes = uow.repo(CodeRepo).of_order(ref)
                result[order_id] = {
                    "order_id": order_id,
                    "out_order_id": str(ref),
                    "order_status": 1,
                    "codes": [{"code": c.code, "status": c.status.value} for c in codes],
                }
        return ok(result=result)

    # ---- webhook -------------------------------------------------------------------------
    def webhook(self, call: InboundCall, now: datetime) -> dict[str, Any]:
        """URL check and certificate/order messages; duplicates (same Msg-Id) are harmless.

        Every correctly signed message is acknowledged (HTTP 200 ``{"error_code": 0}``), an
        event type we do not know included (logged, nothing changes): Douyin would otherwise
        resend it for nothing. The URL check echoes ``content.challenge``.
        """
        del now
        body = json_object(call.raw_body)
        content = content_of(body.get("content"))
        signature = call.headers.get("x-douyin-signature")
        # The URL check names no order: the app's signature is enough for it.
        if not verify_webhook(self.client_secret, call.raw_body, signature):
            raise _refused("signature")
        event = label(body.get("event"))
        if event == "verify_webhook":
            challenge = content.get("challenge")
            if not isinstance(challenge, str | int) or isinstance(challenge, bool):
                raise DomainError(ErrorCode.VALIDATION_ERROR, field="content.challenge")
            return {"challenge": challenge}
        # Note: structlog's first argument is named ``event``: never pass ``event=`` too.
        fields = {
            "webhook_event": event,
            "action": label(content.get("action")),
            "msg_id": label(call.headers.get("msg-id")),
        }
        if event in WEBHOOK_EVENTS:
            log.info("douyin.webhook.received", **fields)
        else:
            log.warning("douyin.webhook.ignored", **fields)
        return {"error_code": 0}


def _refused(reason: str) -> DomainError:
    log.warning("douyin.callback.refused", reason=reason)
    return DomainError(ErrorCode.INVALID_SIGNATURE)
