"""Server-rendered pages: the merchant console (`/console`), the cashier page (`/cashier`) and the
consumer's pages on the phone (`/wx/...`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount our own assets (no CDN: counters are often offline from the internet) and pages."""
    from voucherbridge.web.cashier.live import router as cashier_live_router
    from voucherbridge.web.cashier.routes import router as cashier_router
    from voucherbridge.web.console.routes import router as console_router
    from voucherbridge.web.consumer.routes import router as consumer_router
    from voucherbridge.web.consumer.table_routes import router as table_router
    from voucherbridge.web.start.routes import router as start_router

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(console_router)
    app.include_router(cashier_router)
    app.include_router(cashier_live_router)
    app.include_router(consumer_router)
    app.include_router(table_router)
    app.include_router(start_router)
