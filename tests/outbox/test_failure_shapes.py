"""A delivery failure is stored as a catalogue code with its params (JSON) and read back as
one, in the new shape and in the shapes older rows were written in (no database)."""

from __future__ import annotations

import json

from voucherbridge.domain.errors import ErrorCode
from voucherbridge.i18n.catalogue import render
from voucherbridge.outbox.failures import Failure, coded, read_failure, retries_spent

REFUSED = {"platform": "douyin", "description": "该券码用户操作转赠中,暂不支持核销"}


def test_a_refusal_is_json_with_its_code_and_params_and_reads_back() -> None:
    stored = coded(ErrorCode.PLATFORM_REFUSED, REFUSED)
    assert json.loads(stored) == {"code": "platform_refused", "params": REFUSED}
    assert "该券码用户操作转赠中" in stored  # readable in the table and the admin API
    failure = read_failure(stored)
    assert failure == Failure(ErrorCode.PLATFORM_REFUSED, REFUSED)
    assert failure is not None
    assert failure.code is not None
    sentence = render(failure.code, failure.params)
    assert sentence == "抖音拒绝了本次操作:该券码用户操作转赠中,暂不支持核销"


def test_spent_retries_are_marked_on_coded_and_plain_failures() -> None:
    unavailable = retries_spent(coded(ErrorCode.PLATFORM_UNAVAILABLE, {"platform": "weimall"}))
    assert read_failure(unavailable) == Failure(
        ErrorCode.PLATFORM_UNAVAILABLE, {"platform": "weimall"}, retries_exhausted=True
    )
    plain = read_failure(retries_spent("HTTP 503 from platform"))
    assert plain == Failure(detail="HTTP 503 from platform", retries_exhausted=True)


def test_rows_written_before_the_json_shape_still_read_as_sentences() -> None:
    old = "platform_refused: {'platform': 'douyin', 'description': '券码已过期'}"
    assert read_failure(old) == Failure(
        ErrorCode.PLATFORM_REFUSED, {"platform": "douyin", "description": "券码已过期"}
    )
    spent = read_failure("retries exhausted: platform_unavailable: {'platform': 'weimall'}")
    assert spent == Failure(
        ErrorCode.PLATFORM_UNAVAILABLE, {"platform": "weimall"}, retries_exhausted=True
    )
    assert read_failure("retries exhausted: HTTP 503") == Failure(
        detail="HTTP 503", retries_exhausted=True
    )


def test_words_without_a_known_code_are_kept_as_they_are() -> None:
    for text in (
        "weimall answered 50001",
        "no_such_code: {'a': 1}",
        "voucher_not_found: {'code': __import__('os')}",  # never evaluated, only read
        "{not json",
        '{"code": "not_a_code", "params": {"x": 1}}',
    ):
        failure = read_failure(text)
        assert failure is not None
        assert (failure.code, failure.params, failure.detail) == (None, {}, text)
    assert read_failure(None) is None
    assert read_failure("") is None
