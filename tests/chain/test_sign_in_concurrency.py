"""Password guessing at once: 40 wrong sign-ins of one account arriving together (through one
server, or two API processes) get ten password checks and then the lock, on the admin API, the
console and the cashier page alike; and argon2 never runs inside a transaction, so a flood of
sign-ins with random names leaves the tills' orders alone. Runs on SQLite and PostgreSQL.

No test here asserts a duration: that no connection (so no transaction, no SQLite write lock)
is held while a password is hashed is checked where it happens, by wrapping the hasher; the
till's latencies are printed (`-s`) for a reader to see.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine, create_engine, event, func, select

from tests.helpers import SEED_ORDER, bearer, demo_admin_headers, wait_until
from tests.procs import apis, seed
from voucherbridge.bootstrap import Container
from voucherbridge.chain import sign_in
from voucherbridge.db import tables as t
from voucherbridge_sims.simkit.server import ServerThread

MAX_FAILURES, AT_ONCE = 10, 40
LOCKED_ZH = "登录失败次数过多,请15分钟后再试"
REFUSED_ZH = "未登录或密钥无效"
FORBIDDEN_ZH = "没有权限执行此操作"
ROUTES = ("api", "console", "cashier")
T = TypeVar("T")


class WatchedHasher:
    """The real argon2 hasher, noting at each hash or check (and each wait for one) how many
    connections the engine had out, and how many the calling thread held: it must hold none,
    or a transaction (on SQLite, the write lock) would be open while argon2 runs."""

    def __init__(self, real: Any, engine: Engine) -> None:
        self.real, self.engine = real, engine
        self._owners: dict[int, int] = {}  # connection record -> thread that checked it out
        self._lock = threading.Lock()
        self.calls: list[tuple[str, int, int]] = []  # (what, pool's checked out, this thread's)
        event.listen(engine, "checkout", self._out)
        event.listen(engine, "checkin", self._in)

    def _out(self, _dbapi: Any, record: Any, _proxy: Any) -> None:
        with self._lock:
            self._owners[id(record)] = threading.get_ident()

    def _in(self, _dbapi: Any, record: Any) -> None:
        with self._lock:
            self._owners.pop(id(record), None)

    def _note(self, what: str) -> None:
        with self._lock:
            mine = sum(1 for owner in self._owners.values() if owner == threading.get_ident())
            self.calls.append((what, self.engine.pool.checkedout(), mine))  # type: ignore[attr-defined]

    def verify(self, password_hash: str, password: str) -> Any:
        self._note("verify")
        return self.real.verify(password_hash, password)

    def hash(self, password: str) -> str:
        self._note("hash")
        return str(self.real.hash(password))

    def waiting(self, argon2: Callable[[Callable[[], T]], T]) -> Callable[[Callable[[], T]], T]:
        """sign_in._argon2 (which hands the work to argon2's threads), noting who waits."""

        def wait(work: Callable[[], T]) -> T:
            self._note("wait")
            return argon2(work)

        return wait

    def checks(self) -> int:
        with self._lock:
            return sum(1 for what, _, _ in self.calls if what == "verify")

    def held_by_the_hashing_thread(self) -> list[tuple[str, int, int]]:
        with self._lock:
            return [call for call in self.calls if call[2] != 0]

    def close(self) -> None:
        event.remove(self.engine, "checkout", self._out)
        event.remove(self.engine, "checkin", self._in)


@pytest.fixture
def watched(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[WatchedHasher]:
    hasher = WatchedHasher(sign_in._hasher, container.engine)
    monkeypatch.setattr(sign_in, "_hasher", hasher)
    monkeypatch.setattr(sign_in, "_argon2", hasher.waiting(sign_in._argon2))
    yield hasher
    hasher.close()


@pytest.fixture
def served(app: Any, demo: dict[str, Any]) -> Iterator[str]:
    """The app on a loopback port (uvicorn in a thread): requests really run side by side."""
    with ServerThread(app) as server:
        yield server.base_url


def attempt(base_url: str, route: str, username: str, password: str) -> str:
    """One sign-in as a person would see it: `signed_in`, `refused` or `locked`."""
    form = {"username": username, "password": password}
    with httpx.Client(base_url=base_url, timeout=120) as http:
        if route == "api":
            got = http.post("/api/admin/v1/login", json=form)
            if got.status_code == 200:
                return "signed_in"
            error = got.json()["error"]
            seen = (got.status_code, error["code"], error["message"])
            if seen == (401, "unauthorized", REFUSED_ZH):
                return "refused"
            if seen == (429, "sign_in_locked", LOCKED_ZH) and "Retry-After" in got.headers:
                return "locked"
        else:
            got = http.post(f"/{route}/login", data=form)
            refused = 401 if route == "console" else 400
            if got.status_code == 303:
                return "signed_in"
            if got.status_code == refused and REFUSED_ZH in got.text:
                return "refused"
            if got.status_code == 429 and LOCKED_ZH in got.text:
                return "locked"
            if got.status_code == 403 and FORBIDDEN_ZH in got.text:
                return "forbidden"
    return f"unexpected {route} {got.status_code}: {got.text[:300]}"


def together(calls: list[Callable[[], T]]) -> list[T]:
    """Run the calls in threads released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[i] = calls[i]()
        except Exception as exc:  # the test reads it among the outcomes
            results[i] = f"error {exc!r}"

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def _db_facts(engine: Engine) -> tuple[int, list[int], int]:
    """Failures counted, the audited failure positions, console tokens handed out."""
    with engine.connect() as conn:
        counted = conn.execute(select(func.count()).select_from(t.sign_in_failures)).scalar_one()
        audit = select(t.audit_log.c.after).where(t.audit_log.c.action == "user.login_failed")
        positions = sorted(after["failures"] for after in conn.execute(audit).scalars())
        tokens = conn.execute(select(func.count()).select_from(t.admin_tokens)).scalar_one()
    return int(counted), positions, int(tokens)


def _forty_at_once(urls: list[str], username: str, password: str) -> Counter[str]:
    calls = [
        (lambda i=i: attempt(urls[i % len(urls)], ROUTES[i % len(ROUTES)], username, password))
        for i in range(AT_ONCE)
    ]
    return Counter(together(calls))


def test_forty_wrong_sign_ins_at_once_get_ten_password_checks_and_then_the_lock(
    served: str, demo: dict[str, Any], container: Container, watched: WatchedHasher
):
    manager = demo["store_manager"]  # may sign in on all three pages
    _, _, tokens_before = _db_facts(container.engine)

    wrong = _forty_at_once([served], manager["user"], "not-the-password")
    assert wrong == Counter({"refused": MAX_FAILURES, "locked": AT_ONCE - MAX_FAILURES})
    assert watched.checks() == MAX_FAILURES  # a locked attempt never reaches argon2

    # the 11th and later never get in, even with the right password, one by one or all at once
    assert [attempt(served, r, manager["user"], manager["password"]) for r in ROUTES] == [
        "locked"
    ] * len(ROUTES)
    right = _forty_at_once([served], manager["user"], manager["password"])
    assert right == Counter({"locked": AT_ONCE})
    assert watched.checks() == MAX_FAILURES

    counted, positions, tokens = _db_facts(container.engine)
    assert counted == MAX_FAILURES
    assert positions == list(range(1, MAX_FAILURES + 1))  # each check audited once, in turn
    assert tokens == tokens_before
    assert watched.held_by_the_hashing_thread() == []


def test_forty_wrong_sign_ins_through_two_api_processes_lock_after_ten(
    database_url: str, tmp_path: Path
):
    demo = seed(database_url)
    console = demo["console"]
    with apis(database_url, tmp_path, 2) as started:
        urls = [api.base_url for api in started]
        wrong = _forty_at_once(urls, console["user"], "not-the-password")
        assert wrong == Counter({"refused": MAX_FAILURES, "locked": AT_ONCE - MAX_FAILURES})
        right = _forty_at_once(urls, console["user"], console["password"])
        assert right == Counter({"locked": AT_ONCE})
        for url in urls:
            assert attempt(url, "api", console["user"], console["password"]) == "locked"

    engine = create_engine(database_url)
    counted, positions, tokens = _db_facts(engine)
    engine.dispose()
    assert counted == MAX_FAILURES
    assert positions == list(range(1, MAX_FAILURES + 1))
    assert tokens == 0


def test_no_password_is_hashed_or_checked_with_a_connection_out(
    served: str, demo: dict[str, Any], container: Container, watched: WatchedHasher
):
    """Every way a password is hashed or checked, one at a time: the pool has nothing out."""
    manager, console = demo["store_manager"], demo["console"]
    assert attempt(served, "api", console["user"], "wrong-password") == "refused"
    assert attempt(served, "api", "nobody-at-all", "wrong-password") == "refused"
    assert attempt(served, "console", console["user"], console["password"]) == "signed_in"
    assert attempt(served, "cashier", manager["user"], manager["password"]) == "signed_in"
    # HQ at a counter: the right password, refused for the role, and no failure counted
    assert attempt(served, "cashier", console["user"], console["password"]) == "forbidden"
    with httpx.Client(base_url=served, timeout=60) as http:
        hq = demo_admin_headers(http, demo)
        made = http.post(
            "/api/admin/v1/users",
            json={"username": "new-cashier", "password": "first-password", "role": "hq_admin"},
            headers=hq,
        )
        assert made.status_code == 201, made.text
        changed = http.patch(
            f"/api/admin/v1/users/{made.json()['id']}",
            json={"password": "second-password"},
            headers=hq,
        )
        assert changed.status_code == 200, changed.text
    kinds = Counter(what for what, _, _ in watched.calls)
    assert kinds == Counter({"verify": 6, "hash": 2, "wait": 8})
    assert [(what, out) for what, out, _ in watched.calls if out != 0] == []
    counted, positions, _ = _db_facts(container.engine)
    assert (counted, positions) == (1, [1])  # the unknown name's; the good sign-in forgot HQ's


def test_a_flood_of_random_name_sign_ins_hashes_outside_transactions_and_the_till_keeps_going(
    served: str, demo: dict[str, Any], container: Container, watched: WatchedHasher
):
    key = demo["terminal_key"]
    body = {**SEED_ORDER}

    def timed_order(http: httpx.Client) -> float:
        began = time.perf_counter()
        got = http.post("/api/v1/orders", json=body, headers=bearer(key))
        assert got.status_code == 201, got.text
        return time.perf_counter() - began

    stop = threading.Event()
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def guesser() -> None:
        while not stop.is_set():
            seen = attempt(served, "api", f"nobody-{uuid.uuid4().hex}", "wrong-password")
            with lock:
                outcomes[seen] += 1

    with httpx.Client(base_url=served, timeout=120) as till:
        for _ in range(5):
            timed_order(till)  # warm up
        idle = [timed_order(till) for _ in range(20)]
        guessers = [threading.Thread(target=guesser) for _ in range(8)]
        for thread in guessers:
            thread.start()
        try:
            wait_until(lambda: watched.checks() >= 8, timeout_s=120)
            busy = [timed_order(till) for _ in range(40)]
        finally:
            stop.set()
            for thread in guessers:
                thread.join(timeout=120)

    def p95(xs: list[float]) -> float:
        return statistics.quantiles(xs, n=20)[-1] * 1000

    print(
        f"\n{container.engine.dialect.name}: till open-order idle p50 "
        f"{statistics.median(idle) * 1000:.1f} ms p95 {p95(idle):.1f} ms; with 8 sign-in "
        f"threads p50 {statistics.median(busy) * 1000:.1f} ms p95 {p95(busy):.1f} ms; "
        f"{sum(outcomes.values())} sign-ins refused, {watched.checks()} argon2 checks"
    )
    assert set(outcomes) == {"refused"}, outcomes  # random names are never locked, never a 5xx
    assert watched.checks() >= 8
    assert watched.held_by_the_hashing_thread() == []
