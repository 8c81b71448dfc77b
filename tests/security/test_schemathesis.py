"""Schemathesis over the published OpenAPI: every operation, valid and invalid inputs, in-process.

Each operation gets a bounded, derandomized set of examples (CI stays around a minute) with a
working terminal key or console token, so the fuzzer reaches the code behind authentication,
and a fresh demo database, so one operation (say, revoking the terminal) cannot mask another.
The property: never a 500, and every 4xx is the catalogue envelope with a code from ErrorCode.

SQLite only: request validation (pydantic models, path/query constraints, the error handlers)
is the same code on both backends; what differs per backend (constraints, locking) is covered
by the hostile-input and race tests that run on PostgreSQL too. The signed /hooks endpoints are
left out: without a signature every input is refused before parsing (tenancy matrix covers them).

The operations are read from the app itself at collection time, so a new endpoint is fuzzed
without touching this file. (`schemathesis.pytest.from_fixture` would do that too, but it runs
every operation on one shared database and trips over pytest 9's node ids.)
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.python import asgi
from sqlalchemy import create_engine

from tests.demo_world import seed_test_world
from voucherbridge.api.warm_up import build_route_state
from voucherbridge.app import create_app
from voucherbridge.bootstrap import Container, build
from voucherbridge.config import Settings
from voucherbridge.db.migrate import upgrade
from voucherbridge.domain.errors import ErrorCode

MAX_EXAMPLES = 25
CODES = {code.value for code in ErrorCode}
# A platform that does not answer is a clean 503 with a catalogue code, not a crash.
EXPECTED_5XX = {(503, "platform_unavailable"), (503, "service_unavailable")}


def _published_schema() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/schema.db"
        engine = create_engine(url)
        upgrade(engine)
        engine.dispose()
        container = build(Settings(database_url=url, environment="test", log_level="CRITICAL"))
        document: dict[str, Any] = create_app(container=container).openapi()
        container.engine.dispose()
    return document


SCHEMA = schemathesis.openapi.from_dict(_published_schema()).exclude(path_regex="^/hooks/")
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo merchant and a console session, seeded once; each test gets a copy of the file."""
    path = tmp_path_factory.mktemp("fuzz-seed") / "seeded.db"
    shutil.copy(sqlite_template, path)
    container = _container(path)
    demo = seed_test_world(
        container.uow,
        now=container.clock(),
        base_url="http://testserver",
        seal=container.secrets.seal,
    )
    with TestClient(create_app(container=container)) as client:
        login = client.post(
            "/api/admin/v1/login",
            json={"username": demo["console"]["user"], "password": demo["console"]["password"]},
        )
    assert login.status_code == 200, login.text
    container.engine.dispose()
    return {
        "path": path,
        "/api/v1/": {"Authorization": f"Bearer {demo['terminal_key']}"},
        "/api/admin/": {"Authorization": f"Bearer {login.json()['token']}"},
    }


def _container(path: Path) -> Container:
    # No simulators run here: a platform call fails at once instead of retrying for seconds.
    return build(
        Settings(
            database_url=f"sqlite:///{path}",
            environment="test",
            log_level="CRITICAL",
            platform_timeout_s=0.2,
            platform_retry_wait_s=0,
            platform_max_attempts=1,
        )
    )


@pytest.fixture
def target(seeded: dict[str, Any], tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The app on a fresh copy of the demo database."""
    path = tmp_path / "fuzz.db"
    shutil.copy(seeded["path"], path)
    container = _container(path)
    app = create_app(container=container)
    build_route_state(app)  # as `voucherbridge serve` does before it takes traffic
    SCHEMA.app = app
    with asgi.get_client(app) as session:
        yield {**seeded, "session": session}
    container.engine.dispose()


def _auth(path: str, target: dict[str, Any]) -> dict[str, str]:
    for prefix in ("/api/v1/", "/api/admin/"):
        if path.startswith(prefix):
            return dict(target[prefix])
    return {}


def assert_catalogue_answer(response: Any) -> None:
    """No crash; every refusal is `{"error": {"code", "message", "details"}}` with a known code."""
    status = response.status_code
    assert status != 500, response.text
    if status < 400:
        return
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, body
    assert error["code"] in CODES, body
    assert isinstance(error["message"], str), body
    assert error["message"], body
    assert isinstance(error["details"], dict), body
    if status >= 500:
        assert (status, error["code"]) in EXPECTED_5XX, body


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_input_crashes_the_api(label: str, mode: GenerationMode, target: dict[str, Any]):
    operation = OPERATIONS[label]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: Any) -> None:
        # No crash is the assertion here; speed is the benchmarks'. On a loaded 2-core CI
        # machine a fresh app's first answer has taken more than the default 10 s read timeout.
        response = case.call(
            session=target["session"], headers=_auth(case.path, target), timeout=60
        )
        assert_catalogue_answer(response)

    try:
        run()
    except Unsatisfiable:
        # Nothing in this operation's inputs can be made invalid (no body, query or path).
        assert mode is GenerationMode.NEGATIVE
