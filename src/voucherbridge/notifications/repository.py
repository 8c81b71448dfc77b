"""The notification tables, and what a message says about a code (read from the codes the
catalogue issued, their order's buyer, template, store and merchant zone)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from voucherbridge.db import tables as t
from voucherbridge.db.driver import Prepared
from voucherbridge.db.repository import Repository

_nt, _n = t.notification_templates, t.notifications
# Whose buyer ids are WeChat openids of the official account: the micro-mall's (a Douyin
# buyer's `open_id` is Douyin's and means nothing to WeChat).
WECHAT_BUYERS = ("weimall",)


@dataclass(frozen=True, slots=True)
class TemplateSetting:
    event: str
    template_id: str
    fields: dict[str, str]
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """A code as a message tells of it; `openid` is its buyer's (None: nobody to tell)."""

    code_id: int
    merchant_id: int
    code: str
    openid: str | None
    item_name: str
    face_value_fen: int
    valid_until: datetime
    timezone: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    """A message to claim: one per event of a code (or of a bill), by its dedupe key."""

    merchant_id: int
    event: str
    dedupe_key: str
    code_id: int | None
    code_masked: str
    openid: str


@dataclass(frozen=True, slots=True)
class NotificationRecord:
    id: int
    event: str
    code_masked: str
    openid: str
    status: str
    detail: str | None
    created_at: datetime
    updated_at: datetime


def _facts_query() -> Any:
    c, o, tpl, m = t.codes, t.code_orders, t.voucher_templates, t.merchants
    return (
        select(
            c.c.id,
            c.c.merchant_id,
            c.c.code,
            o.c.buyer_openid,
            tpl.c.name,
            tpl.c.face_value_fen,
            c.c.valid_until,
            m.c.timezone,
        )
        .join(o, o.c.id == c.c.code_order_id)
        .join(tpl, tpl.c.id == c.c.template_id)
        .join(m, m.c.id == c.c.merchant_id)
    )


def _facts(r: Any) -> CodeFacts:
    return CodeFacts(
        code_id=int(r.id),
        merchant_id=int(r.merchant_id),
        code=str(r.code),
        openid=str(r.buyer_openid) if r.buyer_openid else None,
        item_name=str(r.name),
        face_value_fen=int(r.face_value_fen),
        valid_until=r.valid_until,
        timezone=str(r.timezone or "Asia/Shanghai"),
    )


# Built once (an expanding IN is cached; one built per call was re-compiled per call).
_TO_TELL = (
    _facts_query()
    .add_columns(_nt.c.template_id.label("tpl_id"), _nt.c.fields.label("tpl_fields"))
    .outerjoin(
        _nt, and_(_nt.c.merchant_id == t.codes.c.merchant_id, _nt.c.event == bindparam("event"))
    )
    .where(
        t.codes.c.merchant_id == bindparam("merchant_id"),
        t.codes.c.platform.in_(WECHAT_BUYERS),
        t.code_orders.c.buyer_openid.is_not(None),
        t.codes.c.id.in_(bindparam("ids", expanding=True)),
    )
)
# Built once per dialect. Each claimed row comes back with its key: a purchase claims one per
# code in one statement, and a key claimed before returns nothing.
_CLAIM = {
    "postgresql": postgresql.insert(_n)
    .on_conflict_do_nothing(index_elements=[_n.c.dedupe_key])
    .returning(_n.c.id, _n.c.dedupe_key),
    "sqlite": sqlite.insert(_n)
    .on_conflict_do_nothing(index_elements=[_n.c.dedupe_key])
    .returning(_n.c.id, _n.c.dedupe_key),
}
_ONE_TEMPLATE = Prepared(
    select(_nt).where(
        _nt.c.merchant_id == bindparam("merchant_id"), _nt.c.event == bindparam("event")
    )
)


