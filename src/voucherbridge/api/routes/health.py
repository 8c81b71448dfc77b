"""Liveness, readiness and metrics for load balancers, Prometheus and the demo banner."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from voucherbridge import __version__
from voucherbridge.api.deps import ContainerDep
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import pick_language, render
from voucherbridge.ops.metrics import CONTENT_TYPE, render_metrics, scrape_allowed
from voucherbridge.ops.readiness import check_readiness

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(c: ContainerDep) -> dict[str, Any]:
    """200 when the process is up and the database answers."""
    with c.engine.connect() as conn:
        conn.execute(text("select 1"))
    return {"status": "ok", "version": __version__}


@router.get("/readyz", responses={503: {"description": "Not ready, with the reasons"}})
def readyz(request: Request, c: ContainerDep) -> JSONResponse:
    """200 when the database answers, its schema is at head and the outbox keeps up; else 503
    with each failed check's reason in Chinese and English."""
    checks = check_readiness(c.uow, backlog_limit=c.settings.ready_outbox_backlog_limit)
    failed = [check for check in checks if not check.ok]
    summary = {check.name: "ok" if check.ok else "failed" for check in checks}
    if not failed:
        return JSONResponse({"status": "ready", "version": __version__, "checks": summary})
    lang = pick_language(request.headers.get("accept-language"))
    reasons = [{"check": f.name, "zh": f.zh, "en": f.en} for f in failed]
    message = render(ErrorCode.SERVICE_UNAVAILABLE, {}, lang)
    shown = "; ".join(f.en if lang == "en" else f.zh for f in failed)
    body = {
        "status": "not_ready",
        "checks": summary,
        "error": {
            "code": ErrorCode.SERVICE_UNAVAILABLE.value,
            "message": f"{message}: {shown}",
            "details": {"reasons": reasons},
        },
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})


@router.get("/metrics", response_class=Response, include_in_schema=False)
def metrics(request: Request, c: ContainerDep) -> Response:
    """Prometheus metrics (all processes in multiprocess mode, and the outbox per destination);
    with VOUCHERBRIDGE_METRICS_TOKEN set, only for a scraper that sends it as a bearer token."""
    if not scrape_allowed(c.settings.metrics_token, request.headers.get("authorization")):
        raise DomainError(ErrorCode.UNAUTHORIZED)
    return Response(render_metrics(c.uow), media_type=CONTENT_TYPE)
