"""The platforms' own published request/response examples, copied as data (each file names its
source), and what the tests that feed them to our clients and compare our simulators need."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.simkit.server import ServerThread

HERE = Path(__file__).resolve().parent


def published(name: str) -> dict[str, Any]:
    """One fixture file; every one says where it was copied from."""
    data = json.loads((HERE / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict), name
    assert data.get("source"), name
    return data


def kind(value: Any) -> str:
    """A JSON value's type as the published models name it (ints are numbers too)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "number"
    return {str: "str", list: "list", dict: "dict", type(None): "null"}.get(type(value), "?")


def shape_gaps(example: Any, ours: Any, path: str = "$") -> list[str]:
    """Where ``ours`` lacks a key of the published ``example`` or has it with another JSON type
    (lists compare their first items); empty when ours has the published shape."""
    if kind(example) != kind(ours) and {kind(example), kind(ours)} != {"int", "number"}:
        return [f"{path}: published {kind(example)}, ours {kind(ours)}"]
    if isinstance(example, dict):
        gaps: list[str] = []
        for key, value in example.items():
            if key not in ours:
                gaps.append(f"{path}.{key}: missing")
            else:
                gaps += shape_gaps(value, ours[key], f"{path}.{key}")
        return gaps
    if isinstance(example, list) and example and ours:
        return shape_gaps(example[0], ours[0], f"{path}[0]")
    return []


def type_gaps(types: dict[str, str], ours: dict[str, Any]) -> list[str]:
    """Like `shape_gaps`, for a model published as field types (``"number"`` takes ints)."""
    gaps = []
    for key, expected in types.items():
        got = kind(ours[key]) if key in ours else "missing"
        if got != expected and not (expected == "number" and got == "int"):
            gaps.append(f"{key}: published {expected}, ours {got}")
    return gaps


class Stub:
    """A tiny platform on loopback: each path answers the bodies queued for it, in order (the
    last one again when the queue runs dry), and every call is kept."""

    def __init__(self) -> None:
        self.answers: dict[str, deque[Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.app = FastAPI()

        @self.app.api_route("/{path:path}", methods=["GET", "POST"])
        async def answer(path: str, request: Request) -> JSONResponse:
            raw = await request.body()
            self.calls.append(
                {"path": "/" + path, "query": dict(request.query_params), "body": raw.decode()}
            )
            queued = self.answers.get("/" + path)
            if not queued:
                return JSONResponse({"error": "nothing queued"}, status_code=404)
            body = queued.popleft() if len(queued) > 1 else queued[0]
            return JSONResponse(body)

    def queue(self, path: str, *bodies: Any) -> None:
        self.answers.setdefault(path, deque()).extend(bodies)

    def calls_to(self, path: str) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["path"] == path]


@contextmanager
def stub_server() -> Iterator[tuple[Stub, str]]:
    stub = Stub()
    with ServerThread(stub.app) as server:
        yield stub, server.base_url
