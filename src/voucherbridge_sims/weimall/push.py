"""The micro-mall simulator's pushes to our service (``POST {target}/hooks/weimall``).

A push counts as delivered only on HTTP 200 with ``code == 0``; anything else (another code,
5xx, timeout, refused connection) is resent on the mall's schedule — 60, 300, 900, 3600 and
21600 s after the previous try, times ``time_scale`` (advancing the simulated clock releases a
wait too) — so one push is the first send plus at most five resends. A resend keeps the
``msg_id`` and bumps ``send_count``, like Youzan's ``sendCount``. Every attempt is recorded in
``sim.pushes`` (GET /_sim/weimall/pushes).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voucherbridge.platforms.weimall.signing import build_envelope
from voucherbridge_sims.simkit.push import answer_data, post_recorded, start_retries, target
from voucherbridge_sims.weimall.state import JsonDict, SimState

HOOK_PATH = "/hooks/weimall"


@dataclass
class PushJob:
    """One message to deliver; ``on_answer`` runs with ``data`` of the accepted answer."""

    store_id: str
    type_: str
    payload: JsonDict
    on_answer: Callable[[JsonDict], None] = lambda data: None
    on_give_up: Callable[[], None] = lambda: None
    test: bool = False
    msg_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    attempts: list[JsonDict] = field(default_factory=list)


def _accepted(status_code: int, answer: Any) -> bool:
    """The mall counts a push as delivered on HTTP 200 with ``code`` 0 (an integer)."""
    if status_code != 200 or not isinstance(answer, dict):
        return False
    code = answer.get("code")
    return isinstance(code, int) and not isinstance(code, bool) and code == 0


def send(
    sim: SimState,
    job: PushJob,
    send_count: int,
    *,
    tamper: bool = False,
    timestamp_offset_s: int = 0,
) -> JsonDict:
    """One signed POST; returns (and records) the attempt with ``ok`` and the parsed answer."""
    secret = sim.secret_for(job.store_id) or ""
    envelope = build_envelope(
        job.store_id,
        secret,
        job.type_,
        job.payload,
        now_s=sim.clock.now_s() + timestamp_offset_s,
        msg_id=job.msg_id,
        test=job.test,
        send_count=send_count,
    )
    if tamper:
        last = envelope["sign"][-1]
        envelope["sign"] = envelope["sign"][:-1] + ("0" if last != "0" else "1")
    entry: JsonDict = {
        "kind": "push",
        "type": job.type_,
        "order_no": job.payload.get("order_no"),
        "msg_id": job.msg_id,
        "send_count": send_count,
        "at": sim.clock.now().isoformat(),
        "url": target(sim) + HOOK_PATH,
        "envelope": envelope,
        "payload": job.payload,
    }
    return post_recorded(
        sim,
        entry,
        content=json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode(),
        headers={"content-type": "application/json"},
        timeout_s=sim.config.push_timeout_s,
        accepted=_accepted,
        attempts=job.attempts,
    )


def deliver(sim: SimState, job: PushJob) -> JsonDict:
    """First send now; on failure the resends run in a daemon thread.

    Returns ``{"ok", "retrying", "attempt"}`` about the first send.
    """
    generation = sim.generation
    entry = send(sim, job, 1)
    if entry["ok"]:
        job.on_answer(answer_data(entry))
        return {"ok": True, "retrying": False, "attempt": entry}
    schedule = sim.config.retry_schedule_s
    retrying = bool(schedule)
    if retrying:

        def resend(send_count: int) -> JsonDict:
            return send(sim, job, send_count)

        start_retries(
            "weimall-sim-push", sim, generation, schedule, resend, job.on_answer, job.on_give_up
        )
    else:
        job.on_give_up()
    return {"ok": False, "retrying": retrying, "attempt": entry}
