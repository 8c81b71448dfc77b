"""Outbound calls of the Douyin simulator: signed SPI pushes with Douyin's retry schedule, and
webhook delivery. Every attempt is recorded in ``sim.pushes`` (GET /_sim/pushes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from voucherbridge.platforms.douyin.signing import signed_spi_query, webhook_signature
from voucherbridge_sims.douyin.state import JsonDict, SimState

SPI_PATHS = {
    "issue": "/hooks/douyin/spi/issue",
    "refund_apply": "/hooks/douyin/spi/refund-apply",
    "refund_notice": "/hooks/douyin/spi/refund-notice",
    "order_status": "/hooks/douyin/spi/order-status",
}
WEBHOOK_PATH = "/hooks/douyin/webhook"


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def _record(sim: SimState, entry: JsonDict) -> None:
    with sim.lock:
        sim.pushes.append(entry)
        del sim.pushes[:-1000]


def post_spi(sim: SimState, name: str, payload: JsonDict, attempt: int = 1) -> JsonDict:
    """One signed SPI call; returns the attempt record with ``ok`` and the parsed ``answer``."""
    target = (sim.config.target_base_url or "").rstrip("/")
    url = target + SPI_PATHS[name]
    body = dumps(payload)
    query, headers = signed_spi_query(
        sim.config.client_key, sim.config.client_secret, body, sim.clock.now_ms()
    )
    headers = {**headers, "X-Bytedance-Logid": sim.logid(), "content-type": "application/json"}
    entry: JsonDict = {
        "kind": "spi",
        "name": name,
        "attempt": attempt,
        "at": sim.clock.now().isoformat(),
        "url": url,
        "query": query,
        "body": payload,
        "status_code": None,
        "answer": None,
        "error": None,
        "ok": False,
    }
    if not target:
        entry["error"] = "target_base_url not configured"
    else:
        try:
            response = httpx.post(
                url, params=query, content=body, headers=headers, timeout=sim.config.spi_timeout_s
            )
            entry["status_code"] = response.status_code
            try:
                entry["answer"] = response.json()
            except ValueError:
                entry["answer"] = response.text[:500]
            entry["ok"] = response.status_code == 200 and _error_code(entry["answer"]) == 0
        except httpx.HTTPError as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
    _record(sim, entry)
    return entry


def _error_code(answer: Any) -> int | None:
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
        return None
    code = answer["data"].get("error_code", 0)
    return code if isinstance(code, int) else None


def answer_data(entry: JsonDict) -> JsonDict:
    answer = entry.get("answer")
    if isinstance(answer, dict) and isinstance(answer.get("data"), dict):
        return dict(answer["data"])
    return {}


@dataclass
class PushJob:
    """An SPI push: ``on_answer`` runs with ``data`` of the first accepted answer."""

    name: str
    payload: JsonDict
    on_answer: Callable[[JsonDict], None]
    on_give_up: Callable[[], None] = lambda: None
    attempts: list[JsonDict] = field(default_factory=list)


def deliver(sim: SimState, job: PushJob, wait: bool = True) -> JsonDict:
    """First attempt now (``wait``) or in the background; retries run in a daemon thread.

    Douyin retries on transport failure, non-200 or ``error_code != 0`` after 10, 30, 60, 120,
    120 and 240 s (times ``time_scale``; advancing the simulated clock also releases a wait).
    Returns ``{"status": "ok" | "retrying" | "queued", "attempts": [...]}``.
    """
    generation = sim.generation
    if wait:
        entry = post_spi(sim, job.name, job.payload, 1)
        job.attempts.append(entry)
        if entry["ok"]:
            job.on_answer(answer_data(entry))
            return {"status": "ok", "attempts": job.attempts}
        _start(sim, job, 1, generation)
        return {"status": "retrying", "attempts": job.attempts}
    _start(sim, job, 0, generation)
    return {"status": "queued", "attempts": job.attempts}


def _start(sim: SimState, job: PushJob, first: int, generation: int) -> None:
    thread = threading.Thread(
        target=_retry_loop, args=(sim, job, first, generation), daemon=True, name="douyin-sim-push"
    )
    thread.start()


def _retry_loop(sim: SimState, job: PushJob, first: int, generation: int) -> None:
    schedule = sim.config.retry_schedule_s
    for index in range(first, len(schedule) + 1):
        if index > 0 and not sim.sleep_schedule(schedule[index - 1], generation):
            return
        entry = post_spi(sim, job.name, job.payload, index + 1)
        job.attempts.append(entry)
        if sim.generation != generation:
            return
        if entry["ok"]:
            job.on_answer(answer_data(entry))
            return
    job.on_give_up()


def flush_webhooks(sim: SimState, duplicate: bool = False) -> JsonDict:
    """Deliver queued webhooks (twice each with ``duplicate``); failed ones stay queued."""
    with sim.lock:
        queued = list(sim.webhooks)
    target = (sim.config.target_base_url or "").rstrip("/")
    results = []
    delivered_ids = set()
    for message in queued:
        body = dumps(
            {
                "event": message["event"],
                "client_key": sim.config.client_key,
                "content": json.dumps(message["content"], ensure_ascii=False),
                "log_id": sim.logid(),
            }
        )
        headers = {
            "X-Douyin-Signature": webhook_signature(sim.config.client_secret, body),
            "Msg-Id": message["msg_id"],
            "content-type": "application/json",
        }
        for _ in range(2 if duplicate else 1):
            entry: JsonDict = {
                "kind": "webhook",
                "name": message["event"],
                "msg_id": message["msg_id"],
                "at": sim.clock.now().isoformat(),
                "url": target + WEBHOOK_PATH,
                "body": json.loads(body),
                "status_code": None,
                "error": None,
                "ok": False,
            }
            if not target:
                entry["error"] = "target_base_url not configured"
            else:
                try:
                    response = httpx.post(
                        target + WEBHOOK_PATH,
                        content=body,
                        headers=headers,
                        timeout=sim.config.spi_timeout_s,
                    )
                    entry["status_code"] = response.status_code
                    entry["ok"] = 200 <= response.status_code < 300
                except httpx.HTTPError as exc:
                    entry["error"] = f"{type(exc).__name__}: {exc}"
            _record(sim, entry)
            results.append(entry)
            if entry["ok"]:
                delivered_ids.add(message["msg_id"])
    with sim.lock:
        sim.webhooks = [m for m in sim.webhooks if m["msg_id"] not in delivered_ids]
        left = len(sim.webhooks)
    return {
        "delivered": len(delivered_ids),
        "failed": len(queued) - len(delivered_ids),
        "still_queued": left,
        "results": results,
    }
