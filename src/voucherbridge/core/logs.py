"""Structured logs with event names like `voucher.redeem.rejected`; JSON on request.

No secret reaches a log line. One redaction runs over every structlog event (its fields, its
message, its traceback) and, through the log-record factory, over every stdlib record (uvicorn's
"Exception in ASGI application", SQLAlchemy, httpx): bearer tokens, our terminal keys and
console tokens, the values of `Authorization` / `Cookie` / `X-CSRF-Token` headers, any value
named like a secret, password, token, key or signature, the secrets in settings and the password
of a database URL become `***`; voucher codes are masked as the product shows them
(`mask_code`: J123*******8901). Tracebacks are printed without local variables: a frame's
locals hold the request (its headers), passwords and platform secrets under any name.
"""

from __future__ import annotations

import functools
import io
import logging
import re
import sys
import threading
from collections.abc import Iterable
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, ExcInfo, Processor, WrappedLogger

from voucherbridge.config import Settings
from voucherbridge.core.request_id import request_id
from voucherbridge.domain.codes import mask_code

MASK = "***"
# The shapes of what chain/auth.py hands out (core sits below chain: kept in step by a test).
OUR_TOKEN_PREFIXES = ("vbt_", "vba_")

# A quoted or bare value after `name: `, `name=`, `'name': '`, `(b'name', b'` or JSON's `"name": "`.
_SEP = r"""(?P<sep>\\?['"]?\s*(?:[:=]|(?<=['"])\s*,)\s*(?-i:b)?)"""
_QUOTED = r"""(?P<q>\\?['"])?(?P<value>(?(q).*?(?=(?P=q)|\n|\Z)|"""
_BARE = r"""[^\s'",;&)}\]]+))"""
# Header names: their whole value is a credential, whatever its shape (`Basic …`, a cookie).
_HEADER_VALUE = re.compile(
    r"(?i)(?P<name>\b(?:proxy-)?authorization|\bset-cookie|\bcookie|\bx-csrf-token"
    r"|\bx-api-key|\baccess-token)" + _SEP + _QUOTED + r"(?:[A-Za-z]+\s+)?" + _BARE
)
# Any field, argument or parameter named like a credential.
SECRET_NAME = re.compile(
    r"(?i)secret|passw(?:or)?d|passwd|token|key|sign(?:ature)?\b|csrf|credential|session"
    r"|cookie|authorization"
)
_NAMED_VALUE = re.compile(
    r"(?i)(?P<name>\b[\w-]*?(?:secret|passw(?:or)?d|passwd|token|key|sign(?:ature)?\b|csrf|credential"
    r"|session)[\w-]*)" + _SEP + _QUOTED + _BARE
)
_BEARER = re.compile(r"(?i)\b(bearer\s+)(?!\*\*\*)[A-Za-z0-9._~+/=-]+")
_OUR_TOKEN = re.compile(r"\b(" + "|".join(OUR_TOKEN_PREFIXES) + r")[A-Za-z0-9_-]{4,}")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/'\"]+(@)")
# Voucher codes: ours (a platform letter, 13 digits and a check digit), Douyin's short links,
# and the platforms' digit codes (Meituan 10, Douyin 12-15).
_MERCHANT_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]\d{14}(?!\d)")
_DOUYIN_LINK = re.compile(r"(v\.douyin\.com/)([A-Za-z0-9_-]+)")
_DIGIT_CODE = re.compile(r"(?<![\w.])\d{10,15}(?![\w.])")
# Each pattern runs only where a plain substring test (fast) says it may match.
_HEADER_WORDS = ("authoriz", "cookie", "csrf", "-key", "access-token")
_NAME_WORDS = ("secret", "passw", "token", "key", "sign", "credential", "session")
_CODE_HINT = re.compile(r"[0-9]{10}")
# Field values written by the pipeline itself, not by the caller.
_OWN_FIELDS = frozenset({"exc_info", "stack_info", "timestamp", "level", "_record"})
_DEPTH = 6

_known: tuple[str, ...] = ()  # literal secrets of this process (settings), longest first
_write_lock = threading.Lock()
_min_level = logging.INFO  # as configured last (a hot path asks `enabled` before it logs)


def enabled(level: int) -> bool:
    """Whether a line at `level` would be written (cheaper than building it to drop it)."""
    return level >= _min_level


