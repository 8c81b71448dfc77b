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
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog

from voucherbridge.core.formatting import iso
from voucherbridge.counter import recording
from voucherbridge.counter.evaluation import Evaluation, open_order
from voucherbridge.counter.platform_answers import (
    MAX_CODES_PER_SCAN,
    ask_platforms,
    compensate,
    mirror_code,
    naming_the_store,
    plan_codes,
)
from voucherbridge.counter.repository import OrderRepo, RedemptionRepo
from voucherbridge.counter.views import PrepareView, RedemptionView, scan_answer
from voucherbridge.db.uow import UnitOfWork, UnitOfWorkFactory
from voucherbridge.domain.codes import ScannedCode, mask_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Order, Terminal
from voucherbridge.platforms.ports import (
    PlatformGateway,
    PreparedCodes,
    VerifiedCode,
)

log = structlog.get_logger("voucherbridge.platform_redemption")


# ---- prepare ---------------------------------------------------------------------------------
def prepare_platform_code(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    terminal: Terminal,
    scanned: ScannedCode,
    order_id: int,
    now: datetime,
) -> PrepareView:
    """What the code is worth on this order, as the platform and our rules say. Reads only."""
    with naming_the_store(make_uow, terminal, scanned):
        platform, credentials, prepared = ask_platforms(make_uow, gateway, terminal, scanned, now)
        with make_uow() as uow:
            order = open_order(uow, terminal, order_id)
            zone = ZoneInfo(terminal.timezone)
            plans = plan_codes(uow, terminal, order, prepared, 1, now, zone)
    first = plans[0]
    template = first.evaluation.template.template
    return PrepareView(
        code=scanned.value,
        platform=platform,
        kind=template.kind.value,
        name=template.name,
        face_value_fen=template.face_value_fen,
        discount_fen=first.evaluation.discount.discount_fen,
        valid_until=iso(first.certificate.expires_at, zone),
        redeemable=True,
        available_count=len(prepared.certificates),
        platform_title=first.certificate.title,
    )


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
) -> recording.RedeemOutcome:
    """Verify `count` codes of the scanned platform order with the platform, then record them.

    Requests of one idempotency key run one at a time (`key_claimed`): a retry sent while the
    first is still with the platform waits, then replays the first answer, where it would
    otherwise be told by the platform that its own code is already used. Should one slip past
    the claim (another process on SQLite) and be refused, the key's answer stored meanwhile
    is its answer, as if it had come second: the replay, or `idempotency_conflict`.
    """
    if not 1 <= count <= MAX_CODES_PER_SCAN:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="count")
    request_hash = recording.request_hash_of(scanned.value, order_id, count)
    with naming_the_store(make_uow, terminal, scanned):
        with recording.key_claimed(make_uow, terminal, idempotency_key):
            try:
                return _redeem(
                    make_uow,
                    gateway,
                    terminal=terminal,
                    scanned=scanned,
                    order_id=order_id,
                    count=count,
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                    now=now,
                    reversal_windows=reversal_windows,
                )
            except DomainError as refused:
                if not idempotency_key or refused.code in _KEY_ANSWERS:
                    raise
                with make_uow() as uow:
                    stored = recording.answer_of_key(uow, terminal, idempotency_key, request_hash)
                if stored is None:
                    raise
                return stored


_KEY_ANSWERS = frozenset({ErrorCode.IDEMPOTENCY_CONFLICT, ErrorCode.IDEMPOTENCY_IN_PROGRESS})


def _redeem(
    make_uow: UnitOfWorkFactory,
    gateway: PlatformGateway,
    *,
    terminal: Terminal,
    scanned: ScannedCode,
    order_id: int,
    count: int,
    idempotency_key: str | None,
    request_hash: str,
    now: datetime,
    reversal_windows: Mapping[str, int],
) -> recording.RedeemOutcome:
    zone = ZoneInfo(terminal.timezone)
    with make_uow() as uow:
        order = open_order(uow, terminal, order_id)
        replay = _replay(uow, terminal, scanned, order, idempotency_key, request_hash, zone)
        if replay is not None:
            return replay
    platform, credentials, prepared = ask_platforms(make_uow, gateway, terminal, scanned, now)
    if count > len(prepared.certificates):
        raise DomainError(
            ErrorCode.VALIDATION_ERROR, field="count", available=len(prepared.certificates)
        )
    with make_uow() as uow:
        plan_codes(
            uow,
            terminal,
            open_order(uow, terminal, order_id),
            prepared,
            count,
            now,
            zone,
        )
    public_id = recording.new_redemption_id()
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
        compensate(client, credentials, verified)
        raise
    if outcome is None:
        # A request of the same key that `key_claimed` did not hold back (another process on
        # SQLite, or one of our merchant codes) stored its answer while we were with the
        # platform: its answer stands, our verify is cancelled on the platform.
        compensate(client, credentials, verified)
        with make_uow() as uow:
            return recording.answer_for_taken_key(uow, terminal, idempotency_key, request_hash)
    log.info(
        "voucher.redeem.succeeded",
        terminal_id=terminal.id,
        order_id=order_id,
        platform=platform,
        count=len(verified),
        redemption_id=outcome.body.id,
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
) -> recording.RedeemOutcome | None:
    """A retried request (same key) or a double Enter (same code, same order, same store)."""
    stored = recording.answer_of_key(uow, terminal, idempotency_key, request_hash)
    if stored is not None:
        return stored
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
        views = [RedemptionView.of(r, zone) for r in group if r.public_id.startswith(base)]
        return recording.RedeemOutcome(scan_answer(views), replayed=True)
    return None


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
) -> recording.RedeemOutcome | None:
    with make_uow(write=True) as uow:
        if not uow.repo(OrderRepo).lock_open(terminal.merchant_id, order_id):
            open_order(uow, terminal, order_id)
        order = open_order(uow, terminal, order_id)
        plans = plan_codes(uow, terminal, order, prepared, len(verified), now, zone)
        views: list[RedemptionView] = []
        for index, (plan, done) in enumerate(zip(plans, verified, strict=True)):
            code = mirror_code(uow, terminal, prepared, plan, done, now)
            evaluation = Evaluation(
                code, plan.evaluation.template, plan.evaluation.listing, plan.evaluation.discount
            )
            redemption = recording.record_redemption(
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
            views.append(RedemptionView.of(redemption, zone))
        body = scan_answer(views)
        if not recording.remember(
            uow,
            terminal,
            idempotency_key,
            request_hash,
            _id_of(uow, terminal.merchant_id, public_id),
            body,
            now,
        ):
            uow.rollback()
            return None  # the key was taken meanwhile: nothing of ours is written
        uow.commit()
        return recording.RedeemOutcome(body, replayed=False)


def _id_of(uow: UnitOfWork, merchant_id: int, public_id: str) -> int:
    redemption = uow.repo(RedemptionRepo).get(merchant_id, public_id)
    assert redemption is not None
    return redemption.id
