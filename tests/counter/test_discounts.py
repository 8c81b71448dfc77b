"""What a voucher takes off a bill, as the cashier and the merchant see it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voucherbridge.domain.discounts import AppliedVoucher, Discount, compute_discount
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.orders import OrderLine, order_total_fen
from voucherbridge.domain.vouchers import Template, VoucherKind, validate_template_shape

ITEM_CODES = ("A", "B", "C", "D")

# The only ways a well-formed voucher may be refused on a well-formed order.
REFUSALS = {
    ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER,
    ErrorCode.VOUCHER_MIN_SPEND_NOT_MET,
    ErrorCode.VOUCHER_LIMIT_PER_ORDER,
    ErrorCode.VOUCHER_NOT_STACKABLE,
    ErrorCode.VOUCHER_NOTHING_TO_DISCOUNT,
}


def make_template(
    template_id: int,
    kind: VoucherKind,
    *,
    face_value_fen: int = 0,
    price_fen: int = 0,
    item_codes: tuple[str, ...] = (),
    min_spend_fen: int = 0,
    per_order_limit: int = 1,
    stackable: bool = True,
) -> Template:
    validate_template_shape(kind, face_value_fen, price_fen, item_codes)
    return Template(
        id=template_id,
        merchant_id=1,
        kind=kind,
        name=f"券{template_id}",
        face_value_fen=face_value_fen,
        price_fen=price_fen,
        item_codes=item_codes,
        min_spend_fen=min_spend_fen,
        per_order_limit=per_order_limit,
        stackable=stackable,
    )


def line(
    line_no: int, item_code: str, quantity: int, unit_price_fen: int, name: str = ""
) -> OrderLine:
    return OrderLine(
        line_no=line_no,
        item_code=item_code,
        name=name or item_code,
        quantity=quantity,
        unit_price_fen=unit_price_fen,
    )


def applied(template: Template, discount: Discount) -> AppliedVoucher:
    return AppliedVoucher(
        template.id, template.stackable, discount.discount_fen, discount.allocations
    )


def seed_order() -> list[OrderLine]:
    return [
        line(1, "BEER", 2, 1800, "朝日超爽黑生啤"),
        line(2, "WLJ", 1, 4800, "王老吉"),
        line(3, "SOUP", 1, 19900, "凉瓜黄豆汤底"),
    ]


# --------------------------------------------------------------------------- strategies


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[OrderLine], int]:
    specs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ITEM_CODES),
                st.one_of(st.integers(1, 3), st.integers(1, 50)),
                st.one_of(st.integers(0, 100_000), st.sampled_from([0, 1, 990, 1990, 4800])),
            ),
            min_size=1,
            max_size=6,
        )
    )
    lines = [line(i + 1, code, qty, price) for i, (code, qty, price) in enumerate(specs)]
    return lines, draw(st.integers(0, 1000))


@st.composite
def templates(draw: st.DrawFn, template_id: int) -> Template:
    kind = draw(st.sampled_from(list(VoucherKind)))
    if kind is VoucherKind.CASH:
        item_codes: tuple[str, ...] = ()
    elif kind is VoucherKind.ITEM:
        item_codes = (draw(st.sampled_from(ITEM_CODES)),)
    else:
        item_codes = tuple(draw(st.lists(st.sampled_from(ITEM_CODES), min_size=1, max_size=3)))
    low = 1 if kind in (VoucherKind.CASH, VoucherKind.DEDUCTION) else 0
    return make_template(
        template_id,
        kind,
        face_value_fen=draw(st.one_of(st.integers(low, 300_000), st.sampled_from([1990, 10_000]))),
        price_fen=draw(st.integers(0, 300_000)),
        item_codes=item_codes,
        min_spend_fen=draw(st.sampled_from([0, 0, 0, 10_000, 2_000_000])),
        per_order_limit=draw(st.integers(1, 3)),
        stackable=draw(st.sampled_from([True, True, True, False])),
    )


@st.composite
def scenarios(
    draw: st.DrawFn,
) -> tuple[list[OrderLine], int, list[Template], list[tuple[Template, int]]]:
    lines, fee = draw(orders())
    n_templates = draw(st.integers(1, 5))
    pool = [draw(templates(template_id=i + 1)) for i in range(n_templates)]
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(pool),
                st.one_of(st.just(0), st.integers(0, 5_000), st.integers(0, 300_000)),
            ),
            min_size=1,
            max_size=8,
        )
    )
    return lines, fee, pool, steps


@dataclass
class Outcome:
    template: Template
    package_price_fen: int
    discount: Discount


def apply_all(lines: list[OrderLine], fee: int, steps: list[tuple[Template, int]]) -> list[Outcome]:
    """Scan the vouchers one after another, like a cashier; refused ones stay off the bill."""
    on_order: list[AppliedVoucher] = []
    outcomes: list[Outcome] = []
    for template, package_price in steps:
        refusal: ErrorCode | None = None
        try:
            discount = compute_discount(template, lines, fee, on_order, package_price)
        except DomainError as exc:
            refusal = exc.code
        if refusal is not None:
            assert refusal in REFUSALS
            continue
        on_order.append(applied(template, discount))
        outcomes.append(Outcome(template, package_price, discount))
    return outcomes


PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --------------------------------------------------------------------------- properties


@PROPERTY_SETTINGS
@given(scenarios())
def test_vouchers_never_take_a_negative_amount_nor_more_than_the_bill(scenario) -> None:
    lines, fee, _, steps = scenario
    total = order_total_fen(lines, fee)
    taken = 0
    for outcome in apply_all(lines, fee, steps):
        assert outcome.discount.discount_fen > 0
        assert all(fen >= 0 for fen in outcome.discount.allocations.values())
        taken += outcome.discount.discount_fen
        assert taken <= total


@PROPERTY_SETTINGS
@given(scenarios())
def test_cash_voucher_takes_its_face_value_or_whatever_is_left_of_the_bill(scenario) -> None:
    lines, fee, _, steps = scenario
    total = order_total_fen(lines, fee)
    taken_before = 0
    for outcome in apply_all(lines, fee, steps):
        if outcome.template.kind is VoucherKind.CASH:
            expected = min(outcome.template.face_value_fen, total - taken_before)
            assert outcome.discount.discount_fen == expected
            assert outcome.discount.allocations == {}
        taken_before += outcome.discount.discount_fen


@PROPERTY_SETTINGS
@given(scenarios())
def test_item_bound_vouchers_only_take_from_their_own_dishes_and_never_more_than_they_cost(
    scenario,
) -> None:
    lines, fee, _, steps = scenario
    by_no = {ln.line_no: ln for ln in lines}
    taken: Counter[int] = Counter()
    for outcome in apply_all(lines, fee, steps):
        template, discount = outcome.template, outcome.discount
        if template.kind is VoucherKind.CASH:
            continue
        # The receipt's per-dish breakdown adds up to the discount.
        assert sum(discount.allocations.values()) == discount.discount_fen
        for line_no in discount.allocations:
            assert by_no[line_no].item_code in template.item_codes
        taken.update(discount.allocations)
        if template.kind is VoucherKind.DEDUCTION:
            assert discount.discount_fen <= template.face_value_fen
        if template.kind is VoucherKind.ITEM:
            prices = [ln.unit_price_fen for ln in lines if ln.item_code == template.item_codes[0]]
            assert discount.discount_fen <= max(prices)
            assert len(discount.allocations) == 1
    for line_no, fen in taken.items():
        assert fen <= by_no[line_no].amount_fen


@PROPERTY_SETTINGS
@given(scenarios())
def test_per_order_limits_and_stacking_hold_over_any_sequence_of_scans(scenario) -> None:
    lines, fee, _, steps = scenario
    outcomes = apply_all(lines, fee, steps)
    counts = Counter(o.template.id for o in outcomes)
    for outcome in outcomes:
        assert counts[outcome.template.id] <= outcome.template.per_order_limit
    if len(counts) > 1:
        assert all(o.template.stackable for o in outcomes)


# --------------------------------------------------------------------------- examples


def test_seed_case_100_yuan_cash_voucher_takes_100_yuan_off_a_284_yuan_bill() -> None:
    voucher = make_template(1, VoucherKind.CASH, face_value_fen=10_000, price_fen=6_000)
    lines = seed_order()
    assert order_total_fen(lines, 100) == 28_400
    result = compute_discount(voucher, lines, 100)
    assert result.discount_fen == 10_000
    assert result.allocations == {}


def test_cash_voucher_never_takes_more_than_the_bill() -> None:
    voucher = make_template(1, VoucherKind.CASH, face_value_fen=10_000)
    result = compute_discount(voucher, [line(1, "A", 1, 2_900)], 100)
    assert result.discount_fen == 3_000


def test_item_voucher_is_refused_when_the_dish_is_not_on_the_bill() -> None:
    voucher = make_template(1, VoucherKind.ITEM, item_codes=("FRIES",))
    with pytest.raises(DomainError) as err:
        compute_discount(voucher, seed_order(), 100)
    assert err.value.code is ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER


def test_item_voucher_gives_exactly_one_portion_even_when_three_were_ordered() -> None:
    voucher = make_template(1, VoucherKind.ITEM, face_value_fen=1_800, item_codes=("BEER",))
    lines = [line(1, "BEER", 3, 1_800, "朝日超爽黑生啤"), line(2, "WLJ", 1, 4_800)]
    result = compute_discount(voucher, lines, 0)
    assert result.discount_fen == 1_800
    assert result.allocations == {1: 1_800}


def test_two_item_vouchers_cannot_both_free_a_single_portion() -> None:
    voucher = make_template(1, VoucherKind.ITEM, item_codes=("BEER",), per_order_limit=2)
    lines = [line(1, "BEER", 1, 1_800)]
    first = compute_discount(voucher, lines, 0)
    assert first.discount_fen == 1_800
    with pytest.raises(DomainError) as err:
        compute_discount(voucher, lines, 0, [applied(voucher, first)])
    assert err.value.code is ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER


def test_two_item_vouchers_free_two_portions_when_two_were_ordered() -> None:
    voucher = make_template(1, VoucherKind.ITEM, item_codes=("BEER",), per_order_limit=2)
    lines = [line(1, "BEER", 2, 1_800)]
    first = compute_discount(voucher, lines, 0)
    second = compute_discount(voucher, lines, 0, [applied(voucher, first)])
    assert second.allocations == {1: 1_800}


def test_deduction_voucher_takes_its_face_value_from_the_dish() -> None:
    voucher = make_template(1, VoucherKind.DEDUCTION, face_value_fen=1_990, item_codes=("PUFF",))
    lines = [line(1, "PUFF", 2, 1_990, "法棍泡芙"), line(2, "WLJ", 1, 4_800)]
    result = compute_discount(voucher, lines, 0)
    assert result.discount_fen == 1_990
    assert result.allocations == {1: 1_990}


def test_deduction_voucher_is_capped_at_the_price_of_a_cheaper_dish() -> None:
    voucher = make_template(1, VoucherKind.DEDUCTION, face_value_fen=5_000, item_codes=("PUFF",))
    lines = [line(1, "PUFF", 1, 1_990), line(2, "WLJ", 1, 4_800)]
    result = compute_discount(voucher, lines, 0)
    assert result.discount_fen == 1_990
    assert result.allocations == {1: 1_990}


def test_combo_voucher_takes_the_a_la_carte_price_minus_the_package_price() -> None:
    voucher = make_template(1, VoucherKind.COMBO, item_codes=("A", "B"))
    lines = [line(1, "A", 2, 3_000), line(2, "B", 1, 2_500), line(3, "C", 1, 800)]
    result = compute_discount(voucher, lines, 0, package_price_fen=4_000)
    assert result.discount_fen == 3_000 + 2_500 - 4_000
    assert sum(result.allocations.values()) == result.discount_fen
    assert set(result.allocations) <= {1, 2}


def test_combo_voucher_is_refused_when_one_of_its_dishes_is_missing() -> None:
    voucher = make_template(1, VoucherKind.COMBO, item_codes=("A", "B"))
    with pytest.raises(DomainError) as err:
        compute_discount(voucher, [line(1, "A", 2, 3_000)], 0, package_price_fen=1_000)
    assert err.value.code is ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER
    assert err.value.params["item_code"] == "B"


def test_voucher_is_refused_below_its_minimum_spend_with_the_minimum_in_yuan() -> None:
    voucher = make_template(1, VoucherKind.CASH, face_value_fen=2_000, min_spend_fen=10_000)
    with pytest.raises(DomainError) as err:
        compute_discount(voucher, [line(1, "A", 1, 9_000)], 999)
    assert err.value.code is ErrorCode.VOUCHER_MIN_SPEND_NOT_MET
    assert err.value.params["min"] == "100.00"


def test_voucher_is_accepted_at_exactly_its_minimum_spend() -> None:
    voucher = make_template(1, VoucherKind.CASH, face_value_fen=2_000, min_spend_fen=10_000)
    assert compute_discount(voucher, [line(1, "A", 1, 9_000)], 1_000).discount_fen == 2_000


def test_voucher_is_refused_past_its_per_order_limit() -> None:
    voucher = make_template(1, VoucherKind.CASH, face_value_fen=1_000, per_order_limit=2)
    lines = [line(1, "A", 1, 50_000)]
    on_order: list[AppliedVoucher] = []
    for _ in range(2):
        on_order.append(applied(voucher, compute_discount(voucher, lines, 0, on_order)))
    with pytest.raises(DomainError) as err:
        compute_discount(voucher, lines, 0, on_order)
    assert err.value.code is ErrorCode.VOUCHER_LIMIT_PER_ORDER
    assert err.value.params["n"] == 2


def test_non_stackable_voucher_cannot_join_another_template() -> None:
    other = make_template(1, VoucherKind.CASH, face_value_fen=1_000)
    lonely = make_template(2, VoucherKind.CASH, face_value_fen=1_000, stackable=False)
    lines = [line(1, "A", 1, 50_000)]
    on_order = [applied(other, compute_discount(other, lines, 0))]
    with pytest.raises(DomainError) as err:
        compute_discount(lonely, lines, 0, on_order)
    assert err.value.code is ErrorCode.VOUCHER_NOT_STACKABLE


def test_no_voucher_can_join_a_non_stackable_one_already_on_the_bill() -> None:
    lonely = make_template(1, VoucherKind.CASH, face_value_fen=1_000, stackable=False)
    other = make_template(2, VoucherKind.CASH, face_value_fen=1_000)
    lines = [line(1, "A", 1, 50_000)]
    on_order = [applied(lonely, compute_discount(lonely, lines, 0))]
    with pytest.raises(DomainError) as err:
        compute_discount(other, lines, 0, on_order)
    assert err.value.code is ErrorCode.VOUCHER_NOT_STACKABLE


def test_several_codes_of_one_non_stackable_template_share_an_order_up_to_the_limit() -> None:
    voucher = make_template(
        1, VoucherKind.CASH, face_value_fen=1_000, stackable=False, per_order_limit=3
    )
    lines = [line(1, "A", 1, 50_000)]
    on_order: list[AppliedVoucher] = []
    for _ in range(3):
        on_order.append(applied(voucher, compute_discount(voucher, lines, 0, on_order)))
    assert sum(a.discount_fen for a in on_order) == 3_000
    with pytest.raises(DomainError) as err:
        compute_discount(voucher, lines, 0, on_order)
    assert err.value.code is ErrorCode.VOUCHER_LIMIT_PER_ORDER


def test_cash_voucher_is_refused_once_the_bill_is_fully_covered() -> None:
    voucher = make_template(1, VoucherKind.CASH, face_value_fen=10_000, per_order_limit=2)
    lines = [line(1, "A", 1, 3_000)]
    first = compute_discount(voucher, lines, 0)
    assert first.discount_fen == 3_000
    with pytest.raises(DomainError) as err:
        compute_discount(voucher, lines, 0, [applied(voucher, first)])
    assert err.value.code is ErrorCode.VOUCHER_NOTHING_TO_DISCOUNT


def test_item_voucher_after_a_cash_voucher_only_takes_what_is_left_of_the_bill() -> None:
    cash = make_template(1, VoucherKind.CASH, face_value_fen=4_000)
    item = make_template(2, VoucherKind.ITEM, item_codes=("A",))
    lines = [line(1, "A", 1, 3_000), line(2, "B", 1, 2_000)]
    on_order = [applied(cash, compute_discount(cash, lines, 0))]
    result = compute_discount(item, lines, 0, on_order)
    assert result.discount_fen == 1_000
    assert result.allocations == {1: 1_000}


def test_free_dish_cannot_be_claimed_by_an_item_voucher() -> None:
    voucher = make_template(1, VoucherKind.ITEM, item_codes=("TEA",))
    with pytest.raises(DomainError) as err:
        compute_discount(voucher, [line(1, "TEA", 2, 0), line(2, "A", 1, 5_000)], 0)
    assert err.value.code is ErrorCode.VOUCHER_ITEM_NOT_IN_ORDER


# --------------------------------------------------------------------------- catalogue bounds

catalogues = st.dictionaries(
    st.sampled_from(ITEM_CODES),
    st.one_of(st.integers(0, 100_000), st.sampled_from([0, 990, 4800])),
)


@PROPERTY_SETTINGS
@given(scenarios(), catalogues)
def test_no_voucher_takes_more_per_unit_than_the_catalogue_price_nor_more_than_the_bill(
    scenario, catalogue: dict[str, int]
) -> None:
    """The till types line prices; a voucher is bounded by HQ's catalogue price of the item."""
    lines, fee, _, steps = scenario
    by_no = {ln.line_no: ln for ln in lines}
    total = order_total_fen(lines, fee)
    on_order: list[AppliedVoucher] = []
    taken_per_line: Counter[int] = Counter()
    taken = 0
    for template, package_price in steps:
        refusal: ErrorCode | None = None
        try:
            discount = compute_discount(
                template, lines, fee, on_order, package_price, catalogue_prices=catalogue
            )
        except DomainError as exc:
            refusal = exc.code
        if refusal is not None:
            assert refusal in REFUSALS
            continue
        on_order.append(applied(template, discount))
        taken += discount.discount_fen
        taken_per_line.update(discount.allocations)
        assert taken <= total
    for line_no, fen in taken_per_line.items():
        ln = by_no[line_no]
        assert fen <= ln.quantity * min(ln.unit_price_fen, catalogue.get(ln.item_code, 0))


