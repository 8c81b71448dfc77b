"""Outbound calls of the Douyin simulator: signed SPI pushes with Douyin's retry schedule, and
webhook delivery. Every attempt is recorded in ``sim.pushes`` (GET /_sim/pushes).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voucherbridge.platforms.douyin.signing import signed_spi_query, webhook_signature
from voucherbridge_sims.douyin.state import JsonDict, SimState
from voucherbridge_sims.simkit.push import answer_data, post_recorded, start_retries, target

SPI_PATHS = {
    "issue": "/hooks/douyin/spi/issue",
    "refund_apply": "/hooks/douyin/spi/refund-apply",
    "refund_notice": "/hooks/douyin/spi/refund-notice",
    "order_status": "/hooks/douyin/spi/order-status",
}
WEBHOOK_PATH = "/hooks/douyin/webhook"


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def post_spi(
    sim: SimState,
    name: str,
    payload: JsonDict,
    attempt: int = 1,
    attempts: list[JsonDict] | None = None,
) -> JsonDict:
    """One signed SPI call; returns the attempt record with ``ok`` and the parsed ``answer``."""
    url = target(sim) + SPI_PATHS[name]
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
    }
    return post_recorded(
        sim,
        entry,
        params=query,
        content=body,
        headers=headers,
        timeout_s=sim.config.spi_timeout_s,
        accepted=_accepted,
        attempts=attempts,
    )


def _accepted(status_code: int, answer: Any) -> bool:
    """Douyin takes an SPI answer on HTTP 200 with ``data.error_code`` 0 (missing = 0)."""
    if status_code != 200 or not isinstance(answer, dict):
        return False
    data = answer.get("data")
    code = data.get("error_code", 0) if isinstance(data, dict) else None
    return isinstance(code, int) and code == 0


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

    def attempt(number: int) -> JsonDict:
        return post_spi(sim, job.name, job.payload, number, job.attempts)

    if wait:
        entry = attempt(1)
        if entry["ok"]:
            job.on_answer(answer_data(entry))
            return {"status": "ok", "attempts": job.attempts}
        status, first = "retrying", 2
    else:
        status, first = "queued", 1
    schedule = sim.config.retry_schedule_s
    start_retries(
        "douyin-sim-push", sim, generation, schedule, attempt, job.on_answer, job.on_give_up, first
    )
    return {"status": status, "attempts": job.attempts}


def flush_webhooks(sim: SimState, duplicate: bool = False) -> JsonDict:
    """Deliver queued webhooks (twice each with ``duplicate``); failed ones stay queued."""
    with sim.lock:
        queued = list(sim.webhooks)
    base = target(sim)
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
                "url": base + WEBHOOK_PATH,
                "body": json.loads(body),
            }
            post_recorded(
                sim,
                entry,
                content=body,
                headers=headers,
                timeout_s=sim.config.spi_timeout_s,
                accepted=lambda status_code, _answer: 200 <= status_code < 300,
                keep_answer=False,
            )
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
