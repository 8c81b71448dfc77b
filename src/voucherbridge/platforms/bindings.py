"""Binding a store to a platform store (绑定): bound only after a signed test call succeeds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from voucherbridge.audit.record import record_admin_change
from voucherbridge.chain.repository import StoreRepo
from voucherbridge.core.actor import Actor
from voucherbridge.core.formatting import iso
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.domain.codes import Platform
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Binding
from voucherbridge.platforms.ports import APP_AUTHORIZED
from voucherbridge.platforms.repository import BindingRepo

BINDABLE = (Platform.WEIMALL.value, Platform.DOUYIN.value, Platform.MEITUAN.value)
STATUS_LABELS = {
    "bound": "已绑定",
    "failed": "绑定失败",
    "unbound": "未绑定",
    "expired": "授权已失效",
}
UTC_ZONE = ZoneInfo("UTC")


class BindingTester(Protocol):
    """Makes the platform's signed test call; returns the platform store's name or raises
    DomainError (BINDING_REJECTED for wrong credentials, BINDING_UNAUTHORIZED when the
    merchant has not authorized our app, PLATFORM_UNAVAILABLE when down). ``credential`` is the
    binding's secret, or for Douyin the authorizing account id (may be empty)."""

    def __call__(self, platform: str, platform_store_id: str, credential: str) -> str: ...


class SecretSealer(Protocol):
    def seal(self, plain: str) -> str: ...
    def open(self, sealed: str) -> str: ...


@dataclass(frozen=True, kw_only=True)
class BindingView:
    """What the console shows of a binding; never the secret."""

    store_id: int
    platform: str
    platform_store_id: str
    account_id: str
    status: str
    status_label: str
    last_error: str | None
    bound_at: str | None
    platform_store_name: str | None

    @classmethod
    def of(cls, binding: Binding, platform_store_name: str | None = None) -> BindingView:
        return cls(
            store_id=binding.store_id,
            platform=binding.platform,
            platform_store_id=binding.platform_store_id,
            account_id=binding.account_id,
            status=binding.status,
            status_label=STATUS_LABELS.get(binding.status, binding.status),
            last_error=binding.last_error,
            bound_at=iso(binding.bound_at, UTC_ZONE),
            platform_store_name=platform_store_name,
        )


def bind_store(
    make_uow: UnitOfWorkFactory,
    *,
    actor: Actor,
    store_id: int,
    platform: str,
    platform_store_id: str,
    secret: str,
    tester: BindingTester,
    sealer: SecretSealer,
    now: datetime,
    account_id: str = "",
) -> BindingView:
    """Test the credentials with the platform, then record the binding (or the failure).

    A store that is already bound keeps its binding when the test call fails (the failed
    attempt is noted in ``last_error`` and the audit log, and the platform's error is raised):
    new credentials take effect only once the platform accepted them. A store that is not
    bound (never, failed or expired) records the failed attempt as its binding, ``failed``.
    """
    actor.require_manager()
    if platform not in BINDABLE:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="platform")
    platform_store_id, secret = platform_store_id.strip(), secret.strip()
    account_id = account_id.strip()
    if not 0 < len(platform_store_id) <= 64:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="platform_store_id")
    credential = _credential(platform, secret, account_id)
    actor.require_change(frozenset({store_id}))
    with make_uow() as uow:
        if uow.repo(StoreRepo).get(actor.merchant_id, store_id) is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="store")
        taken = uow.repo(BindingRepo).by_platform_store(platform, platform_store_id)
        if taken is not None and taken.store_id != store_id:
            raise DomainError(ErrorCode.CONFLICT, what="binding", field="platform_store_id")
    # The network call happens outside any transaction: a slow platform holds no lock.
    failure: DomainError | None = None
    name: str | None = None
    try:
        name = tester(platform, platform_store_id, credential)
    except DomainError as exc:
        failure = exc
    view: BindingView | None = None
    with make_uow(write=True) as uow:
        repo = uow.repo(BindingRepo)
        before = repo.get(actor.merchant_id, store_id, platform)
        earlier = _audited(BindingView.of(before)) if before is not None else None
        subject = f"{store_id}:{platform}"
        if failure is not None and repo.note_failed_attempt(
            actor.merchant_id, store_id, platform, failure.code.value
        ):
            # A working binding stays as it is (secret, platform store id, 已绑定): purchases
            # and the till keep using it. Only a test call that passes replaces it.
            attempt = {"platform_store_id": platform_store_id, "error": failure.code.value}
            record_admin_change(uow, actor, "binding.rebind_failed", subject, earlier, attempt, now)
        else:
            status = "bound" if failure is None else "failed"
            repo.save(
                actor.merchant_id,
                store_id=store_id,
                platform=platform,
                platform_store_id=platform_store_id,
                secret_sealed=sealer.seal(secret) if secret else "",
                status=status,
                last_error=failure.code.value if failure else None,
                now=now,
                account_id=account_id,
            )
            binding = repo.get(actor.merchant_id, store_id, platform)
            assert binding is not None
            view = BindingView.of(binding, name)
            record_admin_change(
                uow, actor, f"binding.{status}", subject, earlier, _audited(view), now
            )
        uow.commit()
    if failure is not None:
        raise failure
    assert view is not None
    return view


def _credential(platform: str, secret: str, account_id: str) -> str:
    """Douyin: our one app, authorized by the merchant's account (optional: Douyin finds it
    from the POI), and no secret; the others: the binding's own secret, and no account."""
    if platform in APP_AUTHORIZED:
        if secret:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="secret")
        if len(account_id) > 64 or not account_id.isdigit() and account_id:
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="account_id")
        return account_id
    if account_id:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="account_id")
    if not 0 < len(secret) <= 256:
        raise DomainError(ErrorCode.VALIDATION_ERROR, field="secret")
    return secret


def _audited(view: BindingView) -> dict[str, object]:
    return {k: v for k, v in asdict(view).items() if k != "last_error"}


def list_bindings(make_uow: UnitOfWorkFactory, *, actor: Actor) -> list[BindingView]:
    with make_uow() as uow:
        found = uow.repo(BindingRepo).list(actor.merchant_id, actor.store_ids)
        return [BindingView.of(b) for b in found]
