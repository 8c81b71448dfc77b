"""The OpenAPI document an integrator reads: every error response shows, as examples, the
catalogue's errors of that HTTP status with the Chinese message the API really sends (and the
English one in the summary), filled with sample details.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from voucherbridge.domain.errors import ErrorCode
from voucherbridge.i18n.catalogue import CATALOGUE, message_template, render

# Sample values for the catalogue's placeholders, as a till would see them.
SAMPLE_DETAILS: dict[str, Any] = {
    "store": "福田店",
    "code": "J8201 4471 0093",
    "time": "2026-12-01 19:42",
    "windows": "周一至周五 11:00-14:00",
    "min": "100.00",
    "n": 1,
    "minutes": 60,
    "platform": "douyin",
    "product": "100元代金券",
    "short": "12.50",
    "due": "88.00",
    "what": "order",
    "field": "code",
    "retry_after_s": 60,
    "printer": "192.168.1.50",
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def error_example(code: ErrorCode) -> dict[str, Any]:
    """One error body exactly as the API shapes it (see api/errors.py), in Chinese."""
    spec = CATALOGUE[code]
    names = set(_PLACEHOLDER.findall(spec.zh)) | set(
        _PLACEHOLDER.findall(message_template(code, "en"))
    )
    details = {name: SAMPLE_DETAILS.get(name, "…") for name in sorted(names)}
    return {
        "summary": f"{code.value}: {render(code, details, 'en')}",
        "value": {
            "error": {
                "code": code.value,
                "message": render(code, details, "zh"),
                "details": details,
            }
        },
    }


def examples_for(status: int) -> dict[str, dict[str, Any]]:
    return {
        code.value: error_example(code) for code, spec in CATALOGUE.items() if spec.status == status
    }


def with_error_examples(schema: dict[str, Any]) -> dict[str, Any]:
    """Fill every 4xx/5xx response of every operation with the catalogue's examples; the body
    is the error envelope whatever FastAPI assumed (its 422 schema is not what we send)."""
    envelope = {"$ref": "#/components/schemas/ErrorEnvelope"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                examples = examples_for(int(status))
                if not examples:
                    continue
                media = response.setdefault("content", {}).setdefault("application/json", {})
                media["schema"] = envelope
                media["examples"] = examples
    return schema


def install(app: FastAPI) -> None:
    """Build the document once, on first request, with the examples in it."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
            )
            app.openapi_schema = with_error_examples(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