def add_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The id of the request (or of the delivery's request) the line is written for."""
    rid = request_id()
    if rid is not None:
        event_dict.setdefault("request_id", rid)
    return event_dict


def remember_secret(value: str | None) -> None:
    """A literal this process must never print (a settings secret); short ones are ignored."""
    global _known
    if value and len(value) >= 8 and value not in _known:
        _known = tuple(sorted({*_known, value}, key=len, reverse=True))


def _masked(match: re.Match[str]) -> str:
    return match.group("name") + match.group("sep") + (match.group("q") or "") + MASK


def redact_shapes(text: str) -> str:
    """What is a credential or a voucher code by its look or its header name alone.

    Safe on a rendered line (JSON stays JSON): it only ever rewrites the inside of a string."""
    for literal in _known:
        if literal in text:
            text = text.replace(literal, MASK)
    lowered = text.lower()
    if "bearer" in lowered:
        text = _BEARER.sub(r"\1" + MASK, text)
    if "vbt_" in text or "vba_" in text:
        text = _OUR_TOKEN.sub(r"\1" + MASK, text)
    if any(word in lowered for word in _HEADER_WORDS):
        text = _HEADER_VALUE.sub(_masked, text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD.sub(r"\1" + MASK + r"\2", text)
    if _CODE_HINT.search(text):
        text = _MERCHANT_CODE.sub(lambda m: mask_code(m.group(0)), text)
    if "douyin.com/" in lowered:
        text = _DOUYIN_LINK.sub(lambda m: m.group(1) + mask_code(m.group(2)), text)
    return text


def redact(text: str) -> str:
    """Free text (a message, an exception, a traceback): shapes, then anything named like a
    secret (`secret='…'`, `"password": "…"`, `sign=…&`), then platform digit codes."""
    text = redact_shapes(text)
    lowered = text.lower()
    if any(word in lowered for word in _NAME_WORDS):
        text = _NAMED_VALUE.sub(_masked, text)
    if _CODE_HINT.search(text):
        text = _DIGIT_CODE.sub(lambda m: mask_code(m.group(0)), text)
    return text


@functools.lru_cache(maxsize=1024)
def _secret_name(name: str) -> bool:
    return bool(name and SECRET_NAME.search(name))


def _scrub(name: str, value: Any, depth: int = 0) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("utf-8", "replace")
    if isinstance(value, str):
        return MASK if _secret_name(name) else redact(value)
    if depth >= _DEPTH:
        return MASK
    if isinstance(value, dict):
        return {k: _scrub(str(k), v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(name, v, depth + 1) for v in value]
    if isinstance(value, BaseException):
        return _scrub(name, f"{type(value).__name__}: {value}", depth)
    return _scrub(name, str(value), depth)  # a dataclass's repr, a URL, a datetime


def redact_event(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The structlog processor: every field of the event, by its name and by its content."""
    for key, value in list(event_dict.items()):
        if key in _OWN_FIELDS:
            continue
        text = key in ("event", "exception")  # the message, a formatted traceback
        event_dict[key] = redact(str(value)) if text else _scrub(key, value)
    return event_dict


def _redacted_traceback(sio: TextIO, exc_info: ExcInfo) -> None:
    """The console's traceback: plain (no locals, no wrapping that would split a token)."""
    buffer = io.StringIO()
    structlog.dev.plain_traceback(buffer, exc_info)
    sio.write(redact(buffer.getvalue()))


def _redacting(renderer: Processor) -> Processor:
    def render(logger: WrappedLogger, method: str, event_dict: EventDict) -> Any:
        rendered = renderer(logger, method, event_dict)
        return redact_shapes(rendered) if isinstance(rendered, str) else rendered

    return render


class _Stdout:
    """structlog's output: one line on the process's stdout as it is when the line is written
    (a redirected stream, a test's capture), not as it was when a module first logged."""

    def msg(self, message: str) -> None:
        with _write_lock:
            sys.stdout.write(message + "\n")
            sys.stdout.flush()

    log = debug = info = warn = warning = error = err = critical = exception = fatal = msg


def _stdout_factory(*_: Any) -> _Stdout:
    return _Stdout()


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Scrub a stdlib record in place: its message, its traceback, its stack."""
    if getattr(record, "voucherbridge_redacted", False):
        return record
    record.__dict__["voucherbridge_redacted"] = True
    try:
        message = record.getMessage()
    except Exception:  # a bad format string: the formatter will say so; scrub what we have
        message = str(record.msg)
    redacted = redact(message)
    if redacted != message:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # its formatter unpacks the arguments (client, method, path, version, status)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        else:
            record.msg, record.args = redacted, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """For any handler: scrubs the records it is handed (see `redact_record`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def _install_stdlib_redaction(loggers: Iterable[str]) -> None:
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "voucherbridge_redacts", False):

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return redact_record(factory(*args, **kwargs))

        redacting_factory.voucherbridge_redacts = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(redacting_factory)
    # Records that bypass the factory (made elsewhere and handed over) meet the filter.
    for name in loggers:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


def configure_logging(settings: Settings) -> None:
    """Set the process's logging from settings; safe to call again (tests, workers).

    Loggers are not cached on first use: a module that logged before this ran (a worker thread
    started first, an import-time message) still goes through this redaction afterwards."""
    global _min_level
    level = getattr(logging, settings.log_level.upper(), logging.INFO)
    _min_level = level
    for secret in (settings.secret_key, settings.meituan_app_secret):
        remember_secret(secret)
    # Production logs one JSON object a line (what log shippers read); development, text.
    as_json = settings.log_json or settings.environment == "production"
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=_redacted_traceback)
    )
    exceptions: list[Processor] = [structlog.processors.format_exc_info] if as_json else []
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        *exceptions,
        redact_event,
        _redacting(renderer),
    ]
    structlog.configure(
        processors=processors,
        logger_factory=_stdout_factory,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    _install_stdlib_redaction(("", "uvicorn", "uvicorn.error", "uvicorn.access"))
