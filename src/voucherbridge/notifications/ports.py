"""The notifier port: one template message to one consumer, and how it can fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class TemplateMessage:
    """A WeChat template message; `client_msg_id` (our outbox id) dedupes a resend."""

    openid: str
    template_id: str
    data: dict[str, str]
    client_msg_id: str
    url: str = ""


class Undeliverable(Exception):
    """The consumer cannot get it (not following, refused template messages, unknown openid):
    recorded, never retried."""


class QuotaReached(Exception):
    """The account's daily quota is spent: try again later (outbox backoff)."""


class NotifyFailed(Exception):
    """The platform did not take it. `permanent`: a configuration error (bad template id or
    data) that a retry will not mend; otherwise it was down or busy."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Notifier(Protocol):
    """Sends one template message; returns the platform's message id ("" when it has none)."""

    def send(self, message: TemplateMessage) -> str: ...