def test_a_till_typing_a_million_yuan_beer_frees_only_the_catalogue_price() -> None:
    beer = make_template(1, VoucherKind.ITEM, price_fen=1800, item_codes=("BEER",))
    inflated = [line(1, "BEER", 1, 100_000_000)]  # 1,000,000 yuan typed at the till
    discount = compute_discount(beer, inflated, 0, catalogue_prices={"BEER": 1800})
    assert discount.discount_fen == 1800
    assert discount.allocations == {1: 1800}


def test_an_item_the_catalogue_does_not_sell_gives_nothing() -> None:
    beer = make_template(1, VoucherKind.DEDUCTION, face_value_fen=500, item_codes=("BEER",))
    with pytest.raises(DomainError) as refused:
        compute_discount(beer, [line(1, "BEER", 1, 1800)], 0, catalogue_prices={})
    assert refused.value.code is ErrorCode.VOUCHER_NOTHING_TO_DISCOUNT


def test_a_cheaper_price_at_the_till_still_wins_over_the_catalogue() -> None:
    beer = make_template(1, VoucherKind.ITEM, price_fen=1800, item_codes=("BEER",))
    happy_hour = [line(1, "BEER", 2, 900)]
    discount = compute_discount(beer, happy_hour, 0, catalogue_prices={"BEER": 1800})
    assert discount.discount_fen == 900
