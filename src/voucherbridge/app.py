"""The FastAPI application factory."""

from __future__ import annotations

import gc

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from voucherbridge import __version__, web
from voucherbridge.api import errors, openapi
from voucherbridge.api.middleware import BodySizeLimit
from voucherbridge.api.observe import RequestObserver
from voucherbridge.api.routes import (
    admin_audit,
    admin_items,
    admin_listings,
    admin_outbox,
    admin_platforms,
    admin_reconciliations,
    admin_reports,
    admin_sales_stop,
    admin_session,
    admin_stores,
    admin_templates,
    admin_terminals,
    admin_users,
    checkout,
    health,
    hooks,
    receipt_print,
    terminal,
    wechatpay_hooks,
)
from voucherbridge.api.warm_up import build_route_state
from voucherbridge.bootstrap import Container, build
from voucherbridge.config import Settings
from voucherbridge.core.logs import configure_logging
from voucherbridge.db.migrate import ensure_migrated
from voucherbridge.web.security_headers import SecurityHeaders

DOCS_STATIC = "/static/api-docs"


def create_app(settings: Settings | None = None, container: Container | None = None) -> FastAPI:
    """Build the app; refuses to start on a database that is not migrated."""
    container = container or build(settings)
    configure_logging(container.settings)
    ensure_migrated(container.engine)
    # FastAPIOffline: /docs and /redoc load Swagger UI and ReDoc from our own files, not a CDN.
    app = FastAPIOffline(
        title="VoucherBridge",
        version=__version__,
        description="Redeem WeChat micro-mall, Douyin and Meituan vouchers at the point of sale.",
        static_url=DOCS_STATIC,
    )
    app.state.container = container
    app.add_middleware(BodySizeLimit, max_bytes=container.settings.max_body_bytes)
    # Added last, so outermost: the 413s and error bodies of the layers inside carry them too.
    docs = ("/docs", "/redoc", app.swagger_ui_oauth2_redirect_url)
    app.add_middleware(SecurityHeaders, docs_paths=docs)
    app.add_middleware(RequestObserver)  # outermost: every answer has its id, log line, count
    errors.install(app)
    openapi.install(app)
    app.include_router(health.router)
    app.include_router(terminal.router)
    app.include_router(checkout.router)
    app.include_router(receipt_print.router)
    app.include_router(admin_session.router)
    app.include_router(admin_stores.router)
    app.include_router(admin_items.router)
    app.include_router(admin_terminals.router)
    app.include_router(admin_users.router)
    app.include_router(admin_templates.router)
    app.include_router(admin_listings.router)
    app.include_router(admin_sales_stop.router)
    app.include_router(admin_outbox.router)
    app.include_router(admin_audit.router)
    app.include_router(admin_platforms.router)
    app.include_router(admin_reconciliations.router)
    app.include_router(admin_reports.router)
    app.include_router(hooks.router)
    app.include_router(wechatpay_hooks.router)
    web.install(app)
    return app


def serve_app() -> FastAPI:
    """The app as `voucherbridge serve` runs it (uvicorn's factory, once per API process).

    Every route's state is built first (`build_route_state`), so that the first scan after a
    start does not pay for it. What start-up built (routes, models, compiled statements: most
    of the heap) is moved out of the garbage collector's sight, so that a full collection
    during a request walks only what requests made since: under load the slowest redemptions
    waited on such collections (issue #20: p99 at saturation 123-130 ms before, 63-67 ms after,
    SQLite). Not for tests, which build many apps in one process and would keep every one of
    them alive."""
    app = create_app()
    build_route_state(app)
    gc.collect()
    gc.freeze()
    return app
