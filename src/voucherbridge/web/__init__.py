"""Server-rendered pages: the merchant console (`/console`) and the cashier page (`/cashier`)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount our own assets (no CDN: counters are often offline from the internet) and pages."""
    from voucherbridge.web.cashier.routes import router as cashier_router
    from voucherbridge.web.console.routes import router as console_router
    from voucherbridge.web.start.routes import router as start_router

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(console_router)
    app.include_router(cashier_router)
    app.include_router(start_router)
