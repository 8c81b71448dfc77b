"""Jinja2 rendering with the page language chosen per request (Chinese first, English switch).

Templates are written in Chinese and wrapped in `_()`; English comes from the product's one
gettext catalogue (i18n/translations.py): the pages' `locale/en/*.po`, one file per page family,
merged by Babel at start-up with the error messages' errors.po.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from voucherbridge.core.formatting import MINUTE, local_time, yuan
from voucherbridge.domain.errors import DomainError
from voucherbridge.i18n.catalogue import pick_language, render
from voucherbridge.i18n.translations import to_english, to_english_in

HERE = Path(__file__).parent
LANG_COOKIE = "vb_lang"
LANGS = ("zh", "en")
_lang: ContextVar[str] = ContextVar("vb_page_lang", default="zh")


def translate(message: str) -> str:
    """`message` (Chinese source text) in the current page language."""
    return to_english(message) if _lang.get() == "en" else message


def translate_in(context: str, message: str) -> str:
    """`message` as `context` means it (msgctxt): 核销 as an outbox topic is not the 核销 tab."""
    return to_english_in(context, message) if _lang.get() == "en" else message


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=translate,
        ngettext=lambda s, p, n: translate(s if n == 1 else p),
        newstyle=True,
        pgettext=translate_in,
    )
    env.filters["yuan"] = page_yuan  # integer fen to "184.00": no float on a page either
    env.filters["when"] = page_time
    return env


def page_yuan(fen: int | str) -> str:
    """`{{ fen | yuan }}`: integer fen as yuan in the page's locale (Babel)."""
    if isinstance(fen, str) and fen.lstrip("-").isdigit():
        fen = int(fen)
    if not isinstance(fen, int):
        raise TypeError("money on a page is integer fen")
    return yuan(fen, _lang.get())


@pass_context
def page_time(ctx: Context, moment: datetime | str | None, pattern: str = MINUTE) -> str:
    """`{{ moment | when }}`: a time in the merchant's zone (the page's `zone` when it passes
    one; else the offset an ISO string carries), in the page's locale (Babel)."""
    zone = ctx.get("zone")
    return local_time(moment, zone if isinstance(zone, ZoneInfo) else None, _lang.get(), pattern)


def page_language(request: Request) -> str:
    """`?lang=` wins, then the switch's cookie, then the browser's Accept-Language."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGS:
        return asked
    return pick_language(request.headers.get("accept-language"))


def error_text(error: DomainError) -> str:
    """A catalogue message in the current page language (the seed's wording in Chinese)."""
    return render(error.code, error.params, _lang.get())


def render_page(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render `template` in the request's language; remembers an explicit `?lang=` choice."""
    lang = page_language(request)
    token = _lang.set(lang)
    try:
        html = (
            environment()
            .get_template(template)
            .render(request=request, lang=lang, error_text=error_text, **(context or {}))
        )
    finally:
        _lang.reset(token)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response
