"""Voucher templates (活动 / 券模板): the rules behind codes, managed from the console."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

from voucherbridge.audit.record import record_admin_change
from voucherbridge.catalogue.repository import TemplateRepo
from voucherbridge.catalogue.template_rules import ClockWindow, checked, clock_window
from voucherbridge.core.actor import Actor
from voucherbridge.core.commands import UNSET, Maybe, given
from voucherbridge.core.formatting import iso
from voucherbridge.db.uow import UnitOfWork
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.records import TemplateRow

UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, kw_only=True)
class TemplateSpec:
    """A new template: every rule of SPEC flow 2; what is left out takes the default shown."""

    kind: str
    name: str
    face_value_fen: int
    price_fen: int
    package_price_fen: int = 0
    item_codes: Sequence[str] = ()
    min_spend_fen: int = 0
    store_ids: Sequence[int] = ()  # empty: every store of the merchant
    validity_mode: str
    valid_from: str | None = None  # ISO dates, "2026-01-31"
    valid_to: str | None = None
    valid_days: int | None = None
    weekdays: Sequence[int] = ()  # Monday = 1; empty: every day
    time_windows: Sequence[ClockWindow] = ()  # empty: all day
    per_order_limit: int = 1
    stackable: bool = True
    active: bool = True


@dataclass(frozen=True, kw_only=True)
class TemplateChanges:
    """An edit of a template: a rule left UNSET keeps its value; None clears a nullable one."""

    kind: Maybe[str] = UNSET
    name: Maybe[str] = UNSET
    face_value_fen: Maybe[int] = UNSET
    price_fen: Maybe[int] = UNSET
    package_price_fen: Maybe[int] = UNSET
    item_codes: Maybe[Sequence[str]] = UNSET
    min_spend_fen: Maybe[int] = UNSET
    store_ids: Maybe[Sequence[int]] = UNSET
    validity_mode: Maybe[str] = UNSET
    valid_from: Maybe[str | None] = UNSET
    valid_to: Maybe[str | None] = UNSET
    valid_days: Maybe[int | None] = UNSET
    weekdays: Maybe[Sequence[int]] = UNSET
    time_windows: Maybe[Sequence[ClockWindow]] = UNSET
    per_order_limit: Maybe[int] = UNSET
    stackable: Maybe[bool] = UNSET
    active: Maybe[bool] = UNSET


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateView:
    """A template as the API and the console show it (and the audit row keeps)."""

    id: int
    kind: str
    name: str
    face_value_fen: int
    price_fen: int
    package_price_fen: int
    item_codes: list[str]
    min_spend_fen: int
    store_ids: list[int]
    validity_mode: str
    valid_from: str | None
    valid_to: str | None
    valid_days: int | None
    weekdays: list[int]
    time_windows: list[ClockWindow]
    per_order_limit: int
    stackable: bool
    active: bool
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, row: TemplateRow) -> TemplateView:
        t = row.template
        return cls(
            id=t.id,
            kind=t.kind.value,
            name=t.name,
            face_value_fen=t.face_value_fen,
            price_fen=t.price_fen,
            package_price_fen=row.package_price_fen,
            item_codes=list(t.item_codes),
            min_spend_fen=t.min_spend_fen,
            store_ids=sorted(t.store_ids),
            validity_mode=row.validity_mode.value,
            valid_from=row.valid_from.isoformat() if row.valid_from else None,
            valid_to=row.valid_to.isoformat() if row.valid_to else None,
            valid_days=row.valid_days,
            weekdays=sorted(t.usage.weekdays),
            time_windows=[clock_window(w) for w in t.usage.windows],
            per_order_limit=t.per_order_limit,
            stackable=t.stackable,
            active=row.active,
            created_at=iso(row.created_at, UTC_ZONE),
            updated_at=iso(row.updated_at, UTC_ZONE),
        )

    def spec(self) -> TemplateSpec:
        """The template's current rules, as a create command would state them."""
        return TemplateSpec(
            kind=self.kind,
            name=self.name,
            face_value_fen=self.face_value_fen,
            price_fen=self.price_fen,
            package_price_fen=self.package_price_fen,
            item_codes=self.item_codes,
            min_spend_fen=self.min_spend_fen,
            store_ids=self.store_ids,
            validity_mode=self.validity_mode,
            valid_from=self.valid_from,
            valid_to=self.valid_to,
            valid_days=self.valid_days,
            weekdays=self.weekdays,
            time_windows=self.time_windows,
            per_order_limit=self.per_order_limit,
            stackable=self.stackable,
            active=self.active,
        )


def create_template(
    uow: UnitOfWork, *, actor: Actor, spec: TemplateSpec, now: datetime
) -> TemplateView:
    """Create a template after checking every rule of SPEC flow 2."""
    actor.require_manager()
    with uow:
        clean = checked(uow, actor, spec)
        actor.require_change(frozenset(clean.store_ids))
        template_id = uow.repo(TemplateRepo).add(actor.merchant_id, asdict(clean), now)
        row = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
        assert row is not None
        view = TemplateView.of(row)
        record_admin_change(uow, actor, "template.create", template_id, None, asdict(view), now)
        uow.commit()
        return view


def update_template(
    uow: UnitOfWork, *, actor: Actor, template_id: int, changes: TemplateChanges, now: datetime
) -> TemplateView:
    """Change some rules; codes already issued keep their own validity dates."""
    actor.require_manager()
    with uow:
        row = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
        if row is None:
            raise DomainError(ErrorCode.NOT_FOUND, what="template")
        scope = row.template.store_ids
        # Before any rule is looked at; another store's template is refused like its till is.
        actor.require_change(scope)
        before = TemplateView.of(row)
        # Every rule is checked again as a whole: a change may break a rule it did not name.
        merged = replace(before.spec(), **given(changes))
        clean = checked(uow, actor, merged)
        actor.require_change(scope, frozenset(clean.store_ids))
        uow.repo(TemplateRepo).update(actor.merchant_id, template_id, asdict(clean), now)
        updated = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
        assert updated is not None
        view = TemplateView.of(updated)
        record_admin_change(
            uow, actor, "template.update", template_id, asdict(before), asdict(view), now
        )
        uow.commit()
        return view


def list_templates(uow: UnitOfWork, *, actor: Actor) -> list[TemplateView]:
    """Templates the actor may see: all for HQ, those usable in their stores for managers."""
    with uow:
        rows = uow.repo(TemplateRepo).list(actor.merchant_id)
        return [TemplateView.of(r) for r in rows if _visible(actor, r)]


def get_template(uow: UnitOfWork, *, actor: Actor, template_id: int) -> TemplateView:
    """One template: chain-wide ones and those of the user's own stores open on their own; one
    shared with another store shows in the list only. Reading never implies changing."""
    with uow:
        row = _get_visible(uow, actor, template_id)
        stores = row.template.store_ids
        if actor.store_ids is not None and stores and not stores <= actor.store_ids:
            raise DomainError(ErrorCode.FORBIDDEN)
        return TemplateView.of(row)


def _visible(actor: Actor, row: TemplateRow) -> bool:
    stores = row.template.store_ids
    return actor.store_ids is None or not stores or bool(stores & actor.store_ids)


def _get_visible(uow: UnitOfWork, actor: Actor, template_id: int) -> TemplateRow:
    row = uow.repo(TemplateRepo).get(actor.merchant_id, template_id)
    if row is None or not _visible(actor, row):
        raise DomainError(ErrorCode.NOT_FOUND, what="template")
    return row
