"""Asking the bound platforms about a scanned code, and what their answer is worth on the order.

Each candidate platform of the code's shape is asked in parallel with the store's credentials;
a code-specific answer beats an expired authorization, which beats a platform down, which beats
not found. Planning evaluates every certificate against our rules before anything is written;
once the platform has verified a code, `mirror_code` keeps our row of it for the archive.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.catalogue.repository import ListingRepo
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.counter.evaluation import Evaluation, evaluate
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.codes import Platform, ScannedCode, mask_code
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
    credentials_of,
)
from voucherbridge.platforms.repository import BindingRepo

log = structlog.get_logger("voucherbridge.platform_redemption")
MAX_CODES_PER_SCAN = 20
# A platform code the platform gives no end date for is valid as far as we are concerned.
FAR_FUTURE = timedelta(days=3650)


@dataclass(frozen=True)
class Planned:
    certificate: PlatformCertificate
    evaluation: Evaluation


def credentials_for(
    uow: UnitOfWork, gateway: PlatformGateway, terminal: Terminal, platform: str
) -> Credentials:
    binding = uow.repo(BindingRepo).get(terminal.merchant_id, terminal.store_id, platform)
    if binding is not None and binding.status == "expired":
        raise DomainError(ErrorCode.BINDING_EXPIRED, platform=platform)
    if binding is None or binding.status != "bound":
        raise DomainError(ErrorCode.BINDING_MISSING, platform=platform)
    return credentials_of(binding, gateway.open_secret)


def ask_platforms(
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
            mark_expired(make_uow, terminal, platform, now)
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


@contextmanager
def naming_the_store(
    make_uow: UnitOfWorkFactory, terminal: Terminal, scanned: ScannedCode
) -> Iterator[None]:
    """A platform's "not for this store" names no store (Douyin's POI list, Meituan's shop
    check): the store is the one whose till scanned, as for our own codes, and the code is
    the one scanned when the platform's answer did not say. Every platform, prepare and redeem.
    """
    try:
        yield
    except DomainError as exc:
        if exc.code is not ErrorCode.VOUCHER_STORE_NOT_APPLICABLE or (
            exc.params.get("store") and exc.params.get("code")
        ):
            raise
        params = dict(exc.params)
        if not params.get("store"):
            with make_uow() as uow:
                store = uow.repo(StoreRepo).get(terminal.merchant_id, terminal.store_id)
            params["store"] = store.name if store else ""
        params["code"] = params.get("code") or scanned.value
        raise DomainError(exc.code, **params) from exc


def mark_expired(
    make_uow: UnitOfWorkFactory, terminal: Terminal, platform: str, now: datetime
) -> None:
    """The platform refused the store's authorization: the console shows 授权已失效 and the
    next scans are answered at once, until a manager binds again."""
    with make_uow(write=True) as uow:
        uow.repo(BindingRepo).mark_expired(terminal.merchant_id, terminal.store_id, platform, now)
        uow.commit()
    log.warning("binding.expired", store_id=terminal.store_id, platform=platform)


def plan_codes(
    uow: UnitOfWork,
    terminal: Terminal,
    order: Order,
    prepared: PreparedCodes,
    count: int,
    now: datetime,
    zone: ZoneInfo,
) -> list[Planned]:
    """Every rule on our side for the first `count` codes, each seeing the ones before it."""
    plans: list[Planned] = []
    pending: list[AppliedVoucher] = []
    for certificate in prepared.certificates[:count]:
        listing = listing_for(uow, terminal, prepared.platform, certificate)
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
        evaluation = evaluate(uow, terminal, transient, order, now, zone, pending)
        template = evaluation.template.template
        pending.append(
            AppliedVoucher(
                template.id,
                template.stackable,
                evaluation.discount.discount_fen,
                evaluation.discount.allocations,
            )
        )
        plans.append(Planned(certificate, evaluation))
    return plans


def listing_for(
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
    # A disabled listing stops new sales only: codes the platform sold before still redeem.
    if listing is None:
        raise DomainError(
            ErrorCode.PLATFORM_PRODUCT_NOT_LINKED,
            platform=platform,
            product=certificate.title or certificate.product_id,
        )
    return listing


def mirror_code(
    uow: UnitOfWork,
    terminal: Terminal,
    prepared: PreparedCodes,
    plan: Planned,
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


def compensate(
    client: PlatformCodeClient, credentials: Credentials, verified: Sequence[VerifiedCode]
) -> None:
    """Cancel on the platform what it verified for a scan we could not record (best effort)."""
    for done in verified:
        try:
            client.cancel(credentials, done)
            log.warning("voucher.redeem.compensated", code=mask_code(done.code))
        except Exception as exc:  # noqa: BLE001 - the original failure is what the caller sees
            log.error(
                "voucher.redeem.compensation_failed", code=mask_code(done.code), error=str(exc)
            )
