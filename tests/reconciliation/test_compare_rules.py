"""The comparison rules and the CSV reader on their own (no database, no platform)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from voucherbridge.domain.errors import DomainError
from voucherbridge.reconciliation.compare import Entry, compare
from voucherbridge.reconciliation.csv_statement import parse_statement

T0 = datetime(2026, 12, 1, 4, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


def _e(code: str, fen: int, status: str = "redeemed", minutes: int = 0) -> Entry:
    return Entry(code, fen, status, T0 + timedelta(minutes=minutes), f"ref-{code}-{minutes}")


def test_a_code_undone_and_used_again_counts_once_as_used():
    ours = [_e("A", 6000, "reversed", 0), _e("A", 6000, "redeemed", 5), _e("B", 6000, "reversed")]
    result = compare(ours, [_e("A", 6000)])
    assert [(x.code, x.kind) for x in result.lines] == [("A", "matched"), ("B", "matched")]
    [a, _b] = result.lines
    assert a.ours is not None
    assert a.ours.reference == "ref-A-5"
    assert (result.ours_fen, result.theirs_fen, result.difference_fen) == (6000, 6000, 0)


def test_each_kind_and_the_totals_count_used_codes_only():
    ours = [_e("A", 100), _e("B", 100), _e("C", 100), _e("D", 100, "reversed")]
    theirs = [_e("A", 100), _e("B", 90), _e("D", 100), _e("X", 50), _e("Y", 70, "reversed")]
    result = compare(ours, theirs)
    kinds = {x.code: x.kind for x in result.lines}
    assert kinds == {
        "A": "matched",
        "B": "amount_differs",
        "C": "ours_only",
        "D": "status_differs",
        "X": "theirs_only",
        "Y": "theirs_only",
    }
    assert (result.ours_fen, result.theirs_fen, result.difference_fen) == (300, 340, 40)
    assert result.mismatches == 5


def test_the_csv_reader_takes_yuan_or_fen_chinese_or_english_and_skips_other_stores():
    text = (
        "券码,结算金额(元),状态,核销时间,门店\n'123,19.90,已撤销,2026-12-01 12:00:00,s1\n9,1,,,s2\n"
    )
    [line] = parse_statement(text.encode("gb18030"), zone=ZONE, platform_store_id="s1")
    assert (line.code, line.amount_fen, line.status) == ("123", 1990, "reversed")
    assert line.at == datetime(2026, 12, 1, 4, tzinfo=UTC)
    english = (
        "\ufeffcode,amount_fen,status,redeemed_at\nA1,500,redeemed,2026-12-01T12:00:00+08:00\n"
    )
    [row] = parse_statement(english.encode(), zone=ZONE, platform_store_id="")
    assert (row.code, row.amount_fen, row.status, row.reference) == ("A1", 500, "redeemed", "csv:2")


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"\xff\xfe\x00", "csv encoding"),
        ("券码,金额(分)\nA,1.5\n".encode(), "csv row 2: amount"),
        ("券码,金额(分),核销时间\nA,1,yesterday\n".encode(), "csv row 2: time"),
        ("券码,金额(分)\n,1\n".encode(), "csv row 2: code"),
    ],
)
def test_a_bad_file_names_its_row_and_column(content: bytes, field: str):
    with pytest.raises(DomainError) as raised:
        parse_statement(content, zone=ZONE, platform_store_id="")
    assert raised.value.params["field"] == field
