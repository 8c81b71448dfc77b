"""Test hooks of the WeChat simulator (no auth, loopback only), beside the shared ``/_sim/``
ones: followers, templates, the inboxes, forcing the tokens to expire, the daily quota."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.simkit.hooks import bad, get_sim, int_field, read_json
from voucherbridge_sims.wechat.state import JsonDict, Message, SimState, Template, TemplateKey, User

router = APIRouter(prefix="/_sim/wechat")


def message_view(message: Message) -> JsonDict:
    return {
        "msgid": message.msgid,
        "openid": message.openid,
        "template_id": message.template_id,
        "title": message.title,
        "lines": [{"label": label, "value": value} for label, value in message.lines],
        "text": message.text(),
        "client_msg_id": message.client_msg_id,
        "url": message.url,
        "sent_at": message.sent_at.isoformat(),
    }


@router.post("/users")
async def put_user(request: Request) -> Any:
    """``{"openid", "subscribed"?: true, "refused"?: false, "nickname"?}``: a follower (or not)."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    openid = body.get("openid")
    if not isinstance(openid, str) or not openid.strip():
        return bad("openid is required")
    user = User(
        openid.strip(),
        subscribed=body.get("subscribed", True) is not False,
        refused=body.get("refused") is True,
        nickname=str(body.get("nickname") or ""),
    )
    with sim.lock:
        sim.users[user.openid] = user
    return {"openid": user.openid, "subscribed": user.subscribed, "refused": user.refused}


@router.get("/users")
async def list_users(request: Request) -> list[JsonDict]:
    sim: SimState = get_sim(request)
    with sim.lock:
        return [
            {"openid": u.openid, "subscribed": u.subscribed, "refused": u.refused}
            for u in sim.users.values()
        ]


def _keys(raw: Any) -> list[TemplateKey] | None:
    if not isinstance(raw, list) or not raw:
        return None
    keys = []
    for item in raw:
        if isinstance(item, str) and item:
            keys.append(TemplateKey(item, item))
        elif isinstance(item, dict) and isinstance(item.get("key"), str) and item["key"]:
            keys.append(TemplateKey(item["key"], str(item.get("label") or item["key"])))
        else:
            return None
    return keys


@router.post("/templates")
async def put_template(request: Request) -> Any:
    """``{"template_id", "title"?, "keys": ["thing1" | {"key", "label"}, ...]}``."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    template_id, keys = body.get("template_id"), _keys(body.get("keys"))
    if not isinstance(template_id, str) or not template_id.strip() or keys is None:
        return bad('give {"template_id": text, "keys": [key or {"key", "label"}, ...]}')
    template = Template(template_id.strip(), str(body.get("title") or template_id), keys)
    with sim.lock:
        sim.templates[template.template_id] = template
    return {"template_id": template.template_id, "keys": [k.key for k in keys]}


@router.get("/templates")
async def list_templates(request: Request) -> list[JsonDict]:
    sim: SimState = get_sim(request)
    with sim.lock:
        return [
            {"template_id": t.template_id, "title": t.title, "keys": [k.key for k in t.keys]}
            for t in sim.templates.values()
        ]


@router.get("/messages")
async def messages(request: Request, openid: str | None = None) -> list[JsonDict]:
    """The rendered inbox (every follower's, or one's), oldest first."""
    sim: SimState = get_sim(request)
    return [message_view(m) for m in sim.inbox(openid)]


@router.post("/expire-token")
async def expire_token(request: Request) -> JsonDict:
    """Every access token handed out expires now: the next send is answered 42001."""
    sim: SimState = get_sim(request)
    return {"expired": sim.expire_tokens()}


@router.post("/quota")
async def set_quota(request: Request) -> Any:
    """``{"daily": n}`` template sends per day; ``{"reset": true}`` forgets today's count."""
    sim: SimState = get_sim(request)
    body = await read_json(request) or {}
    try:
        daily = int_field(body, "daily", None)
    except ValueError as exc:
        return bad(str(exc))
    with sim.lock:
        if daily is not None:
            sim.quota = max(0, daily)
        if body.get("reset") is True:
            sim.sent_per_day.pop(sim.day(), None)
        return JSONResponse({"daily": sim.quota, "sent_today": sim.sent_per_day.get(sim.day(), 0)})
