"""One Idempotency-Key used by several requests at the same moment. Merchant codes through the
real HTTP API served on loopback; platform codes through the counter with a stand-in platform,
for what the simulators cannot stage: the key taken while the platform verifies, a request that
slipped past the key's claim, a claim held too long, and a "not this store" at verify time."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.factories import bind_all_stores
from tests.helpers import SEED_ORDER, open_order, terminal_headers
from voucherbridge.bootstrap import Container
from voucherbridge.chain.auth import resolve_terminal
from voucherbridge.chain.repository import UserRepo
from voucherbridge.counter import merchant_codes, platform_codes, recording
from voucherbridge.counter import scan as counter
from voucherbridge.counter.repository import IdempotencyRepo
from voucherbridge.db import tables as t
from voucherbridge.domain.codes import classify_code
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import Terminal
from voucherbridge.i18n.catalogue import render
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCertificate,
    PlatformGateway,
    PreparedCodes,
    VerifiedCode,
)
from voucherbridge_sims.simkit.server import ServerThread

THREADS = 8
CONFLICT = "idempotency_conflict"


def _count(container: Container, table: Any, *where: Any) -> int:
    with container.engine.connect() as conn:
        query = select(func.count()).select_from(table)
        return int(conn.execute(query.where(*where) if where else query).scalar_one())


# ---- merchant codes, through HTTP --------------------------------------------------------------
@pytest.fixture
def served(app: Any) -> Iterator[str]:
    with ServerThread(app) as server:
        yield server.base_url


def race(base_url: str, headers: dict[str, str], bodies: list[dict[str, Any]]) -> list[Any]:
    """POST every body to /redemptions at the same moment, one thread each; the answers."""
    barrier = threading.Barrier(len(bodies))
    answers: list[Any] = [None] * len(bodies)

    def send(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            barrier.wait(timeout=30)
            answers[i] = http.post("/api/v1/redemptions", json=bodies[i], headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(a is not None for a in answers)
    return answers


def test_the_same_request_at_once_is_one_redemption_and_every_loser_gets_its_body(
    served: str, client: Any, demo: dict[str, Any], container: Container
):
    headers = {**terminal_headers(demo["terminal_key"]), "Idempotency-Key": "pos-race-same"}
    order = open_order(client, headers, **SEED_ORDER)
    code = demo["codes"]["cash"][0]
    answers = race(served, headers, [{"code": code, "order_id": order["id"]}] * THREADS)

    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 1, 200: THREADS - 1}, [a.text for a in answers]
    [first] = [a.json() for a in answers if a.status_code == 201]
    assert all(a.json() == first for a in answers)  # the winner's body, field for field
    assert _count(container, t.redemptions) == 1
    assert _count(container, t.idempotency_keys) == 1


@pytest.mark.parametrize("codes", ["one code", "a code each"])
def test_one_key_on_other_orders_at_once_is_one_redemption_and_idempotency_conflicts(
    codes: str, served: str, client: Any, demo: dict[str, Any], container: Container
):
    """Other orders are not queued by the order lock: the key's unique row decides, and every
    loser answers `idempotency_conflict` (never the generic `conflict`, nor "already used")."""
    headers = {**terminal_headers(demo["terminal_key"]), "Idempotency-Key": "pos-race-mixed"}
    cash = demo["codes"]["cash"]
    orders = [open_order(client, headers, **SEED_ORDER) for _ in range(THREADS)]
    bodies = [
        {"code": cash[0] if codes == "one code" else cash[i % len(cash)], "order_id": o["id"]}
        for i, o in enumerate(orders)
    ]
    answers = race(served, headers, bodies)

    assert Counter(a.status_code for a in answers) == {201: 1, 409: THREADS - 1}, [
        a.text for a in answers
    ]
    refusals = {
        (a.json()["error"]["code"], a.json()["error"]["message"])
        for a in answers
        if a.status_code == 409
    }
    assert refusals == {(CONFLICT, "同一请求号的请求内容不一致")}
    assert _count(container, t.redemptions) == 1
    assert _count(container, t.codes, t.codes.c.status == "redeemed") == 1
    assert _count(container, t.outbox) == 1  # the winner's platform sync, no loser's
    [won] = [i for i, a in enumerate(answers) if a.status_code == 201]
    with httpx.Client(base_url=served, timeout=30) as http:
        again = http.post("/api/v1/redemptions", json=bodies[won], headers=headers)
        other = http.post("/api/v1/redemptions", json=bodies[won - 1], headers=headers)
    assert (again.status_code, again.json()) == (200, answers[won].json())  # the key's answer
    assert (other.status_code, other.json()["error"]["code"]) == (409, CONFLICT)


# ---- platform codes, with a stand-in platform --------------------------------------------------
CODE = "1234567890"  # a Meituan-shaped code
KEY = "pos-mt-race"


class StandIn:
    """One platform's client: knows every code, lets every verify through, records calls."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.verified: list[str] = []
        self.cancelled: list[str] = []
        self.during_verify: Callable[[], None] | None = None
        self.refuse_at: str | None = None

    def _not_here(self, code: str) -> DomainError:
        # what Douyin's POI list and Meituan's shop check give us: no store, maybe no code
        return DomainError(ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, code=code, store="")

    def prepare(self, credentials: Credentials, code: str) -> PreparedCodes:
        self.asked.append(code)
        if self.refuse_at == "prepare":
            raise self._not_here(code)
        certificate = PlatformCertificate(
            code=code,
            handle=code,
            title="100元代金券",
            product_id="deal-1",
            listing_id=None,
            value_fen=10000,
            paid_fen=6000,
            expires_at=datetime.now(UTC) + timedelta(days=3),
        )
        return PreparedCodes("meituan", "o-1", (certificate,))

    def verify(
        self, credentials: Credentials, prepared: PreparedCodes, count: int, request_id: str
    ) -> list[VerifiedCode]:
        if self.refuse_at == "verify":
            raise self._not_here("")
        hook, self.during_verify = self.during_verify, None
        if hook is not None:
            hook()
        self.verified.append(request_id)
        return [
            VerifiedCode(code=c.code, certificate_id=f"c-{c.code}", verify_id=f"v-{request_id}")
            for c in prepared.certificates[:count]
        ]

    def cancel(self, credentials: Credentials, verified: VerifiedCode) -> None:
        self.cancelled.append(verified.verify_id)


