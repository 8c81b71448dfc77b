"""`/readyz` (and its 503 reasons), `/metrics` and the request id, in process on both backends."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient

from tests.helpers import ADMIN_API, SEED_ORDER, demo_admin_headers, must_redeem, open_order
from voucherbridge.app import create_app
from voucherbridge.bootstrap import Container
from voucherbridge.core.logs import configure_logging
from voucherbridge.db.migrate import alembic_config, head_revision


def _client(container: Container, **settings: Any) -> TestClient:
    container.settings = container.settings.model_copy(update=settings)
    return TestClient(create_app(container=container))


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def _redeem_cash(client: TestClient, auth: dict[str, str], code: str, **headers: str) -> Any:
    order = open_order(client, auth, SEED_ORDER["lines"])
    return must_redeem(client, {**auth, **headers}, code, order["id"])


def test_readyz_is_ready_on_a_migrated_database(client: TestClient):
    got = client.get("/readyz")
    assert got.status_code == 200, got.text
    assert got.json()["checks"] == {"database": "ok", "migrations": "ok", "outbox": "ok"}
    assert client.get("/healthz").status_code == 200


def test_readyz_is_503_with_the_reason_when_the_schema_is_behind(container: Container):
    with _client(container) as client:  # started on a migrated database
        config = alembic_config(str(container.engine.url))
        head = head_revision()
        assert head is not None
        previous = ScriptDirectory.from_config(config).get_revision(head).down_revision
        with container.engine.begin() as conn:
            config.attributes["connection"] = conn
            command.stamp(config, str(previous), purge=True)
        try:
            got = client.get("/readyz")
            english = client.get("/readyz", headers={"Accept-Language": "en"})
        finally:
            with container.engine.begin() as conn:
                config.attributes["connection"] = conn
                command.stamp(config, head, purge=True)
        assert client.get("/readyz").status_code == 200
    assert got.status_code == 503
    body = got.json()
    assert body["checks"]["migrations"] == "failed"
    assert body["error"]["code"] == "service_unavailable"
    [reason] = body["error"]["details"]["reasons"]
    assert reason["check"] == "migrations"
    assert f"数据库结构版本为 {previous}" in reason["zh"]
    assert "voucherbridge migrate" in reason["zh"]
    assert f"the schema is at {previous}, the code needs {head}" in reason["en"]
    assert "服务暂时不可用" in body["error"]["message"]
    assert english.json()["error"]["message"].startswith("Service temporarily unavailable")
    assert "the code needs" in english.json()["error"]["message"]


def test_readyz_is_503_when_the_outbox_backlog_is_over_the_limit(
    container: Container, demo: dict[str, Any], auth: dict[str, str]
):
    with _client(container, ready_outbox_backlog_limit=1) as client:
        _redeem_cash(client, auth, demo["codes"]["cash"][0])
        assert client.get("/readyz").status_code == 200  # 1 row waits: at the limit
        _redeem_cash(client, auth, demo["codes"]["cash"][1])
        got = client.get("/readyz", headers={"Accept-Language": "en"})
    assert got.status_code == 503
    assert got.json()["checks"] == {"database": "ok", "migrations": "ok", "outbox": "failed"}
    [reason] = got.json()["error"]["details"]["reasons"]
    assert reason["en"].startswith("2 outbox rows wait for delivery, more than the limit of 1")
    assert reason["zh"].startswith("待同步消息 2 条,超过上限 1 条")


def test_metrics_with_a_token_are_only_for_the_scraper_that_sends_it(container: Container):
    token = "scrape-" + "t" * 24
    with _client(container, metrics_token=token) as client:
        refused = client.get("/metrics", headers={"accept-language": "zh-CN"})
        wrong = client.get("/metrics", headers={"authorization": "Bearer not-it"})
        basic = client.get("/metrics", headers={"authorization": f"Basic {token}"})
        right = client.get("/metrics", headers={"authorization": f"Bearer {token}"})
    assert [refused.status_code, wrong.status_code, basic.status_code] == [401, 401, 401]
    assert refused.json()["error"]["code"] == "unauthorized"
    assert "voucherbridge_" not in refused.text
    assert right.status_code == 200
    assert "voucherbridge_outbox_backlog" in right.text


def test_metrics_count_requests_redemptions_outbox_and_lockouts(
    container: Container, demo: dict[str, Any], auth: dict[str, str]
):
    with _client(container, sign_in_max_failures=2) as client:
        before = client.get("/metrics").text
        _redeem_cash(client, auth, demo["codes"]["cash"][0])
        other = open_order(client, auth, SEED_ORDER["lines"])["id"]
        assert client.get(f"/api/v1/orders/{other}", headers=auth).status_code == 200
        refused = client.post(
            "/api/v1/redemptions",
            json={"code": demo["codes"]["cash"][0], "order_id": other},
            headers=auth,
        )
        assert refused.status_code == 409, refused.text
        for _ in range(3):
            client.post(f"{ADMIN_API}/login", json={"username": "admin", "password": "wrong"})
        got = client.get("/metrics")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/plain")
    text = got.text

    def grew(name: str, **labels: str) -> float:
        return _sample(text, name, **labels) - _sample(before, name, **labels)

    route = {"method": "POST", "route": "/api/v1/redemptions"}
    assert grew("voucherbridge_http_requests_total", **route, status="201") == 1
    assert grew("voucherbridge_http_request_duration_seconds_count", **route) == 2
    orders = {"method": "POST", "route": "/api/v1/orders", "status": "201"}
    assert grew("voucherbridge_http_requests_total", **orders) == 2
    redeemed = {"platform": "weimall", "result": "redeemed"}
    assert grew("voucherbridge_redemptions_total", **redeemed) == 1
    refusal = refused.json()["error"]["code"]
    assert grew("voucherbridge_redemptions_total", platform="weimall", result=refusal) == 1
    assert grew("voucherbridge_sign_in_lockouts_total") == 1
    # read from the database at scrape time
    assert _sample(text, "voucherbridge_outbox_backlog", destination="platform:weimall") == 1
    assert _sample(text, "voucherbridge_outbox_dead", destination="platform:weimall") == 0
    # a path full of ids is never a label: routes are templates
    assert 'route="/api/v1/orders/{order_id}"' in text
    assert f'route="/api/v1/orders/{other}"' not in text


def test_the_request_id_is_taken_or_made_returned_and_queued_with_the_outbox_row(
    client: TestClient, demo: dict[str, Any], auth: dict[str, str]
):
    assert client.get("/healthz", headers={"X-Request-ID": "till-7.42"}).headers[
        "x-request-id"
    ] == ("till-7.42")
    made = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    for hostile in ("x" * 65, "a b", "<script>", "id\u00e9"):
        answered = client.get("/healthz", headers={"X-Request-ID": hostile.encode("utf-8")})
        assert re.fullmatch(r"[0-9a-f]{32}", answered.headers["x-request-id"]), hostile
    _redeem_cash(client, auth, demo["codes"]["cash"][0], **{"X-Request-ID": "till-7.43"})
    admin = demo_admin_headers(client, demo)
    rows = client.get(f"{ADMIN_API}/outbox", headers=admin).json()["rows"]
    assert [row["payload"].get("request_id") for row in rows] == ["till-7.43"]


def test_production_logs_one_json_line_per_request_with_its_id(
    container: Container, auth: dict[str, str], capsys: pytest.CaptureFixture[str]
):
    before = container.settings
    strong = "production-test-key-" + "x" * 24
    try:
        with _client(container, environment="production", secret_key=strong, log_level="INFO") as c:
            capsys.readouterr()
            c.get("/api/v1/orders/999", headers={**auth, "X-Request-ID": "till-9.1"})
            c.get("/readyz")  # probes are not logged
            out = capsys.readouterr().out
    finally:
        container.settings = before
        configure_logging(before)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "http.request"]
    assert len(access) == 1, out
    [line] = access
    assert line["request_id"] == "till-9.1"
    assert (line["method"], line["route"], line["status"]) == (
        "GET",
        "/api/v1/orders/{order_id}",
        404,
    )
    assert line["level"] == "info"
    assert isinstance(line["duration_ms"], float)
    assert "timestamp" in line
    assert "Bearer" not in out
