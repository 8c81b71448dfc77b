"""The one receipt layout: a Receipt becomes rows of positioned cells, for every output format.

Positions are in printer columns (a Chinese character is two). The text and ESC/POS renderers
pad cells with spaces; the PDF renderer maps columns to x positions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from voucherbridge.counter.printing.widths import clean, text_width, wrap
from voucherbridge.domain.money import fen_to_yuan_str
from voucherbridge.domain.receipts import MemberInfo, Receipt, ReceiptLine

# Characters per line in the printer's standard font (12x24 dots): 384 dots at 58 mm, 576 at 80 mm.
RECEIPT_WIDTHS: dict[int, int] = {58: 32, 80: 48}

LEFT, RIGHT, CENTER = "left", "right", "center"

# Minimum widths keep the quantity/amount columns in the same place on ordinary receipts.
_MIN_QTY_WIDTH = 5  # "99 份"
_MIN_AMOUNT_WIDTH = 8  # "99999.00"
_MIN_NAME_WIDTH = 8


@dataclass(frozen=True, slots=True)
class Cell:
    """Text placed at column `col`, padded to `width` columns with the given alignment."""

    text: str
    col: int
    width: int
    align: str = LEFT


@dataclass(frozen=True, slots=True)
class Row:
    """One printed line: cells, or a separator rule; bold/tall are print styles."""

    cells: tuple[Cell, ...] = ()
    bold: bool = False
    tall: bool = False
    rule: bool = False


RULE = Row(rule=True)


def columns_for(width_mm: int) -> int:
    """Columns per line for a paper width in mm (58 or 80)."""
    try:
        return RECEIPT_WIDTHS[width_mm]
    except KeyError:
        supported = ", ".join(str(w) for w in sorted(RECEIPT_WIDTHS))
        raise ValueError(f"unsupported receipt width {width_mm} mm (use {supported})") from None


def build_rows(receipt: Receipt, columns: int) -> list[Row]:
    """Lay out the whole 结账单 in the seed's order: header, table, totals, tenders, member.

    A field the bill does not have (no table, no guest count, a member figure the POS did not
    report) is left off rather than printed empty or as 0."""
    rows: list[Row] = []
    rows += _centered(receipt.store_title, columns, bold=True, tall=True)
    rows += _centered(receipt.title, columns, bold=True)
    if receipt.table.strip():
        rows += _fields([f"台位:{receipt.table}"], columns)
    header = [f"单号:{receipt.order_no}"]
    if receipt.guests > 0:
        header.append(f"人数:{receipt.guests}")
    if receipt.cashier.strip():
        header.append(f"收银:{receipt.cashier}")
    rows += _fields([*header, f"第{receipt.print_count}次打印"], columns)
    times = [f"开台:{receipt.opened_at:%m-%d %H:%M}"]
    if receipt.closed_at is not None:
        times.append(f"结账:{receipt.closed_at:%m-%d %H:%M}")
    rows += _fields(times, columns)
    rows.append(RULE)
    rows += _item_rows(receipt.lines, columns)
    rows.append(RULE)
    rows += _fields(
        [
            f"服务费: {_yuan(receipt.service_fee_fen)}",
            f"订单金额: {_yuan(receipt.total_fen)}",
            f"应付金额: {_yuan(receipt.due_fen)}",
        ],
        columns,
    )
    payments = [f"{t.label}: {_yuan(t.amount_fen)}" for t in receipt.tenders]
    if receipt.change_fen > 0:
        payments.append(f"找零: {_yuan(receipt.change_fen)}")
    if payments:
        rows.append(RULE)
        rows += _fields(payments, columns)
    if receipt.member is not None:
        rows.append(RULE)
        rows += _member_rows(receipt.member, columns)
    if receipt.footer.strip():
        rows.append(RULE)
        rows += _centered(receipt.footer, columns)
    return rows


def _member_rows(member: MemberInfo, columns: int) -> list[Row]:
    """卡号 and 手机号码, then only the balance and points the POS reported."""
    card = [f"卡号: {member.card_no}"]
    if member.phone_masked:
        card.append(f"手机号码: {member.phone_masked}")
    figures = []
    if member.balance_fen is not None:
        figures.append(f"卡内余额:{_yuan(member.balance_fen)}")
    if member.points_earned is not None:
        figures.append(f"本次积分:{member.points_earned}")
    if member.points_total is not None:
        figures.append(f"累计积分:{member.points_total}")
    return _fields(card, columns) + _fields(figures, columns)


def _yuan(fen: int) -> str:
    return fen_to_yuan_str(fen)


def _centered(text: str, columns: int, *, bold: bool = False, tall: bool = False) -> list[Row]:
    """A heading centered on the paper, wrapped if longer than a line; nothing if blank."""
    if not text.strip():
        return []
    return [
        Row(cells=(Cell(part, 0, columns, CENTER),), bold=bold, tall=tall)
        for part in wrap(text, columns)
    ]


def _fields(fields: Iterable[str], columns: int) -> list[Row]:
    """Pack `label:value` fields onto lines separated by one space, never splitting a field."""
    lines: list[str] = []
    current = ""
    for field in (clean(f) for f in fields):
        candidate = f"{current} {field}" if current else field
        if text_width(candidate) <= columns:
            current = candidate
            continue
        if current:
            lines.append(current)
        if text_width(field) <= columns:
            current = field
        else:
            # Only a field wider than the paper itself (a very long cashier name) is broken.
            *full, current = wrap(field, columns)
            lines.extend(full)
    if current:
        lines.append(current)
    return [Row(cells=(Cell(line, 0, columns, LEFT),)) for line in lines]


def _quantity(line: ReceiptLine) -> str:
    return f"{line.quantity} {line.unit}".strip()


def _item_rows(lines: tuple[ReceiptLine, ...], columns: int) -> list[Row]:
    """商品名称 / 数量 / 金额: amount flush right, long names wrap inside the name column."""
    gap = 2 if columns >= 40 else 1
    qty_w = max([_MIN_QTY_WIDTH, text_width("数量")] + [text_width(_quantity(x)) for x in lines])
    amount_w = max(
        [_MIN_AMOUNT_WIDTH, text_width("金额")] + [text_width(_yuan(x.amount_fen)) for x in lines]
    )
    name_w = columns - qty_w - amount_w - 2 * gap
    if name_w < _MIN_NAME_WIDTH:
        raise ValueError(f"receipt too narrow for the item table ({columns} columns)")
    qty_col = name_w + gap
    amount_col = columns - amount_w

    def item_row(name: str, qty: str, amount: str) -> Row:
        return Row(
            cells=(
                Cell(name, 0, name_w, LEFT),
                Cell(qty, qty_col, qty_w, RIGHT),
                Cell(amount, amount_col, amount_w, RIGHT),
            )
        )

    rows = [item_row("商品名称", "数量", "金额")]
    for line in lines:
        first, *rest = wrap(line.name, name_w)
        rows.append(item_row(first, _quantity(line), _yuan(line.amount_fen)))
        rows += [Row(cells=(Cell(part, 0, name_w, LEFT),)) for part in rest]
    return rows
