"""The pure part of notifications: checking a merchant's field mapping (stable error codes with
Chinese messages), fitting values to WeChat's 20-character fields, rendering yuan and times in
the merchant's zone; and the log notifier, which names no consumer beyond the openid's last 4."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.notifications import (
    NotificationFacts,
    check_template,
    fit,
    render_fields,
)
from voucherbridge.i18n.catalogue import render
from voucherbridge.notifications.log_notifier import LogNotifier
from voucherbridge.notifications.ports import TemplateMessage

FACTS = NotificationFacts(
    event="redeemed",
    code="J1234567890128",
    item_name="双人火锅套餐(周末节假日通用,含锅底与饮料)",
    store_name="皇岗店",
    amount_fen=28300,
    at=datetime(2026, 12, 2, 16, 5, tzinfo=UTC),
    valid_until=datetime(2026, 12, 31, 15, 59, tzinfo=UTC),
    timezone="Asia/Shanghai",
)


def test_a_mapping_is_checked_and_blank_rows_are_left_out():
    assert check_template(" tpl-1 ", {"thing1": "item_name", " ": " "}) == (
        "tpl-1",
        {"thing1": "item_name"},
    )
    assert check_template("", {}) == ("", {})  # the event is not sent


@pytest.mark.parametrize(
    ("template_id", "fields", "code"),
    [
        ("tpl-1", {"thing1": "price"}, ErrorCode.NOTIFICATION_VALUE_UNKNOWN),
        ("tpl-1", {"1thing": "code"}, ErrorCode.NOTIFICATION_TEMPLATE_INVALID),
        ("tpl 1", {"thing1": "code"}, ErrorCode.NOTIFICATION_TEMPLATE_INVALID),
        ("tpl-1", {}, ErrorCode.NOTIFICATION_TEMPLATE_INVALID),
        ("", {"thing1": "code"}, ErrorCode.NOTIFICATION_TEMPLATE_INVALID),
    ],
)
def test_a_bad_mapping_has_a_stable_code(template_id: str, fields: dict[str, str], code: str):
    with pytest.raises(DomainError) as refused:
        check_template(template_id, fields)
    assert refused.value.code == code
    assert render(refused.value.code, refused.value.params)  # a Chinese message, filled in


def test_the_unknown_value_message_names_it_in_chinese():
    with pytest.raises(DomainError) as refused:
        check_template("tpl-1", {"thing1": "price"})
    message = render(refused.value.code, refused.value.params)
    assert message.startswith("模板字段thing1的取值「price」不存在,只能选: code、item_name")


def test_values_fit_wechats_fields_in_the_merchants_zone():
    fields = {
        "thing1": "item_name",
        "amount2": "amount_yuan",
        "time3": "time",
        "time4": "expiry_date",
        "character_string5": "code",
        "thing6": "store_name",
    }
    data = render_fields(fields, FACTS)
    assert data == {
        "thing1": "双人火锅套餐(周末节假日通用,含锅底与…",
        "amount2": "283.00元",
        "time3": "2026-12-03 00:05",
        "time4": "2026-12-31",
        "character_string5": "J123******0128",
        "thing6": "皇岗店",
    }
    assert all(len(v) <= 20 for v in data.values())
    assert fit("一行\n两行") == "一行 两行"


def test_the_log_notifier_names_only_the_openids_last_four():
    message = TemplateMessage("o-secret-fan-7788", "tpl-1", {"thing1": "皇岗店"}, "42")
    logs: list[dict[str, Any]] = []

    class Lines:
        def info(self, event: str, **fields: Any) -> None:
            logs.append({"event": event, **fields})

    assert LogNotifier(Lines()).send(message) == ""
    [line] = logs
    assert line["event"] == "notify.logged"
    assert line["openid"] == "…7788"
    assert "o-secret-fan-7788" not in str(line)
    assert "皇岗店" not in str(line)
