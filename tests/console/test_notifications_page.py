"""The console's 消费者通知 page (issue 17 point 1): the five events, a template id and field
mapping saved per merchant, an unknown value refused with its catalogue message, a store
manager refused, and the log of messages in the merchant's zone; on SQLite and PostgreSQL,
through the page as a browser posts it."""

from __future__ import annotations

import html
import re
from typing import Any

from tests.helpers import console_login, csrf_in
from voucherbridge.bootstrap import Container
from voucherbridge.notifications.repository import NotificationRepo

HQ = ("admin", "hotpot-hq-demo")
MANAGER = ("huanggang", "store-lead-demo")


def _form(page: str, event: str) -> str:
    match = re.search(rf'<form[^>]*data-event="{event}".*?</form>', page, re.S)
    assert match, event
    return match.group(0)


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_hq_maps_a_template_and_the_page_shows_it(
    client: Any, demo: dict[str, Any], container: Container
) -> None:
    console_login(client, *HQ)
    page = client.get("/console/notifications")
    assert page.status_code == 200
    for label in ("购买成功(发券)通知", "票券核销通知", "撤销核销(退券)通知", "消费完成通知"):
        assert label in page.text
    assert "票券到期提醒(到期前3天)" in page.text
    assert "还没有通知" in page.text
    saved = client.post(
        "/console/notifications/redeemed",
        data={
            "csrf": csrf_in(page.text),
            "template_id": " tpl-redeem-1 ",
            "key": ["thing1", "amount2", "", "time3"],
            "value": ["item_name", "amount_yuan", "", "time"],
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    shown = client.get(saved.headers["location"]).text
    form = _form(shown, "redeemed")
    assert 'value="tpl-redeem-1"' in form
    assert 'value="thing1"' in form
    assert re.search(r'<option value="amount_yuan" selected>金额\(元\)</option>', form)
    with container.uow() as uow:
        templates = uow.repo(NotificationRepo).templates(1)
    assert templates["redeemed"].fields == {
        "thing1": "item_name",
        "amount2": "amount_yuan",
        "time3": "time",
    }
    assert "issued" not in templates  # an event without a template is not sent


def test_an_unknown_value_is_refused_with_the_catalogue_message(
    client: Any, demo: dict[str, Any], container: Container
) -> None:
    console_login(client, *HQ)
    page = client.get("/console/notifications").text
    refused = client.post(
        "/console/notifications/issued",
        data={
            "csrf": csrf_in(page),
            "template_id": "tpl-1",
            "key": ["thing1"],
            "value": ["price_of_gold"],
        },
        follow_redirects=False,
    )
    assert refused.status_code == 400
    message = _text(_form(refused.text, "issued"))
    assert "模板字段thing1的取值「price_of_gold」不存在" in message
    bad_key = client.post(
        "/console/notifications/issued",
        data={"csrf": csrf_in(page), "template_id": "tpl-1", "key": ["1 bad"], "value": ["code"]},
        follow_redirects=False,
    )
    assert bad_key.status_code == 400
    assert "消息模板设置有误" in _text(_form(bad_key.text, "issued"))
    unknown_event = client.post(
        "/console/notifications/birthday",
        data={"csrf": csrf_in(page), "template_id": "tpl-1", "key": ["thing1"], "value": ["code"]},
        follow_redirects=False,
    )
    assert unknown_event.status_code == 404
    with container.uow() as uow:
        assert uow.repo(NotificationRepo).templates(1) == {}


def test_english_and_a_store_manager_is_refused(client: Any, demo: dict[str, Any]) -> None:
    console_login(client, *HQ)
    english = client.get("/console/notifications", headers={"Accept-Language": "en"})
    assert "Consumer notifications" in english.text
    assert "Checkout done" in english.text
    client.post("/console/logout", data={"csrf": csrf_in(english.text)})
    console_login(client, *MANAGER)
    refused = client.get("/console/notifications")
    assert refused.status_code == 403
    assert "没有权限执行此操作" in refused.text
    assert "/console/notifications" not in client.get("/console").text
