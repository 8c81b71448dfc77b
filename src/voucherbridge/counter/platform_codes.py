"""Platform codes (抖音券, 美团团购券): the platform issues them, we verify them with its API.

Prepare asks the platform and evaluates our rules; nothing changes anywhere. Redeem asks the
platform again (a successful verify invalidates its prepare), evaluates every rule on our side
*before* the platform is told, verifies (our redemption id is the platform's idempotency key),
then writes the mirror code rows and the redemptions in one transaction. If that transaction
fails after the platform said yes, the platform verify is cancelled before we answer, so a
code is never used on the platform without a redemption on our side.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from voucherbridge.catalogue.repository import CodeRepo, ListingRepo
from voucherbridge.core.formatting import iso
from voucherbridge.counter import merchant_codes as local
from voucherbridge.counter.repository import IdempotencyRepo, OrderRepo, RedemptionRepo
from voucherbridge.counter.views import redemption_view
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.codes import CodeType, Platform, ScannedCode, classify_code, mask_code
from voucherbridge.domain.discounts import AppliedVoucher
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Code, CodeEvent, Listing, Order, Terminal
from voucherbridge.domain.vouchers import CodeStatus
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCertificate,
    PlatformCodeClient,
    PlatformGateway,
    PreparedCodes,
    VerifiedCode,
)
from voucherbridge.platforms.repository import BindingRepo

log = structlog.get_logger("voucherbridge.platform_redemption")
MAX_CODES_PER_SCAN = 20
FAR_FUTURE = timedelta(days=3650)


@dataclass(frozen=True)
class _Planned:
    certificate: PlatformCertificate
    evaluation: local.Evaluation


def is_platform_code(raw_code: str) -> ScannedCode | None:
    """The scanned code when its shape says a platform issued it, else None."""
    scanned = classify_code(raw_code)
    return scanned if scanned.code_type is CodeType.PLATFORM else None


# ---- prepare ---------------------------------------------------------------------------------
def prepare_platform_code(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    terminal: Terminal,
    scanned: ScannedCode,
    order_id: int,
    now: datetime,
) -> dict[str, Any]:
    """What the code is worth on this order, as the platform and our rules say. Reads only."""
    platform, credentials, prepared = _ask_platforms(make_uow, gateway, terminal, scanned, now)
    with make_uow() as uow:
        order = local.open_order(uow, terminal, order_id)
        zone = ZoneInfo(terminal.timezone)
        plans = _plan(uow, terminal, order, prepared, 1, now, zone)
    first = plans[0]
    template = first.evaluation.template.template
    return {
        "code": scanned.value,
        "platform": platform,
        "kind": template.kind.value,
        "name": template.name,
        "face_value_fen": template.face_value_fen,
        "discount_fen": first.evaluation.discount.discount_fen,
        "valid_until": iso(first.certificate.expires_at, zone),
        "redeemable": True,
        "available_count": len(prepared.certificates),
        "platform_title": first.certificate.title,
    }


# ---- redeem ----------------------------------------------------------------------------------
def redeem_platform_code(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    terminal: Terminal,
    scanned: ScannedCode,
    order_id: int,
    count: int,
    idempotency_key: str | None,
    now: datetime,
    reversal_windows: Mapping[str, int],
) -> local.RedeemOutcome:
    """Verify `count` codes of the scanned platform order with the platform, then record them."""
    if not 1 <= count <= MAX_CODES_PER_SCAN:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="count")
    request_hash = local.request_hash_of(scanned.value, order_id, count)
    zone = ZoneInfo(terminal.timezone)
    with make_uow() as uow:
        order = local.open_order(uow, terminal, order_id)
        replay = _replay(uow, terminal, scanned, order, idempotency_key, request_hash, zone)
        if replay is not None:
            return replay
    platform, credentials, prepared = _ask_platforms(make_uow, gateway, terminal, scanned, now)
    if count > len(prepared.certificates):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, field="count", available=len(prepared.certificates)
        )
    with make_uow() as uow:
        _plan(uow, terminal, local.open_order(uow, terminal, order_id), prepared, count, now, zone)
    public_id = local.new_redemption_id()
    client = gateway.clients[platform]
    verified = client.verify(credentials, prepared, count, public_id)
    try:
        outcome = _record_all(
            make_uow,
            scanned.value,
            terminal,
            order_id,
            prepared,
            verified,
            public_id,
            idempotency_key,
            request_hash,
            now,
            zone,
            reversal_windows,
        )
    except BaseException:
        _compensate(client, credentials, verified)
        raise
    log.info(
        "voucher.redeem.succeeded",
        terminal_id=terminal.id,
        order_id=order_id,
        platform=platform,
        count=len(verified),
        redemption_id=outcome.body["id"],
        code=mask_code(scanned.value),
    )
    return outcome


def _replay(
    uow: UnitOfWork,
    terminal: Terminal,
    scanned: ScannedCode,
    order: Order,
    idempotency_key: str | None,
    request_hash: str,
    zone: ZoneInfo,
) -> local.RedeemOutcome | None:
    """A retried request (same key) or a double Enter (same code, same order, same store)."""
    if idempotency_key:
        stored = uow.repo(IdempotencyRepo).get(terminal.id, idempotency_key)
        if stored is not None:
            if stored.request_hash != request_hash:
                raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT)
            return local.RedeemOutcome(stored.response, replayed=True)
    # The double Enter: this scan (a code or a whole-order link) already used on this order.
    group = [
        r
        for r in uow.repo(RedemptionRepo).active_for_order(order.id)
        if r.platform_ref is not None
        and r.platform_ref.get("scan") == scanned.value
        and r.store_id == terminal.store_id
    ]
    if group:
        base = group[0].public_id
        bodies = [redemption_view(r, zone) for r in group if r.public_id.startswith(base)]
        return local.RedeemOutcome(_scan_body(bodies), replayed=True)
    return None


def _scan_body(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """The first redemption, and every one of the scan when it used several vouchers."""
    body = dict(bodies[0])
    if len(bodies) > 1:
        body["redemptions"] = bodies
    return body


def _record_all(
    make_uow: UnitOfWorkFactory,
    scanned_value: str,
    terminal: Terminal,
    order_id: int,
    prepared: PreparedCodes,
    verified: Sequence[VerifiedCode],
    public_id: str,
    idempotency_key: str | None,
    request_hash: str,
    now: datetime,
    zone: ZoneInfo,
    reversal_windows: Mapping[str, int],
) -> local.RedeemOutcome:
    with make_uow(write=True) as uow:
        if not uow.repo(OrderRepo).lock_open(terminal.merchant_id, order_id):
            local.open_order(uow, terminal, order_id)
        order = local.open_order(uow, terminal, order_id)
        plans = _plan(uow, terminal, order, prepared, len(verified), now, zone)
        bodies: list[dict[str, Any]] = []
        for index, (plan, done) in enumerate(zip(plans, verified, strict=True)):
            code = _mirror_code(uow, terminal, prepared, plan, done, now)
            evaluation = local.Evaluation(
                code, plan.evaluation.template, plan.evaluation.listing, plan.evaluation.discount
            )
            redemption = local.record_redemption(
                uow,
                terminal,
                order,
                evaluation,
                now,
                reversal_windows,
                public_id=public_id if index == 0 else f"{public_id}_{index + 1}",
                platform_ref={
                    "certificate_id": done.certificate_id,
                    "verify_id": done.verify_id,
                    "scan": scanned_value,
                    **done.extra,
                },
            )
            bodies.append(redemption_view(redemption, zone))
        body = _scan_body(bodies)
        local.remember(
            uow,
            terminal,
            idempotency_key,
            request_hash,
            _id_of(uow, terminal.merchant_id, public_id),
            body,
            now,
        )
        uow.commit()
        return local.RedeemOutcome(body, replayed=False)


def _id_of(uow: UnitOfWork, merchant_id: int, public_id: str) -> int:
    redemption = uow.repo(RedemptionRepo).get(merchant_id, public_id)
    assert redemption is not None
    return redemption.id


def _mirror_code(
    uow: UnitOfWork,
    terminal: Terminal,
    prepared: PreparedCodes,
    plan: _Planned,
    done: VerifiedCode,
    now: datetime,
) -> Code:
    """Our row for a platform code, so that the archive, receipts and reports see it."""
    listing = plan.evaluation.listing
    platform_order_id = prepared.platform_order_id or done.verify_id or done.code
    order_ref = uow.repo(CodeRepo).find_order(
        terminal.merchant_id, prepared.platform, platform_order_id
    )
    if order_ref is None:
        order_ref = uow.repo(CodeRepo).add_order(
            terminal.merchant_id,
            listing_id=listing.id,
            platform=prepared.platform,
            platform_order_id=platform_order_id,
            quantity=len(prepared.certificates),
            buyer_openid=None,
            now=now,
        )
    code = uow.repo(CodeRepo).find(terminal.merchant_id, done.code)
    if code is None:
        expires = plan.certificate.expires_at or now + FAR_FUTURE
        code_id = uow.repo(CodeRepo).add(
            terminal.merchant_id,
            code=done.code,
            listing_id=listing.id,
            template_id=listing.template_id,
            code_order_id=order_ref,
            platform=prepared.platform,
            valid_from=min(now, expires),
            valid_until=expires,
            now=now,
        )
        uow.repo(CodeRepo).add_event(
            terminal.merchant_id,
            code_id,
            CodeEvent(
                "verified_with_platform",
                now,
                terminal.store_id,
                None,
                None,
                f"terminal:{terminal.id}",
                {"platform_order_id": platform_order_id, "verify_id": done.verify_id},
            ),
        )
        code = uow.repo(CodeRepo).get(terminal.merchant_id, code_id)
        assert code is not None
    if not uow.repo(CodeRepo).compare_and_set(code.id, CodeStatus.ISSUED, CodeStatus.REDEEMED, now):
        # The platform said yes, so our mirror must agree: a stale row from an earlier use.
        raise DomainError(ErrorCode.VOUCHER_ALREADY_REDEEMED, code=done.code, time="", store="")
    return code


def _compensate(
    client: PlatformCodeClient, credentials: Credentials, verified: Sequence[VerifiedCode]
) -> None:
    for done in verified:
        try:
            client.cancel(credentials, done)
            log.warning("voucher.redeem.compensated", code=mask_code(done.code))
        except Exception as exc:  # noqa: BLE001 - the original failure is what the caller sees
            log.error(
                "voucher.redeem.compensation_failed", code=mask_code(done.code), error=str(exc)
            )


# ---- shared ----------------------------------------------------------------------------------
def credentials_for(
    uow: UnitOfWork, gateway: PlatformGateway, terminal: Terminal, platform: str
) -> Credentials:
    binding = uow.repo(BindingRepo).get(terminal.merchant_id, terminal.store_id, platform)
    if binding is not None and binding.status == "expired":
        raise DomainError(ErrorCode.BINDING_EXPIRED, platform=platform)
    if binding is None or binding.status != "bound":
        raise DomainError(ErrorCode.BINDING_MISSING, platform=platform)
    return Credentials(
        platform, binding.platform_store_id, gateway.open_secret(binding.secret_sealed)
    )


def _ask_platforms(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    terminal: Terminal,
    scanned: ScannedCode,
    now: datetime,
) -> tuple[str, Credentials, PreparedCodes]:
    """Prepare with every bound platform the code's shape allows, in parallel; the one that
    knows the code wins. The cashier never picks a platform."""
    candidates = [p.value for p in scanned.candidates]
    asked: list[tuple[str, Credentials]] = []
    lapsed: list[DomainError] = []
    with make_uow() as uow:
        for platform in candidates:
            if platform not in gateway.clients:
                continue
            try:
                asked.append((platform, credentials_for(uow, gateway, terminal, platform)))
            except DomainError as exc:
                if exc.code is ErrorCode.BINDING_EXPIRED:
                    lapsed.append(exc)
    if not asked:
        raise (
            lapsed[0] if lapsed else DomainError(ErrorCode.BINDING_MISSING, platform=candidates[0])
        )

    def ask(entry: tuple[str, Credentials]) -> PreparedCodes | DomainError:
        try:
            return gateway.clients[entry[0]].prepare(entry[1], scanned.value)
        except DomainError as exc:
            return exc

    if len(asked) == 1:
        answers = [ask(asked[0])]
    else:
        with ThreadPoolExecutor(max_workers=len(asked)) as pool:
            answers = list(pool.map(ask, asked))
    for (platform, credentials), answer in zip(asked, answers, strict=True):
        if isinstance(answer, PreparedCodes):
            return platform, credentials, answer
        if answer.code is ErrorCode.BINDING_EXPIRED:
            _mark_expired(make_uow, terminal, platform, now)
    errors = [a for a in answers if isinstance(a, DomainError)] + lapsed
    # A platform that knows the code (used, expired...) says more than one that could not ask
    # (its authorization lapsed, then one that is down), and that more than one that does not
    # know it.
    rank = {
        ErrorCode.BINDING_EXPIRED: 1,
        ErrorCode.PLATFORM_UNAVAILABLE: 2,
        ErrorCode.VOUCHER_NOT_FOUND: 3,
    }
    raise min(errors, key=lambda e: rank.get(e.code, 0))


def _mark_expired(
    make_uow: UnitOfWorkFactory, terminal: Terminal, platform: str, now: datetime
) -> None:
    """The platform refused the store's authorization: the console shows 授权已失效 and the
    next scans are answered at once, until a manager binds again."""
    with make_uow(write=True) as uow:
        uow.repo(BindingRepo).mark_expired(terminal.merchant_id, terminal.store_id, platform, now)
        uow.commit()
    log.warning("binding.expired", store_id=terminal.store_id, platform=platform)


def _plan(
    uow: UnitOfWork,
    terminal: Terminal,
    order: Order,
    prepared: PreparedCodes,
    count: int,
    now: datetime,
    zone: ZoneInfo,
) -> list[_Planned]:
    """Every rule on our side for the first `count` codes, each seeing the ones before it."""
    plans: list[_Planned] = []
    pending: list[AppliedVoucher] = []
    for certificate in prepared.certificates[:count]:
        listing = _listing_for(uow, terminal, prepared.platform, certificate)
        expires = certificate.expires_at or now + FAR_FUTURE
        transient = Code(
            id=0,
            merchant_id=terminal.merchant_id,
            code=certificate.code,
            listing_id=listing.id,
            template_id=listing.template_id,
            code_order_id=0,
            platform=Platform(prepared.platform),
            status=CodeStatus.ISSUED,
            valid_from=min(now, expires),
            valid_until=expires,
            issued_at=now,
            redeemed_at=None,
        )
        evaluation = local.evaluate(uow, terminal, transient, order, now, zone, pending)
        template = evaluation.template.template
        pending.append(
            AppliedVoucher(
                template.id,
                template.stackable,
                evaluation.discount.discount_fen,
                evaluation.discount.allocations,
            )
        )
        plans.append(_Planned(certificate, evaluation))
    return plans


def _listing_for(
    uow: UnitOfWork, terminal: Terminal, platform: str, certificate: PlatformCertificate
) -> Listing:
    listing: Listing | None = None
    if certificate.listing_id:
        found = uow.repo(ListingRepo).by_public_id(certificate.listing_id)
        if found is not None and found.merchant_id == terminal.merchant_id:
            listing = found
    if listing is None:
        listing = uow.repo(ListingRepo).for_platform_product(
            terminal.merchant_id, platform, certificate.product_id
        )
    if listing is None or not listing.active:
        raise DomainError(
            ErrorCode.PLATFORM_PRODUCT_NOT_LINKED,
            platform=platform,
            product=certificate.title or certificate.product_id,
        )
    return listing