@pytest.fixture
def stand_in(container: Container, demo: dict[str, Any]) -> StandIn:
    from voucherbridge.catalogue.listings import ListingSpec, create_listing
    from voucherbridge.catalogue.templates import TemplateSpec, create_template
    from voucherbridge.chain.auth import actor_of

    now = container.clock()
    with container.uow(write=True) as uow:
        user = uow.repo(UserRepo).by_username("admin")
        assert user is not None
        bind_all_stores(uow, user.merchant_id, "meituan", container.secrets.seal("s"), now)
        uow.commit()
    template = create_template(
        container.uow(write=True),
        actor=actor_of(user),
        spec=TemplateSpec(
            kind="cash",
            name="美团100元代金券",
            face_value_fen=10000,
            price_fen=6000,
            validity_mode="relative",
            valid_days=30,
            per_order_limit=5,
        ),
        now=now,
    )
    create_listing(
        container.uow(write=True),
        actor=actor_of(user),
        now=now,
        spec=ListingSpec(
            template_id=template.id,
            platform="meituan",
            code_type="platform",
            title="美团 100元代金券",
            platform_product_id="deal-1",
        ),
    )
    return StandIn()


def _till(container: Container, demo: dict[str, Any]) -> Terminal:
    return resolve_terminal(container.uow(), demo["terminal_key"])


def _order(client: Any, demo: dict[str, Any]) -> int:
    return int(open_order(client, terminal_headers(demo["terminal_key"]), **SEED_ORDER)["id"])


def _redeem(
    container: Container, platform: StandIn, till: Terminal, code: str, order_id: int, key: str
) -> recording.RedeemOutcome:
    return counter.redeem_scanned(
        container.uow,
        PlatformGateway({"meituan": platform}, lambda s: s),
        terminal=till,
        raw_code=code,
        order_id=order_id,
        count=1,
        idempotency_key=key,
        now=container.clock(),
        reversal_windows=container.settings.reversal_windows(),
    )


def test_the_key_taken_while_the_platform_verifies_is_undone_there_and_a_conflict(
    container: Container, demo: dict[str, Any], client: Any, stand_in: StandIn
):
    """A merchant code sent with the same key commits while we wait for the platform (no
    claim holds it back): our verify is cancelled on the platform, the answer is the
    conflict, and only the merchant code's redemption exists."""
    till = _till(container, demo)
    mine, theirs = _order(client, demo), _order(client, demo)

    def other_request() -> None:
        merchant_codes.redeem_code(
            container.uow(write=True),
            terminal=till,
            scanned=classify_code(demo["codes"]["cash"][0]),
            order_id=theirs,
            idempotency_key=KEY,
            now=container.clock(),
            reversal_windows=container.settings.reversal_windows(),
        )

    stand_in.during_verify = other_request
    with pytest.raises(DomainError) as refused:
        _redeem(container, stand_in, till, CODE, mine, KEY)
    assert refused.value.code is ErrorCode.IDEMPOTENCY_CONFLICT
    assert stand_in.cancelled == [f"v-{stand_in.verified[0]}"]  # used on the platform: undone
    assert _count(container, t.redemptions) == 1
    assert _count(container, t.redemptions, t.redemptions.c.code == CODE) == 0


