"""The text receipt (结账单) at 58 mm and 80 mm, checked against the seed manual's receipt."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from wcwidth import wcswidth

from tests.counter.receipt_samples import cash_receipt_with_change, seed_receipt
from voucherbridge.counter.printing import RECEIPT_WIDTHS, render_text
from voucherbridge.domain.receipts import ReceiptLine

GOLDEN_80 = Path(__file__).parent / "golden" / "seed_receipt_80.txt"

# Every field of the seed's receipt, with the seed's own punctuation (ASCII ':' and ',').
SEED_STRINGS = [
    "右姑娘火锅(皇岗 店)",
    "结账单",
    "台位:S001",
    "单号:20200525000",
    "人数:10",
    "收银:系统管理员",
    "第1次打印",
    "开台:05-25 15:23",
    "结账:05-25 17:31",
    "商品名称",
    "数量",
    "金额",
    "朝日超爽黑生啤",
    "王老吉",
    "凉瓜黄豆汤底",
    "2 份",
    "1 条",
    "36.00",
    "48.00",
    "199.00",
    "服务费: 1.00",
    "订单金额: 284.00",
    "应付金额: 284.00",
    "会员卡: 184.00",
    "票券x1: 100.00",
    "卡号: 469658366010495662",
    "手机号码: 181****4469",
    "卡内余额:408.94",
    "本次积分:284",
    "累计积分:681",
    "谢谢惠顾,欢迎下次光临!",
]

LONG_NAME = "特制秘方麻辣牛油火锅锅底加量版双人套餐含十二种精选涮菜拼盘及酸梅汤两扎与甜品两份"


def test_80mm_matches_golden_file() -> None:
    text = render_text(seed_receipt(), width_mm=80)
    if os.environ.get("VB_UPDATE_GOLDEN") == "1":
        GOLDEN_80.write_text(text, encoding="utf-8", newline="\n")
    assert text.encode("utf-8") == GOLDEN_80.read_bytes()


@pytest.mark.parametrize("width_mm", [58, 80])
def test_no_line_wider_than_the_paper(width_mm: int) -> None:
    text = render_text(seed_receipt(), width_mm=width_mm)
    assert text.endswith("\n")
    for line in text.splitlines():
        assert wcswidth(line) <= RECEIPT_WIDTHS[width_mm], line


@pytest.mark.parametrize("width_mm", [58, 80])
def test_every_seed_field_is_printed(width_mm: int) -> None:
    text = render_text(seed_receipt(), width_mm=width_mm)
    for expected in SEED_STRINGS:
        assert expected in text, expected


def test_80mm_keeps_the_seed_lines_that_fit_together() -> None:
    lines = render_text(seed_receipt(), width_mm=80).splitlines()
    assert "开台:05-25 15:23 结账:05-25 17:31" in lines
    assert "服务费: 1.00 订单金额: 284.00 应付金额: 284.00" in lines
    assert "会员卡: 184.00 票券x1: 100.00" in lines
    assert "卡号: 469658366010495662 手机号码: 181****4469" in lines
    assert "卡内余额:408.94 本次积分:284 累计积分:681" in lines
    # The seed's 单号 line is 50 columns: it wraps before a field, never inside one.
    assert "单号:20200525000 人数:10 收银:系统管理员" in lines
    assert "第1次打印" in lines


@pytest.mark.parametrize("width_mm", [58, 80])
def test_headings_are_centered(width_mm: int) -> None:
    columns = RECEIPT_WIDTHS[width_mm]
    lines = render_text(seed_receipt(), width_mm=width_mm).splitlines()
    for heading in ("右姑娘火锅(皇岗 店)", "结账单", "谢谢惠顾,欢迎下次光临!"):
        line = next(x for x in lines if x.strip() == heading)
        left = len(line) - len(line.lstrip(" "))
        right = columns - wcswidth(line)
        assert abs(left - right) <= 1, line


@pytest.mark.parametrize("width_mm", [58, 80])
def test_amounts_end_at_the_right_edge(width_mm: int) -> None:
    columns = RECEIPT_WIDTHS[width_mm]
    lines = render_text(seed_receipt(), width_mm=width_mm).splitlines()
    for amount in ("金额", "36.00", "48.00", "199.00"):
        line = next(x for x in lines if x.endswith(amount))
        assert wcswidth(line) == columns, line


@pytest.mark.parametrize("width_mm", [58, 80])
def test_long_item_name_wraps_inside_the_name_column(width_mm: int) -> None:
    columns = RECEIPT_WIDTHS[width_mm]
    receipt = seed_receipt()
    receipt = replace(receipt, lines=(ReceiptLine(LONG_NAME, 1, "份", 16800), *receipt.lines))
    lines = render_text(receipt, width_mm=width_mm).splitlines()
    assert all(wcswidth(x) <= columns for x in lines)

    start = next(i for i, x in enumerate(lines) if x.startswith("特制"))
    end = next(i for i, x in enumerate(lines) if x.startswith("朝日超爽黑生啤"))
    item_lines = lines[start:end]
    assert len(item_lines) >= 2  # the name really wrapped
    # Amount and quantity stay on the first line, flush right like every other amount.
    assert item_lines[0].endswith("168.00")
    assert wcswidth(item_lines[0]) == columns
    assert "1 份" in item_lines[0]
    assert not any("168.00" in x for x in item_lines[1:])
    # Continuation lines stay left of the quantity column: no text under 数量 or 金额.
    header = next(x for x in lines if x.startswith("商品名称"))
    qty_column = wcswidth(header[: header.index("数量")])
    name_column = wcswidth(lines[end][: lines[end].index("2 份")])
    assert all(wcswidth(x) <= min(qty_column, name_column) for x in item_lines[1:])
    # No character of the name is lost in wrapping.
    first_name_part = item_lines[0].split("  ")[0]
    assert first_name_part + "".join(x.strip() for x in item_lines[1:]) == LONG_NAME


def test_reprint_counter_is_printed() -> None:
    text = render_text(replace(seed_receipt(), print_count=3), width_mm=80)
    assert "第3次打印" in text
    assert "第1次打印" not in text


def test_change_is_printed_only_when_given() -> None:
    assert "找零" not in render_text(seed_receipt(), width_mm=80)
    text = render_text(cash_receipt_with_change(), width_mm=58)
    assert "现金: 300.00" in text
    assert "找零: 16.00" in text


def test_member_block_only_for_members() -> None:
    text = render_text(cash_receipt_with_change(), width_mm=80)
    for label in ("卡号", "手机号码", "卡内余额", "本次积分", "累计积分"):
        assert label not in text
    assert "谢谢惠顾,欢迎下次光临!" in text


def test_open_order_prints_without_checkout_time() -> None:
    text = render_text(replace(seed_receipt(), closed_at=None), width_mm=80)
    assert "开台:05-25 15:23" in text
    assert "结账:" not in text


def test_unsupported_paper_width_is_refused() -> None:
    with pytest.raises(ValueError, match="58, 80"):
        render_text(seed_receipt(), width_mm=76)
