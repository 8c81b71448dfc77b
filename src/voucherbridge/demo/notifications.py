"""The demo's consumer notifications: the official account's templates (on the WeChat
simulator, and the same ids with their field mapping in our console), and the demo consumer
(`o-demo-buyer`, who buys every demo voucher on the mall) following the account; the demo's
purchases then appear in the simulator's inbox page, and so do its redemptions.

Set up before the demo buys anything, and only in the demo world (`demo.world`), never in the
test world that `seed_demo` alone makes.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from voucherbridge.chain.auth import actor_of
from voucherbridge.chain.repository import UserRepo
from voucherbridge.db.uow import UnitOfWorkFactory
from voucherbridge.demo.seed import CONSOLE_USER
from voucherbridge.notifications.settings import save_event_template

DEMO_OPENID = "o-demo-buyer"
# event -> (template id, title, [(key, label on the phone, our value)])
TEMPLATES: dict[str, tuple[str, str, list[tuple[str, str, str]]]] = {
    "issued": (
        "vb-demo-issued",
        "购买成功通知",
        [
            ("thing1", "商品名称", "item_name"),
            ("character_string2", "券码", "code"),
            ("amount3", "面值", "amount_yuan"),
            ("time4", "有效期至", "expiry_date"),
        ],
    ),
    "redeemed": (
        "vb-demo-redeemed",
        "票券已核销",
        [
            ("thing1", "商品名称", "item_name"),
            ("amount2", "抵扣金额", "amount_yuan"),
            ("time3", "核销时间", "time"),
            ("thing4", "核销门店", "store_name"),
        ],
    ),
    "reversed": (
        "vb-demo-reversed",
        "撤销核销通知",
        [
            ("thing1", "商品名称", "item_name"),
            ("time2", "撤销时间", "time"),
            ("thing3", "门店", "store_name"),
        ],
    ),
    "checkout": (
        "vb-demo-checkout",
        "消费完成通知",
        [
            ("thing1", "消费门店", "store_name"),
            ("amount2", "消费金额", "amount_yuan"),
            ("time3", "消费时间", "time"),
            ("thing4", "使用票券", "item_name"),
        ],
    ),
    "expiring": (
        "vb-demo-expiring",
        "票券即将到期",
        [
            ("thing1", "商品名称", "item_name"),
            ("character_string2", "券码", "code"),
            ("time3", "到期日期", "expiry_date"),
        ],
    ),
}


def set_up_notifications(
    make_uow: UnitOfWorkFactory, *, now: datetime, wechat_url: str | None
) -> list[str]:
    """Our templates, then the simulator's; the notes of what could not be done."""
    with make_uow() as uow:
        admin = uow.repo(UserRepo).by_username(CONSOLE_USER)
    if admin is None:
        return []
    actor = actor_of(admin)
    for event, (template_id, _title, keys) in TEMPLATES.items():
        save_event_template(
            make_uow(write=True),
            actor=actor,
            event=event,
            template_id=template_id,
            fields={key: value for key, _label, value in keys},
            now=now,
        )
    if wechat_url is None:
        return []
    base = wechat_url.rstrip("/")
    try:
        for template_id, title, keys in TEMPLATES.values():
            body = {
                "template_id": template_id,
                "title": title,
                "keys": [{"key": key, "label": label} for key, label, _value in keys],
            }
            httpx.post(f"{base}/_sim/wechat/templates", json=body, timeout=10).raise_for_status()
        httpx.post(
            f"{base}/_sim/wechat/users",
            json={"openid": DEMO_OPENID, "subscribed": True, "nickname": "演示顾客"},
            timeout=10,
        ).raise_for_status()
    except httpx.HTTPError as exc:
        return [f"微信模拟器设置失败 / setting up the WeChat simulator failed: {exc}"]
    return []
