"""The default notifier: one log line per message, no personal data but the openid's last 4."""

from __future__ import annotations

from typing import Any, Protocol

import structlog

from voucherbridge.notifications.ports import TemplateMessage

log = structlog.get_logger("voucherbridge.notifications")


def openid_tail(openid: str) -> str:
    return "…" + openid[-4:] if len(openid) > 4 else "…"


class Lines(Protocol):
    def info(self, event: str, **fields: Any) -> Any: ...


class LogNotifier:
    """Sends nothing: says what would have gone out (template and keys, not the values)."""

    def __init__(self, lines: Lines | None = None) -> None:
        self.lines: Lines = lines or log

    def send(self, message: TemplateMessage) -> str:
        self.lines.info(
            "notify.logged",
            openid=openid_tail(message.openid),
            template_id=message.template_id,
            keys=sorted(message.data),
            client_msg_id=message.client_msg_id,
        )
        return ""
