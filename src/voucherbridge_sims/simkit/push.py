"""One call from a simulator to our service, recorded in ``sim.pushes`` whatever happened."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

from voucherbridge_sims.simkit.state import JsonDict, SimBase

# Whether our service took the call: (HTTP status, parsed answer) -> ok.
Accepted = Callable[[int, Any], bool]
# One numbered attempt (1 = the first send): posts and returns the recorded entry.
Attempt = Callable[[int], JsonDict]


def target(sim: SimBase) -> str:
    """Our service's base URL without the trailing slash ("" when not configured)."""
    return (sim.config.target_base_url or "").rstrip("/")


def post_recorded(
    sim: SimBase,
    entry: JsonDict,
    *,
    content: bytes,
    headers: Mapping[str, str],
    timeout_s: float,
    accepted: Accepted,
    params: Mapping[str, str] | None = None,
    keep_answer: bool = True,
    attempts: list[JsonDict] | None = None,
) -> JsonDict:
    """POST `content` to ``entry["url"]`` and complete `entry` with what happened, then record it.

    `entry` (what the platform says about the call, ``url`` included) gains ``status_code``,
    ``answer`` (the JSON answer, else its first 500 characters; only with `keep_answer`),
    ``error`` (the transport failure, or no target configured: nothing is sent) and ``ok``
    (`accepted`). It is kept in ``sim.pushes`` (and `attempts` when given) and returned.
    """
    entry["status_code"] = None
    if keep_answer:
        entry["answer"] = None
    entry["error"] = None
    entry["ok"] = False
    if not target(sim):
        entry["error"] = "target_base_url not configured"
    else:
        try:
            response = httpx.post(
                entry["url"], params=params, content=content, headers=headers, timeout=timeout_s
            )
            entry["status_code"] = response.status_code
            answer: Any = None
            if keep_answer:
                try:
                    answer = response.json()
                except ValueError:
                    answer = response.text[:500]
                entry["answer"] = answer
            entry["ok"] = accepted(response.status_code, answer)
        except httpx.HTTPError as exc:
            entry["error"] = f"{type(exc).__name__}: {exc}"
    sim.record_push(entry, attempts)
    return entry


def answer_data(entry: JsonDict) -> JsonDict:
    """The ``data`` object of a recorded answer ({} when there is none)."""
    answer = entry.get("answer")
    if isinstance(answer, dict) and isinstance(answer.get("data"), dict):
        return dict(answer["data"])
    return {}


def start_retries(
    thread_name: str,
    sim: SimBase,
    generation: int,
    schedule: Sequence[float],
    attempt: Attempt,
    on_answer: Callable[[JsonDict], None],
    on_give_up: Callable[[], None],
    first: int = 2,
) -> None:
    """In a daemon thread: attempts `first` … ``len(schedule) + 1`` until one is ``ok``, attempt
    n after waiting ``schedule[n - 2]`` (see `SimBase.sleep_schedule`). ``on_answer`` gets the
    accepted answer's ``data``; ``on_give_up`` runs when the schedule is spent; a reset or a
    shutdown (another `generation`) ends the retries silently."""

    def retry() -> None:
        for number in range(first, len(schedule) + 2):
            if number > 1 and not sim.sleep_schedule(schedule[number - 2], generation):
                return
            entry = attempt(number)
            if sim.generation != generation:
                return
            if entry["ok"]:
                on_answer(answer_data(entry))
                sim.changed()
                return
        on_give_up()
        sim.changed()

    threading.Thread(target=retry, daemon=True, name=thread_name).start()
