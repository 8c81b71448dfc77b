"""The one state machine of a code: issued -> redeemed -> issued (reversed), issued -> voided,
issued -> expired; nothing else, and the repository builds no statement for anything else."""

from __future__ import annotations

import itertools

import pytest

from voucherbridge.domain.vouchers import CodeStatus, can_transition

MOVES = {
    (CodeStatus.ISSUED, CodeStatus.REDEEMED),
    (CodeStatus.REDEEMED, CodeStatus.ISSUED),
    (CodeStatus.ISSUED, CodeStatus.VOIDED),
    (CodeStatus.ISSUED, CodeStatus.EXPIRED),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(CodeStatus, CodeStatus)))
def test_only_the_four_moves_exist(current: CodeStatus, target: CodeStatus) -> None:
    assert can_transition(current, target) is ((current, target) in MOVES)


def test_a_voided_or_used_code_cannot_be_voided_or_used_again() -> None:
    assert not can_transition(CodeStatus.VOIDED, CodeStatus.REDEEMED)
    assert not can_transition(CodeStatus.REDEEMED, CodeStatus.REDEEMED)
    assert not can_transition(CodeStatus.REDEEMED, CodeStatus.VOIDED)
    assert not can_transition(CodeStatus.EXPIRED, CodeStatus.ISSUED)
