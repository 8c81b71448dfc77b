"""In-memory state of the WeChat official-account simulator: the app's access tokens, the
followers (users), the account's templates and each follower's inbox of template messages.

One `SimState` guarded by the re-entrant lock of `SimBase`. The rules are PROTOCOLS.md §3:
``stable_token`` answers the same token while it lives (``force_refresh`` makes a new one, the
old one staying valid five minutes), a send needs the latest token, an existing template, a
follower who has not refused template messages, a quota left for the day (China calendar day,
configurable) and fields of at most 20 characters; ``first``/``remark`` are not shown, line
breaks stripped (the 2023-05-04 rendering). ``client_msg_id`` dedupes per openid for 10 minutes.
Later the same state will hold OAuth codes and Pay orders (issue 17 points 2 and 3).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

from voucherbridge_sims.simkit.state import JsonDict as JsonDict
from voucherbridge_sims.simkit.state import SimBase

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
OVERLAP_S = 300  # a replaced token still works this long
DEDUPE_S = 600  # client_msg_id window
FIELD_LIMIT = 20  # characters per body field since 2023-05-04
HIDDEN_KEYS = frozenset({"first", "remark"})

# errcode values (PROTOCOLS.md §3)
OK = 0
BUSY = -1
INVALID_CREDENTIAL = 40001
INVALID_OPENID = 40003
INVALID_APPID = 40013
INVALID_TOKEN = 40014
INVALID_TEMPLATE = 40037
INVALID_SECRET = 40125
TOKEN_EXPIRED = 42001
NOT_FOLLOWING = 43004
USER_REFUSED = 43101
QUOTA = 45009
BAD_DATA = 47003
ERRMSG = {
    OK: "ok",
    BUSY: "system error",
    INVALID_CREDENTIAL: "invalid credential, access_token is invalid or not latest",
    INVALID_OPENID: "invalid openid",
    INVALID_APPID: "invalid appid",
    INVALID_TOKEN: "invalid access_token",
    INVALID_TEMPLATE: "invalid template_id",
    INVALID_SECRET: "invalid appsecret",
    TOKEN_EXPIRED: "access_token expired",
    NOT_FOLLOWING: "require subscribe",
    USER_REFUSED: "user refuse to accept the msg",
    QUOTA: "reach max api daily quota limit",
    BAD_DATA: "argument invalid! data format error",
}


def answer(errcode: int = OK, **extra: Any) -> JsonDict:
    return {"errcode": errcode, "errmsg": ERRMSG.get(errcode, "error"), **extra}


@dataclass
class WeChatSimConfig:
    """How the simulator behaves; the app's id and secret come from WECHAT_APPID/SECRET."""

    appid: str = "wx-demo-appid"
    secret: str = "wx-demo-secret"
    account_name: str = "右姑娘火锅"
    token_lifetime_s: int = 7200
    daily_quota: int = 100_000  # template sends per China day (POST /_sim/wechat/quota)
    target_base_url: str | None = None  # our service (for later: OAuth redirects, Pay notify)
    time_scale: float = 1.0
    fault_timeout_s: float = 30.0
    state_file: str | None = None


@dataclass
class Token:
    value: str
    issued_at: datetime
    expires_at: datetime


@dataclass
class User:
    openid: str
    subscribed: bool = True
    refused: bool = False  # turned template messages off (43101)
    nickname: str = ""


@dataclass
class TemplateKey:
    key: str
    label: str


@dataclass
class Template:
    template_id: str
    title: str
    keys: list[TemplateKey]


@dataclass
class Message:
    msgid: int
    openid: str
    template_id: str
    title: str
    lines: list[tuple[str, str]]  # (label, value) as the phone shows them
    client_msg_id: str
    url: str
    sent_at: datetime

    def text(self) -> str:
        return "\n".join([self.title, *(f"{label}:{value}" for label, value in self.lines)])


@dataclass
class SendAsk:
    openid: str
    template_id: str
    data: dict[str, str]
    client_msg_id: str = ""
    url: str = ""


