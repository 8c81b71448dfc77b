"""`voucherbridge codes issue`: a print run in batches, written to CSV, resumable by its
reference; its codes redeem at the till. Both backends (the CLI on the test's database)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.helpers import ADMIN_API, SEED_ORDER, demo_admin_headers, must_redeem, open_order
from voucherbridge.catalogue.bulk_issuing import batch_sizes
from voucherbridge.cli.main import app as cli_app
from voucherbridge.domain.errors import DomainError


def _cash_listing(client: Any, demo: dict[str, Any]) -> int:
    listings = client.get(f"{ADMIN_API}/listings", headers=demo_admin_headers(client, demo))
    title = demo["listings"]["weimall"]["cash"]["title"]
    return next(int(item["id"]) for item in listings.json() if item["title"] == title)


def _codes(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_a_print_run_is_issued_in_batches_and_resumed_by_its_reference(
    client: Any,
    demo: dict[str, Any],
    auth: dict[str, str],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("VOUCHERBRIDGE_DATABASE_URL", database_url)
    listing = _cash_listing(client, demo)
    out = tmp_path / "run.csv"
    args = ["codes", "issue", "--listing", str(listing), "--count", "2500"]
    args += ["--reference", "print-2026-12", "--output", str(out)]
    first = CliRunner().invoke(cli_app, args)
    assert first.exit_code == 0, first.output
    assert "2500 张券码已写入" in first.output
    assert "本次新发 2500, 已有 0" in first.output
    rows = _codes(out)
    assert rows[0] == ["code", "batch"]
    codes = [r[0] for r in rows[1:]]
    assert len(codes) == len(set(codes)) == 2500
    assert sorted({r[1] for r in rows[1:]}) == [
        "print-2026-12-0001",
        "print-2026-12-0002",
        "print-2026-12-0003",
    ]

    again = CliRunner().invoke(cli_app, args)
    assert again.exit_code == 0, again.output
    assert "本次新发 0, 已有 2500" in again.output
    assert [r[0] for r in _codes(out)[1:]] == codes

    order = open_order(client, auth, SEED_ORDER["lines"])
    redeemed = must_redeem(client, auth, codes[1234], order["id"])
    assert redeemed["discount_fen"] > 0


def test_a_run_for_an_unknown_listing_says_so_and_writes_no_codes(
    demo: dict[str, Any], database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("VOUCHERBRIDGE_DATABASE_URL", database_url)
    out = tmp_path / "none.csv"
    args = ["codes", "issue", "--listing", "999999", "--count", "10", "--reference", "x"]
    result = CliRunner().invoke(cli_app, [*args, "--output", str(out)])
    assert result.exit_code == 1
    assert "not_found" in result.output
    assert _codes(out) == [["code", "batch"]]


def test_batches_cover_the_run_exactly():
    assert batch_sizes(2500) == [1000, 1000, 500]
    assert batch_sizes(1000) == [1000]
    assert batch_sizes(1) == [1]
    for bad in (0, -3, 1_000_001):
        with pytest.raises(DomainError):
            batch_sizes(bad)
