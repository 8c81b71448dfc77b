"""The simulator's page (``GET /`` and ``GET /_sim/wechat``): each follower's inbox of template
messages as the phone shows them, in Chinese, newest first; and the account's templates."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from voucherbridge_sims.simkit.hooks import get_sim
from voucherbridge_sims.wechat.state import CHINA, Message, SimState

router = APIRouter()
_env = Environment(
    loader=PackageLoader("voucherbridge_sims.wechat", "templates"),
    autoescape=select_autoescape(default=True),
)
PAGE = _env.get_template("inbox.html")


def _when(message: Message) -> str:
    return message.sent_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def render(sim: SimState, refresh: int | None = None) -> str:
    with sim.lock:
        openids = list(sim.users)
        for m in sim.messages:
            if m.openid not in openids:
                openids.append(m.openid)
        inboxes = []
        for openid in openids:
            user = sim.users.get(openid)
            inboxes.append(
                {
                    "openid": openid,
                    "subscribed": user.subscribed if user else False,
                    "refused": user.refused if user else False,
                    "messages": [m for m in reversed(sim.messages) if m.openid == openid],
                }
            )
        return PAGE.render(
            account=sim.config.account_name,
            inboxes=inboxes,
            templates=list(sim.templates.values()),
            sent_today=sim.sent_per_day.get(sim.day(), 0),
            quota=sim.quota,
            when=_when,
            refresh=refresh,
        )


@router.get("/", response_class=HTMLResponse)
@router.get("/_sim/wechat", response_class=HTMLResponse)
async def inbox_page(request: Request, refresh: int | None = None) -> HTMLResponse:
    """Each follower's inbox (``?refresh=5`` reloads the page every five seconds)."""
    shown = refresh if refresh is not None and 1 <= refresh <= 600 else None
    return HTMLResponse(render(get_sim(request), shown))
