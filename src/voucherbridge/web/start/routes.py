"""The first screen (`GET /`): where the console, the cashier page, the API documents and, on a
machine that runs them, the platform simulators' pages are."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from voucherbridge.api.deps import ContainerDep
from voucherbridge.config import Settings
from voucherbridge.web.templating import render_page

router = APIRouter(include_in_schema=False)
PLATFORM_NAMES = (("weimall", "微商城"), ("douyin", "抖音来客"), ("meituan", "美团/点评"))


def simulator_pages(settings: Settings) -> list[dict[str, str]]:
    """The simulators our settings point at on this machine (a real platform has no page)."""
    pages = []
    for platform, name in PLATFORM_NAMES:
        url = str(getattr(settings, f"{platform}_base_url"))
        if urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1"):
            pages.append({"platform": platform, "name": name, "url": url.rstrip("/") + "/"})
    return pages


@router.get("/", response_class=HTMLResponse)
def start(request: Request, c: ContainerDep) -> HTMLResponse:
    return render_page(request, "start.html", {"simulators": simulator_pages(c.settings)})