class SimState(SimBase):
    config: WeChatSimConfig
    default_biz_code = BUSY
    persisted: ClassVar[dict[str, Any]] = {
        "tokens": list[Token],
        "users": dict[str, User],
        "templates": dict[str, Template],
        "messages": list[Message],
        "sent_per_day": dict[str, int],
        "next_msgid": int,
    }

    def __init__(self, config: WeChatSimConfig) -> None:
        super().__init__(config)
        self.reset()

    def reset(self) -> None:
        """Forget tokens, users, templates and inboxes; the config stays."""
        with self.lock:
            super().reset()
            self.tokens: list[Token] = []  # newest last
            self.users: dict[str, User] = {}
            self.templates: dict[str, Template] = {}
            self.messages: list[Message] = []
            self.sent_per_day: dict[str, int] = {}
            self.next_msgid = 1_000_001
            self.quota = self.config.daily_quota

    def restored(self) -> None:
        self.quota = self.config.daily_quota

    # ---- tokens ---------------------------------------------------------------------------------
    def stable_token(self, force_refresh: bool) -> Token:
        """The live token, or a new one when none lives or a refresh is forced."""
        now = self.clock.now()
        with self.lock:
            latest = self.tokens[-1] if self.tokens else None
            if latest is not None and latest.expires_at > now and not force_refresh:
                return latest
            return self._new_token(now)

    def plain_token(self) -> Token:
        """``GET /cgi-bin/token``: a new token each call (the previous one lives 5 minutes)."""
        with self.lock:
            return self._new_token(self.clock.now())

    def _new_token(self, now: datetime) -> Token:
        for old in self.tokens:
            old.expires_at = min(old.expires_at, now + timedelta(seconds=OVERLAP_S))
        token = Token(
            "wxat_" + secrets.token_urlsafe(24),
            now,
            now + timedelta(seconds=self.config.token_lifetime_s),
        )
        self.tokens = [t for t in self.tokens if t.expires_at > now][-1:] + [token]
        self.changed()
        return token

    def expire_tokens(self) -> int:
        """Every token expires now (``POST /_sim/wechat/expire-token``)."""
        now = self.clock.now() - timedelta(seconds=1)
        with self.lock:
            for token in self.tokens:
                token.expires_at = min(token.expires_at, now)
            return len(self.tokens)

    def token_problem(self, value: str) -> int:
        """0 when ``value`` is a live token, else the errcode WeChat answers."""
        now = self.clock.now()
        with self.lock:
            token = next((t for t in self.tokens if t.value == value), None)
        if not value:
            return INVALID_TOKEN
        if token is None:
            return INVALID_CREDENTIAL
        return TOKEN_EXPIRED if token.expires_at <= now else OK

    # ---- sending --------------------------------------------------------------------------------
    def day(self) -> str:
        return self.clock.now().astimezone(CHINA).date().isoformat()

    def send(self, ask: SendAsk) -> tuple[int, int | None]:
        """(errcode, msgid) of one template send; a message lands in the inbox on 0."""
        now = self.clock.now()
        with self.lock:
            template = self.templates.get(ask.template_id)
            if template is None:
                return INVALID_TEMPLATE, None
            user = self.users.get(ask.openid)
            if user is None:
                return INVALID_OPENID, None
            if not user.subscribed:
                return NOT_FOLLOWING, None
            if user.refused:
                return USER_REFUSED, None
            if ask.client_msg_id:
                for earlier in reversed(self.messages):
                    if (now - earlier.sent_at).total_seconds() > DEDUPE_S:
                        break
                    if (earlier.openid, earlier.client_msg_id) == (ask.openid, ask.client_msg_id):
                        return OK, earlier.msgid
            lines = rendered_lines(template, ask.data)
            if lines is None:
                return BAD_DATA, None
            day = self.day()
            if self.sent_per_day.get(day, 0) >= self.quota:
                return QUOTA, None
            self.sent_per_day[day] = self.sent_per_day.get(day, 0) + 1
            message = Message(
                self.next_msgid,
                ask.openid,
                ask.template_id,
                template.title,
                lines,
                ask.client_msg_id,
                ask.url,
                now,
            )
            self.next_msgid += 1
            self.messages.append(message)
            self.changed()
            return OK, message.msgid

    def inbox(self, openid: str | None = None) -> list[Message]:
        with self.lock:
            return [m for m in self.messages if openid is None or m.openid == openid]


def rendered_lines(template: Template, data: dict[str, str]) -> list[tuple[str, str]] | None:
    """The fields as the phone shows them since 2023-05-04: every template key but first and
    remark, in the template's order, one line each, no line breaks; None when a shown key is
    missing or longer than 20 characters (WeChat answers 47003)."""
    lines = []
    for key in template.keys:
        if key.key in HIDDEN_KEYS:
            continue
        value = data.get(key.key)
        if value is None:
            return None
        flat = " ".join(value.split())
        if len(flat) > FIELD_LIMIT:
            return None
        lines.append((key.label or key.key, flat))
    return lines