def test_the_same_request_that_slipped_past_the_claim_replays_the_winner(
    container: Container, demo: dict[str, Any], client: Any, stand_in: StandIn
):
    """Another process (SQLite: no lock across processes) ran the same request while ours was
    with the platform and recorded first: ours is undone on the platform and answers the
    winner's body as a replay, instead of "already used"."""
    till = _till(container, demo)
    order_id = _order(client, demo)
    won: list[recording.RedeemOutcome] = []
    gateway = PlatformGateway({"meituan": stand_in}, lambda s: s)

    def same_request_elsewhere() -> None:
        won.append(
            platform_codes._redeem(
                container.uow,
                gateway,
                terminal=till,
                scanned=classify_code(CODE),
                order_id=order_id,
                count=1,
                idempotency_key=KEY,
                request_hash=recording.request_hash_of(CODE, order_id),
                now=container.clock(),
                reversal_windows=container.settings.reversal_windows(),
            )
        )

    stand_in.during_verify = same_request_elsewhere
    outcome = _redeem(container, stand_in, till, CODE, order_id, KEY)
    assert outcome.replayed
    assert outcome.body == won[0].body
    assert _count(container, t.redemptions) == 1
    assert stand_in.cancelled == [f"v-{stand_in.verified[1]}"]  # ours, not the winner's


def test_a_key_held_elsewhere_too_long_is_in_progress_and_the_platform_is_not_asked(
    container: Container,
    demo: dict[str, Any],
    client: Any,
    stand_in: StandIn,
    monkeypatch: pytest.MonkeyPatch,
):
    till = _till(container, demo)
    order_id = _order(client, demo)
    monkeypatch.setattr(recording, "KEY_WAIT_S", 0.3)
    if container.engine.dialect.name == "postgresql":
        # another API process working on the key: its transaction holds the key's lock
        with container.uow() as elsewhere:
            assert elsewhere.repo(IdempotencyRepo).hold(till.id, KEY, 1.0)
            with pytest.raises(DomainError) as refused:
                _redeem(container, stand_in, till, CODE, order_id, KEY)
    else:
        # another thread of this process working on the key
        with recording._LOCAL_CLAIMS.hold(till.id, KEY, 1.0) as got:
            assert got
            with pytest.raises(DomainError) as refused:
                _redeem(container, stand_in, till, CODE, order_id, KEY)
    assert refused.value.code is ErrorCode.IDEMPOTENCY_IN_PROGRESS
    assert render(refused.value.code, refused.value.params, "zh") == "同一请求正在处理中,请稍后重试"
    assert stand_in.asked == []
    assert _count(container, t.redemptions) == 0

    assert not _redeem(container, stand_in, till, CODE, order_id, KEY).replayed  # let go: done
    assert recording._LOCAL_CLAIMS._locks == {}  # nothing left behind


def test_a_key_waits_for_the_request_holding_it_and_then_replays_it(
    container: Container, demo: dict[str, Any], client: Any, stand_in: StandIn
):
    """The waiter holds no answer of its own: once the holder has recorded, it replays."""
    till = _till(container, demo)
    order_id = _order(client, demo)
    entered, release = threading.Event(), threading.Event()
    answers: list[recording.RedeemOutcome] = []

    def slow_platform() -> None:
        entered.set()
        assert release.wait(timeout=30)

    stand_in.during_verify = slow_platform
    first = threading.Thread(
        target=lambda: answers.append(_redeem(container, stand_in, till, CODE, order_id, KEY))
    )
    first.start()
    assert entered.wait(timeout=30)
    second = threading.Thread(
        target=lambda: answers.append(_redeem(container, stand_in, till, CODE, order_id, KEY))
    )
    second.start()
    second.join(timeout=0.5)
    assert second.is_alive()  # waiting on the key, not asking the platform
    assert stand_in.asked == [CODE]
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert [a.replayed for a in answers] == [False, True]
    assert answers[0].body == answers[1].body
    assert len(stand_in.verified) == 1  # the platform verified once
    assert _count(container, t.redemptions) == 1


@pytest.mark.parametrize("step", ["prepare", "verify"])
def test_a_platform_not_this_store_names_the_store_of_the_till(
    container: Container, demo: dict[str, Any], client: Any, stand_in: StandIn, step: str
):
    """Whatever platform refuses, at prepare or at verify, without a store or a code."""
    till = _till(container, demo)
    order_id = _order(client, demo)
    stand_in.refuse_at = step
    with pytest.raises(DomainError) as refused:
        _redeem(container, stand_in, till, CODE, order_id, KEY)
    error = refused.value
    assert error.code is ErrorCode.VOUCHER_STORE_NOT_APPLICABLE
    assert (error.params["store"], error.params["code"]) == ("皇岗店", CODE)
    zh = render(error.code, error.params, "zh")
    assert zh == f"皇岗店不能使用该票券,票券【消费号{CODE}】不能使用!"
    assert render(error.code, error.params, "en") == f"Voucher {CODE} cannot be used at 皇岗店"
    assert stand_in.cancelled == []
    assert _count(container, t.redemptions) == 0
