"""The first screen a newcomer opens: `GET /` is a start page in Chinese (with English) that
links to the console, the cashier page, the API documents and the simulators' pages; the API
documents work offline (their scripts are our own files); the OpenAPI document shows, for every
error response, the catalogue's errors with the Chinese messages the API really sends."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import SEED_ORDER, open_order, terminal_headers

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_the_start_page_links_everything_a_newcomer_needs(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    for words in ("券桥", "管理后台", "收银台", "接口文档", "平台模拟器", "VoucherBridge"):
        assert words in html
    for href in ('href="/console"', 'href="/cashier"', 'href="/docs"', 'href="/redoc"'):
        assert href in html
    for simulator in ("微商城", "抖音来客", "美团/点评", "http://127.0.0.1:18084/"):
        assert simulator in html
    english = client.get("/?lang=en").text
    for words in ("Console", "Cashier page", "API documents", "Platform simulators"):
        assert words in english
    assert "path不存在" not in html


def test_the_api_documents_load_only_our_own_files(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200, path
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources, page.text
        assert all(s.startswith("/") for s in sources), sources  # no CDN
        for source in sources:
            if source.startswith("/static/"):
                asset = client.get(source)
                assert asset.status_code == 200, source
                assert len(asset.content) > 1000, source
        policy = page.headers["content-security-policy"]
        assert "http" not in policy  # nothing from elsewhere is allowed either


def _error_responses(schema: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    found = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    found.append((path, method, status, response))
    return found


def test_every_error_response_in_the_openapi_document_has_chinese_catalogue_examples(
    client: TestClient,
) -> None:
    schema = client.get("/openapi.json").json()
    responses = _error_responses(schema)
    assert len(responses) > 50
    for path, method, status, response in responses:
        media = response["content"]["application/json"]
        assert media["schema"] == {"$ref": "#/components/schemas/ErrorEnvelope"}, (path, status)
        examples = media["examples"]
        assert examples, (path, method, status)
        for name, example in examples.items():
            error = example["value"]["error"]
            assert error["code"] == name
            assert CHINESE.search(error["message"]), (path, name, error["message"])
            assert "{" not in error["message"], error["message"]
    redeem = schema["paths"]["/api/v1/redemptions"]["post"]["responses"]["409"]
    used = redeem["content"]["application/json"]["examples"]["voucher_already_redeemed"]
    assert used["value"]["error"]["message"] == "票券已使用 (2026-12-01 19:42, 福田店)"


def test_an_example_is_what_the_api_really_answers(
    client: TestClient, demo: dict[str, Any]
) -> None:
    schema = client.get("/openapi.json").json()
    prepare = schema["paths"]["/api/v1/vouchers/prepare"]["post"]["responses"]["404"]
    example = prepare["content"]["application/json"]["examples"]["voucher_not_found"]
    headers = terminal_headers(demo["terminal_key"])
    order = open_order(client, headers, SEED_ORDER["lines"])
    answer = client.post(
        "/api/v1/vouchers/prepare",
        headers=headers,
        json={"code": "J0000000000000", "order_id": order["id"]},
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == example["value"]["error"]["message"] == "票券不存在"
