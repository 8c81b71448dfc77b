"""Issuing merchant codes (商家券 / 三方码) under a listing, idempotent on the order reference."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.audit.repository import AuditRepo
from voucherbridge.catalogue.code_repository import CodeRepo
from voucherbridge.catalogue.repository import ListingRepo, TemplateRepo
from voucherbridge.chain.merchants import merchant_zone
from voucherbridge.core.actor import Actor
from voucherbridge.core.formatting import iso
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.codes import CodeType, generate_merchant_code, normalize_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import CodeEvent, Listing, TemplateRow
from voucherbridge.domain.vouchers import Validity

MAX_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Issued:
    codes: list[str]
    created: bool
    # What a call that made the codes knows of them (a replay leaves them out): their ids in
    # the order of `codes`, when they end and the zone that end is a midnight of.
    ids: list[int] = field(default_factory=list)
    valid_until: datetime | None = None
    timezone: str = "Asia/Shanghai"


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuedBatchView:
    """A console batch: its reference, its codes, and whether this call made them."""

    listing_id: int
    reference: str
    codes: list[str]
    created: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeEventView:
    event: str
    at: str | None
    store_id: int | None
    order_id: int | None
    redemption_id: int | None
    actor: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeArchiveView:
    """票券档案: one code, its status and its whole history, in the merchant's time zone."""

    code: str
    status: str
    platform: str
    listing_id: int
    template_id: int
    valid_from: str | None
    valid_until: str | None
    issued_at: str | None
    events: list[CodeEventView]


def issue_codes(
    uow: UnitOfWork,
    *,
    merchant_id: int,
    listing: Listing,
    platform_order_id: str,
    quantity: int,
    buyer_openid: str | None,
    now: datetime,
    actor: str,
    template: TemplateRow | None = None,
) -> Issued:
    """Create `quantity` codes for one platform order inside the caller's transaction
    (`template`: the listing's, when the caller has read it already).

    A replay of the same platform order returns the codes issued the first time. However many
    codes, the order costs the same few statements: the values are checked against the codes
    table together, and the codes and their events are inserted together (issue #20).
    """
    if not 1 <= quantity <= MAX_BATCH:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="quantity")
    if listing.code_type is not CodeType.MERCHANT:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="code_type", reason="platform_codes")
    existing = uow.repo(CodeRepo).find_order(merchant_id, listing.platform.value, platform_order_id)
    if existing is not None:
        return Issued([c.code for c in uow.repo(CodeRepo).of_order(existing)], created=False)
    template = template or uow.repo(TemplateRepo).get(merchant_id, listing.template_id)
    assert template is not None
    assert template.template.id == listing.template_id
    zone = merchant_zone(uow, merchant_id)
    validity = Validity(
        template.validity_mode, template.valid_from, template.valid_to, template.valid_days
    )
    valid_from, valid_until = validity.period_for(now, zone)
    order_id = uow.repo(CodeRepo).add_order(
        merchant_id,
        listing_id=listing.id,
        platform=listing.platform.value,
        platform_order_id=platform_order_id,
        quantity=quantity,
        buyer_openid=buyer_openid,
        now=now,
    )
    repo = uow.repo(CodeRepo)
    codes: list[str] = []
    while len(codes) < quantity:
        drawn = [generate_merchant_code(listing.platform) for _ in range(quantity - len(codes))]
        fresh = [v for v in dict.fromkeys(drawn) if v not in codes]
        # 43 random bits: a clash is rare, but the unique index would refuse it
        taken = repo.taken(fresh)
        codes.extend(v for v in fresh if v not in taken)
    ids = repo.add_many(
        merchant_id,
        codes,
        listing_id=listing.id,
        template_id=listing.template_id,
        code_order_id=order_id,
        platform=listing.platform.value,
        valid_from=valid_from,
        valid_until=valid_until,
        now=now,
    )
    issued = CodeEvent("issued", now, None, None, None, actor, {"order": platform_order_id})
    repo.add_events(merchant_id, [(code_id, issued) for code_id in ids])
    return Issued(codes, True, ids, valid_until, zone.key)


def issue_batch(
    uow: UnitOfWork,
    *,
    actor: Actor,
    listing_id: int,
    quantity: int,
    reference: str | None,
    now: datetime,
) -> IssuedBatchView:
    """Issue a batch from the console; the same reference returns the same codes."""
    actor.require_manager()
    reference = (reference or "").strip()[:64] or f"batch-{secrets.token_hex(8)}"
    with uow:
        listing = uow.repo(ListingRepo).get(actor.merchant_id, listing_id)
        if listing is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="listing")
        template = uow.repo(TemplateRepo).get(actor.merchant_id, listing.template_id)
        assert template is not None
        # Codes of a chain-wide template redeem in every store: HQ's to mint, not a manager's.
        actor.require_change(template.template.store_ids)
        issued = issue_codes(
            uow,
            merchant_id=actor.merchant_id,
            listing=listing,
            platform_order_id=reference,
            quantity=quantity,
            buyer_openid=None,
            now=now,
            actor=f"user:{actor.user_id}",
        )
        if issued.created:
            uow.repo(AuditRepo).add(
                actor.merchant_id,
                actor_type="user",
                actor_id=str(actor.user_id),
                action="codes.issue",
                subject=f"listing:{listing.id}",
                before=None,
                after={"reference": reference, "quantity": quantity},
                now=now,
            )
        uow.commit()
        return IssuedBatchView(
            listing_id=listing.id,
            reference=reference,
            codes=issued.codes,
            created=issued.created,
        )


def code_archive(uow: UnitOfWork, *, actor: Actor, code: str) -> CodeArchiveView:
    """票券档案: one code with its status and whole history."""
    with uow:
        found = uow.repo(CodeRepo).find(actor.merchant_id, normalize_code(code))
        if found is None:
            raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=code[:32])
        zone: ZoneInfo = merchant_zone(uow, actor.merchant_id)
        events = uow.repo(CodeRepo).events(actor.merchant_id, found.id)
        return CodeArchiveView(
            code=found.code,
            status=found.status.value,
            platform=found.platform.value,
            listing_id=found.listing_id,
            template_id=found.template_id,
            valid_from=iso(found.valid_from, zone),
            valid_until=iso(found.valid_until, zone),
            issued_at=iso(found.issued_at, zone),
            events=[
                CodeEventView(
                    event=e.event,
                    at=iso(e.at, zone),
                    store_id=e.store_id,
                    order_id=e.order_id,
                    redemption_id=e.redemption_id,
                    actor=e.actor,
                )
                for e in events
            ],
        )
