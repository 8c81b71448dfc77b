"""Binding a store: bound only after the platform's test call; secrets sealed at rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from voucherbridge.bootstrap import Container
from voucherbridge.core.actor import Actor
from voucherbridge.core.crypto import SecretBox
from voucherbridge.db import tables as t
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Binding
from voucherbridge.platforms.bindings import bind_store, list_bindings
from voucherbridge.platforms.repository import BindingRepo

HQ = Actor(1, 1, "admin", "hq_admin", None)


def _tester(expected_secret: str):
    def test(platform: str, platform_store_id: str, secret: str) -> str:
        if secret != expected_secret:
            raise DomainError(ErrorCode.BINDING_REJECTED, platform=platform)
        return "右姑娘火锅微商城"

    return test


def test_good_secret_binds_and_is_sealed_at_rest(container: Container, demo: dict[str, Any]):
    view = bind_store(
        container.uow,
        actor=HQ,
        store_id=1,
        platform="weimall",
        platform_store_id="JWL-1001",
        secret="s3cret-value",
        tester=_tester("s3cret-value"),
        sealer=container.secrets,
        now=container.clock(),
    )
    assert (view.status, view.status_label) == ("bound", "已绑定")
    assert "secret" not in str(view)
    with container.engine.connect() as conn:
        stored = conn.execute(
            select(t.bindings.c.secret_encrypted).where(
                t.bindings.c.platform_store_id == "JWL-1001"
            )
        ).scalar_one()
    assert "s3cret-value" not in stored
    assert container.secrets.open(stored) == "s3cret-value"


def test_wrong_secret_leaves_the_store_unbound(container: Container, demo: dict[str, Any]):
    # The demo binds every store to the Meituan simulator: this store has not bound yet.
    with container.engine.begin() as conn:
        conn.execute(t.bindings.delete().where(t.bindings.c.platform == "meituan"))
    with pytest.raises(DomainError) as refused:
        bind_store(
            container.uow,
            actor=HQ,
            store_id=1,
            platform="meituan",
            platform_store_id="7001",
            secret="wrong",
            tester=_tester("right"),
            sealer=container.secrets,
            now=container.clock(),
        )
    assert refused.value.code is ErrorCode.BINDING_REJECTED
    [binding] = [
        b
        for b in list_bindings(container.uow, actor=HQ)
        if (b.store_id, b.platform) == (1, "meituan")
    ]
    assert (binding.status, binding.status_label) == ("failed", "绑定失败")
    with container.uow() as uow:
        assert not uow.repo(BindingRepo).is_bound(1, "meituan")


def test_a_store_manager_cannot_bind_another_store(container: Container, demo: dict[str, Any]):
    manager = Actor(2, 1, "huanggang", "store_manager", frozenset({1}))
    with pytest.raises(DomainError) as refused:
        bind_store(
            container.uow,
            actor=manager,
            store_id=2,
            platform="weimall",
            platform_store_id="JWL-2",
            secret="x",
            tester=_tester("x"),
            sealer=container.secrets,
            now=container.clock(),
        )
    assert refused.value.code is ErrorCode.FORBIDDEN


def test_sealed_secrets_do_not_open_under_another_key() -> None:
    sealed = SecretBox("key-one").seal("abc")
    assert SecretBox("key-one").open(sealed) == "abc"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SecretBox("key-two").open(sealed)


# ---- re-binding a working store ----------------------------------------------------------------
def _bind(container: Container, platform: str, ref: str, secret: str, tester: Any, at: datetime):
    return bind_store(
        container.uow,
        actor=HQ,
        store_id=1,
        platform=platform,
        platform_store_id=ref,
        secret=secret,
        tester=tester,
        sealer=container.secrets,
        now=at,
    )


def _down(platform: str, platform_store_id: str, secret: str) -> str:
    raise DomainError(ErrorCode.PLATFORM_UNAVAILABLE, platform=platform)


def _stored(container: Container, platform: str) -> Binding:
    with container.uow() as uow:
        binding = uow.repo(BindingRepo).get(1, 1, platform)
    assert binding is not None
    return binding


def _audit(container: Container, action: str) -> list[Any]:
    with container.engine.connect() as conn:
        return list(
            conn.execute(
                select(t.audit_log.c.subject, t.audit_log.c.before, t.audit_log.c.after)
                .where(t.audit_log.c.action == action)
                .order_by(t.audit_log.c.id)
            )
        )


@pytest.mark.parametrize("platform", ["weimall", "meituan"])  # Douyin: no secret, see below
@pytest.mark.parametrize(
    ("tester", "error"),
    [(_tester("old-secret"), ErrorCode.BINDING_REJECTED), (_down, ErrorCode.PLATFORM_UNAVAILABLE)],
    ids=["rejected", "platform-down"],
)
def test_a_failed_rebind_keeps_the_working_binding_until_a_new_secret_passes(
    container: Container, demo: dict[str, Any], platform: str, tester: Any, error: ErrorCode
):
    first_at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    _bind(container, platform, "P-OLD", "old-secret", _tester("old-secret"), first_at)
    working = _stored(container, platform)

    for ref in ("P-OLD", "P-NEW"):  # a wrong secret for the same store id, or another store id
        with pytest.raises(DomainError) as refused:
            _bind(container, platform, ref, "wrong-secret", tester, first_at + timedelta(hours=1))
        assert refused.value.code is error  # the same answer as a first bind gets
        kept = _stored(container, platform)
        assert (kept.status, kept.platform_store_id) == ("bound", "P-OLD")
        assert kept.secret_sealed == working.secret_sealed
        assert container.secrets.open(kept.secret_sealed) == "old-secret"
        assert kept.bound_at == working.bound_at
        assert kept.last_error == error.value  # the failed attempt is noted
    [view] = [
        b
        for b in list_bindings(container.uow, actor=HQ)
        if b.platform == platform and b.store_id == 1
    ]
    assert (view.status_label, view.platform_store_id) == ("已绑定", "P-OLD")
    with container.uow() as uow:
        assert uow.repo(BindingRepo).is_bound(1, platform)
        assert uow.repo(BindingRepo).by_platform_store(platform, "P-OLD") is not None
        assert uow.repo(BindingRepo).by_platform_store(platform, "P-NEW") is None
    attempts = _audit(container, "binding.rebind_failed")
    assert [(a.subject, a.after) for a in attempts] == [
        (f"binding:1:{platform}", {"platform_store_id": ref, "error": error.value})
        for ref in ("P-OLD", "P-NEW")
    ]
    assert attempts[0].before["platform_store_id"] == "P-OLD"
    assert "secret" not in str(attempts)

    later = first_at + timedelta(hours=2)
    view = _bind(container, platform, "P-NEW", "new-secret", _tester("new-secret"), later)
    assert (view.status, view.platform_store_id, view.last_error) == ("bound", "P-NEW", None)
    replaced = _stored(container, platform)
    assert container.secrets.open(replaced.secret_sealed) == "new-secret"
    assert replaced.bound_at == later


def test_a_binding_that_no_longer_works_records_the_failed_attempt(
    container: Container, demo: dict[str, Any]
):
    """Expired (or failed) bindings serve nothing: the latest attempt is what the console shows."""
    at = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    _bind(container, "meituan", "P-OLD", "old-secret", _tester("old-secret"), at)
    with container.uow(write=True) as uow:
        uow.repo(BindingRepo).mark_expired(1, 1, "meituan", at)
        uow.commit()
    with pytest.raises(DomainError) as refused:
        _bind(container, "meituan", "P-NEW", "wrong", _tester("old-secret"), at)
    assert refused.value.code is ErrorCode.BINDING_REJECTED
    stored = _stored(container, "meituan")
    assert (stored.status, stored.platform_store_id) == ("failed", "P-NEW")
    assert stored.last_error == "binding_rejected"


def test_douyin_binds_the_authorizing_account_and_keeps_no_secret(
    container: Container, demo: dict[str, Any]
):
    """Douyin is one app (our key and secret, in the settings) that the merchant authorizes:
    the binding records the POI and the authorizing account, never a secret."""
    asked: list[str] = []

    def douyin(platform: str, platform_store_id: str, credential: str) -> str:
        asked.append(credential)
        return "皇岗店"

    def bind(**fields: str) -> Any:
        return bind_store(
            container.uow,
            actor=HQ,
            store_id=1,
            platform="douyin",
            platform_store_id="7001000000009",
            tester=douyin,
            sealer=container.secrets,
            now=container.clock(),
            **{"secret": "", **fields},
        )

    for bad in ({"secret": "a-secret"}, {"account_id": "not-digits"}, {"account_id": "9" * 65}):
        with pytest.raises(DomainError) as refused:
            bind(**bad)
        assert refused.value.code is ErrorCode.VALIDATION_ERROR
        assert refused.value.params["field"] == next(iter(bad))
    assert asked == []  # refused before asking Douyin

    view = bind(account_id="7100000000000000001")
    assert (view.status, view.account_id, view.platform_store_id) == (
        "bound",
        "7100000000000000001",
        "7001000000009",
    )
    assert asked == ["7100000000000000001"]
    stored = _stored(container, "douyin")
    assert (stored.secret_sealed, stored.account_id) == ("", "7100000000000000001")

    with pytest.raises(DomainError) as refused:
        bind_store(
            container.uow,
            actor=HQ,
            store_id=1,
            platform="weimall",
            platform_store_id="JWL-1",
            secret="s",
            account_id="7100000000000000001",
            tester=_tester("s"),
            sealer=container.secrets,
            now=container.clock(),
        )
    assert refused.value.params["field"] == "account_id"  # only Douyin has one