class NotificationRepo(Repository):
    # ---- templates ------------------------------------------------------------------------------
    def templates(self, merchant_id: int) -> dict[str, TemplateSetting]:
        rows = self.conn.execute(select(_nt).where(_nt.c.merchant_id == merchant_id))
        return {
            r.event: TemplateSetting(r.event, r.template_id, dict(r.fields or {}), r.updated_at)
            for r in rows
        }

    def template(self, merchant_id: int, event: str) -> TemplateSetting | None:
        r = _ONE_TEMPLATE.run(self.conn, {"merchant_id": merchant_id, "event": event}).first()
        return (
            TemplateSetting(r.event, r.template_id, dict(r.fields or {}), r.updated_at)
            if r
            else None
        )

    def put_template(
        self, merchant_id: int, event: str, template_id: str, fields: dict[str, str], now: datetime
    ) -> None:
        dialect = postgresql if self.conn.dialect.name == "postgresql" else sqlite
        values = {"template_id": template_id, "fields": fields, "updated_at": now}
        self.conn.execute(
            dialect.insert(_nt)
            .values(merchant_id=merchant_id, event=event, **values)
            .on_conflict_do_update(index_elements=[_nt.c.merchant_id, _nt.c.event], set_=values)
        )

    # ---- what a message says --------------------------------------------------------------------
    def to_tell(
        self,
        merchant_id: int,
        event: str,
        *,
        code_ids: list[int],
    ) -> list[tuple[CodeFacts, TemplateSetting | None]]:
        """The codes that have a buyer to tell, each with the merchant's template for `event`
        (None: not set). One statement on the hot paths (redeem, reverse, checkout): codes
        without a buyer's openid return nothing."""
        if not code_ids:
            return []
        query, params = _TO_TELL, {"merchant_id": merchant_id, "event": event, "ids": code_ids}
        found = []
        for r in self.conn.execute(query, params):
            template = None
            if r.tpl_id:
                template = TemplateSetting(event, str(r.tpl_id), dict(r.tpl_fields or {}), None)
            found.append((_facts(r), template))
        # Sorted here, not by the query: with ORDER BY id, SQLite walked the merchant's codes by
        # id instead of looking each value up in the unique index (a flash sale got slower
        # with every code sold).
        return sorted(found, key=lambda pair: pair[0].code_id)

    def facts_of_codes(self, merchant_id: int, codes: list[str]) -> list[CodeFacts]:
        if not codes:
            return []
        rows = self.conn.execute(
            _facts_query()
            .where(t.codes.c.merchant_id == merchant_id, t.codes.c.code.in_(codes))
            .order_by(t.codes.c.id)
        )
        return [_facts(r) for r in rows]

    def expiring(self, now: datetime, until: datetime, limit: int) -> list[CodeFacts]:
        """Unused codes with a buyer, ending between now and `until`, not yet reminded, of
        merchants that have a reminder template."""
        c = t.codes
        reminded = select(_n.c.id).where(_n.c.code_id == c.c.id, _n.c.event == "expiring").exists()
        wanted = (
            select(_nt.c.id)
            .where(
                _nt.c.merchant_id == c.c.merchant_id,
                _nt.c.event == "expiring",
                _nt.c.template_id != "",
            )
            .exists()
        )
        rows = self.conn.execute(
            _facts_query()
            .where(
                wanted,
                c.c.status == "issued",
                c.c.platform.in_(WECHAT_BUYERS),
                c.c.valid_until > now,
                c.c.valid_until <= until,
                t.code_orders.c.buyer_openid.is_not(None),
                ~reminded,
            )
            .order_by(c.c.id)
            .limit(limit)
        )
        return [_facts(r) for r in rows]

    def store_name(self, merchant_id: int, store_id: int | None) -> str:
        if store_id is None:
            return ""
        s = t.stores
        name = self.conn.execute(
            select(s.c.name).where(s.c.id == store_id, s.c.merchant_id == merchant_id)
        ).scalar()
        return str(name or "")

    def timezone(self, merchant_id: int) -> str:
        zone = self.conn.execute(
            select(t.merchants.c.timezone).where(t.merchants.c.id == merchant_id)
        ).scalar()
        return str(zone or "Asia/Shanghai")

    # ---- the messages ---------------------------------------------------------------------------
    def claim(self, wanted: Sequence[Claim], now: datetime) -> dict[str, int]:
        """New message rows in one statement: the id of each, by its dedupe key. A key that
        exists (claimed before, maybe by another process) is left out: the insert either wins
        or does nothing, no check-then-act."""
        rows = [
            {
                "merchant_id": c.merchant_id,
                "event": c.event,
                "dedupe_key": c.dedupe_key,
                "code_id": c.code_id,
                "code_masked": c.code_masked,
                "openid": c.openid,
                "status": "queued",
                "created_at": now,
                "updated_at": now,
            }
            for c in wanted
        ]
        if not rows:
            return {}
        params = rows[0] if len(rows) == 1 else rows
        result = self.conn.execute(_CLAIM[self.conn.dialect.name], params)
        return {str(r.dedupe_key): int(r.id) for r in result}

    def set_status(self, notification_id: int, status: str, detail: str, now: datetime) -> None:
        self.conn.execute(
            update(_n)
            .where(_n.c.id == notification_id)
            .values(status=status, detail=detail[:2000], updated_at=now)
        )

    def get(self, notification_id: int) -> NotificationRecord | None:
        r = self.conn.execute(select(_n).where(_n.c.id == notification_id)).first()
        return _record(r) if r else None

    def recent(self, merchant_id: int, status: str | None, limit: int) -> list[NotificationRecord]:
        where = [_n.c.merchant_id == merchant_id]
        if status:
            where.append(_n.c.status == status)
        rows = self.conn.execute(
            select(_n).where(and_(*where)).order_by(_n.c.id.desc()).limit(limit)
        )
        return [_record(r) for r in rows]


def _record(r: Any) -> NotificationRecord:
    return NotificationRecord(
        id=int(r.id),
        event=str(r.event),
        code_masked=str(r.code_masked),
        openid=str(r.openid),
        status=str(r.status),
        detail=r.detail,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )
