"""Binding a store: bound only after the platform's test call; secrets sealed at rest."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from voucherbridge.bootstrap import Container
from voucherbridge.core.actor import Actor
from voucherbridge.core.crypto import SecretBox
from voucherbridge.db import tables as t
from voucherbridge.domain.errors import DomainError, ErrorCode
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
