"""`voucherbridge doctor`: is this installation fit to run? Each check is a row of a table.

Settings (the secret key is not the published default outside development; /metrics asks
for a token in production), the database
(answers, schema at head, its clock against ours) and the platforms (each base URL answers
within a short timeout; any HTTP answer counts: the point is the route and the name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

from voucherbridge.config import Settings, is_weak_secret_key
from voucherbridge.db import migrate
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.ops.readiness import code_revision
from voucherbridge.ops.repository import OpsRepo

MAX_SKEW_S = 5.0
PLATFORM_TIMEOUT_S = 3.0
PLATFORMS = ("weimall", "douyin", "meituan")


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    ok: bool
    detail: str


def secret_key(settings: Settings) -> Finding:
    weak = is_weak_secret_key(settings.secret_key)
    if settings.environment == "development":
        shown = "开发环境可用默认值 / default allowed in development" if weak else "已设置 / set"
        return Finding("secret key", True, shown)
    if weak:
        return Finding(
            "secret key",
            False,
            f"{settings.environment} 环境不能用默认或过短的密钥 / must be a random value "
            "of 32+ characters, not the default (VOUCHERBRIDGE_SECRET_KEY)",
        )
    return Finding("secret key", True, "已设置 / set")


def metrics_token(settings: Settings) -> Finding:
    """Open metrics are fine behind a proxy that hides them; production should not rely on it."""
    if settings.metrics_token:
        return Finding("metrics", True, "需要令牌 / bearer token required")
    if settings.environment != "production":
        return Finding("metrics", True, f"开放 / open ({settings.environment})")
    return Finding(
        "metrics",
        False,
        "/metrics 无需令牌即可读取 / is open: set VOUCHERBRIDGE_METRICS_TOKEN "
        "and give it to Prometheus (authorization: bearer)",
    )


def database(make_uow: UnitOfWorkFactory, now: datetime) -> list[Finding]:
    """Reachable, at head, and its clock within MAX_SKEW_S of ours."""
    where = make_uow.engine.url.render_as_string(hide_password=True)
    try:
        with make_uow() as uow:
            server_now = uow.repo(OpsRepo).server_now()
    except Exception as exc:  # any failure to connect: the finding says which
        return [Finding("database", False, f"{where}: {type(exc).__name__}: {exc}"[:300])]
    found = [Finding("database", True, where)]
    current, head = migrate.current_revision(make_uow.engine), code_revision()
    found.append(
        Finding("migrations", True, f"{current}")
        if current == head
        else Finding(
            "migrations",
            False,
            f"{current or '空 / empty'} -> {head}: voucherbridge migrate",
        )
    )
    skew = (now - server_now).total_seconds()
    ok = abs(skew) <= MAX_SKEW_S
    found.append(
        Finding(
            "clock skew",
            ok,
            f"{skew:+.1f} s (与数据库服务器 / against the database server, max {MAX_SKEW_S:g} s)",
        )
    )
    return found


def platform(name: str, base_url: str, timeout_s: float = PLATFORM_TIMEOUT_S) -> Finding:
    try:
        with httpx.Client(timeout=timeout_s) as http:
            answer = http.get(base_url)
    except httpx.HTTPError as exc:
        return Finding(f"{name}", False, f"{base_url}: {type(exc).__name__}")
    return Finding(f"{name}", True, f"{base_url}: HTTP {answer.status_code}")


def run_checks(
    settings: Settings,
    make_uow: UnitOfWorkFactory,
    clock: Callable[[], datetime],
    *,
    platform_timeout_s: float = PLATFORM_TIMEOUT_S,
) -> list[Finding]:
    """Every check, in the order a person fixes them."""
    found = [secret_key(settings), metrics_token(settings), *database(make_uow, clock())]
    for name in PLATFORMS:
        url = str(getattr(settings, f"{name}_base_url"))
        found.append(platform(f"platform {name}", url, platform_timeout_s))
    return found
