"""The outbox page (投递记录) in Chromium, in Chinese: a use the micro-mall simulator refuses
reads as 核销 · 微商城核销同步 · 票券不存在 at its Beijing time, and 重试 puts it back in line."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.browser._helpers_console import expect_dead_mall_use
from tests.factories import redeem_demo_cash
from tests.helpers import demo_admin_headers
from voucherbridge.bootstrap import Container
from voucherbridge.outbox.service import deliver_due
from voucherbridge_sims.simkit.server import ServerThread

REDEEMED = "/open/v1/vouchers/redeemed"


def test_a_refused_sync_reads_in_the_merchants_words_and_is_retried(
    page: Page,
    live: str,
    demo: dict[str, Any],
    container: Container,
    weimall_server: ServerThread,
    shot: Any,
) -> None:
    with httpx.Client(base_url=weimall_server.base_url, timeout=10) as mall:
        mall.post(
            "/_sim/faults", json={"path": REDEEMED, "kind": "biz_error", "biz_code": 40401}
        ).raise_for_status()
        try:
            redeem_demo_cash(container, demo)
            report = deliver_due(container.uow, container.deliverers(), container.clock)
        finally:
            mall.delete("/_sim/faults").raise_for_status()
    assert report.dead == 1
    with httpx.Client(base_url=live, timeout=10) as api:
        listed = api.get(
            "/api/admin/v1/outbox",
            params={"status": "dead"},
            headers=demo_admin_headers(api, demo),
        ).json()
    [dead] = listed["rows"]
    row = expect_dead_mall_use(page, live, demo, dead)
    shot(page, "console-outbox-zh")

    row.get_by_role("button", name="重试").click()
    expect(page.locator(".notice")).to_contain_text(f"已重新排队 #{dead['id']}")
    expect(page.locator(f"tr[data-outbox-id='{dead['id']}'] button")).to_have_count(0)
    shot(page, "console-outbox-retried")
