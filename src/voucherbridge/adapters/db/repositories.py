"""SQL repositories behind the unit-of-work ports. Every query is scoped by merchant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, insert, select, update
from sqlalchemy.engine import Connection

from voucherbridge.adapters.db import mapping
from voucherbridge.adapters.db import statements as st
from voucherbridge.adapters.db import tables as t
from voucherbridge.domain.orders import OrderLine
from voucherbridge.domain.records import (
    Code,
    CodeEvent,
    IdempotencyRecord,
    Item,
    Listing,
    Merchant,
    Order,
    Redemption,
    Store,
    TemplateRow,
    Tender,
    Terminal,
    User,
)
from voucherbridge.domain.vouchers import CodeStatus


class _Repo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _insert(self, table: Any, values: dict[str, Any]) -> int:
        result = self.conn.execute(st.insert_returning_id(table), values)
        return int(result.scalar_one())


class MerchantRepo(_Repo):
    def get(self, merchant_id: int) -> Merchant | None:
        row = self.conn.execute(select(t.merchants).where(t.merchants.c.id == merchant_id)).first()
        return mapping.merchant(row) if row else None

    def add(self, *, name: str, timezone: str, now: datetime) -> int:
        return self._insert(t.merchants, {"name": name, "timezone": timezone, "created_at": now})


class StoreRepo(_Repo):
    def get(self, merchant_id: int, store_id: int) -> Store | None:
        row = self.conn.execute(
            select(t.stores).where(t.stores.c.merchant_id == merchant_id, t.stores.c.id == store_id)
        ).first()
        return mapping.store(row) if row else None

    def list(self, merchant_id: int, only: frozenset[int] | None = None) -> list[Store]:
        query = select(t.stores).where(t.stores.c.merchant_id == merchant_id)
        if only is not None:
            query = query.where(t.stores.c.id.in_(sorted(only)))
        return [mapping.store(r) for r in self.conn.execute(query.order_by(t.stores.c.id))]

    def add(self, merchant_id: int, *, name: str, brand: str, address: str, now: datetime) -> int:
        return self._insert(
            t.stores,
            {
                "merchant_id": merchant_id,
                "name": name,
                "brand": brand,
                "address": address,
                "active": True,
                "created_at": now,
            },
        )

    def update(self, merchant_id: int, store_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.stores)
            .where(t.stores.c.merchant_id == merchant_id, t.stores.c.id == store_id)
            .values(**values)
        )


class ItemRepo(_Repo):
    def list(self, merchant_id: int) -> list[Item]:
        query = select(t.items).where(t.items.c.merchant_id == merchant_id).order_by(t.items.c.id)
        return [mapping.item(r) for r in self.conn.execute(query)]

    def get(self, merchant_id: int, item_code: str) -> Item | None:
        row = self.conn.execute(
            select(t.items).where(
                t.items.c.merchant_id == merchant_id, t.items.c.item_code == item_code
            )
        ).first()
        return mapping.item(row) if row else None

    def add(
        self,
        merchant_id: int,
        *,
        item_code: str,
        name: str,
        unit: str,
        unit_price_fen: int,
        now: datetime,
    ) -> int:
        return self._insert(
            t.items,
            {
                "merchant_id": merchant_id,
                "item_code": item_code,
                "name": name,
                "unit": unit,
                "unit_price_fen": unit_price_fen,
                "active": True,
                "created_at": now,
            },
        )

    def update(self, merchant_id: int, item_code: str, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.items)
            .where(t.items.c.merchant_id == merchant_id, t.items.c.item_code == item_code)
            .values(**values)
        )


class TerminalRepo(_Repo):
    def by_key_hash(self, key_hash: str) -> Terminal | None:
        row = self.conn.execute(st.TERMINAL_BY_KEY, {"key_hash": key_hash}).first()
        return mapping.terminal(row) if row else None

    def get(self, merchant_id: int, terminal_id: int) -> Terminal | None:
        row = self.conn.execute(
            select(t.terminals).where(
                t.terminals.c.merchant_id == merchant_id, t.terminals.c.id == terminal_id
            )
        ).first()
        return mapping.terminal(row) if row else None

    def list(self, merchant_id: int, only_stores: frozenset[int] | None = None) -> list[Terminal]:
        query = select(t.terminals).where(t.terminals.c.merchant_id == merchant_id)
        if only_stores is not None:
            query = query.where(t.terminals.c.store_id.in_(sorted(only_stores)))
        return [mapping.terminal(r) for r in self.conn.execute(query.order_by(t.terminals.c.id))]

    def add(
        self,
        merchant_id: int,
        *,
        store_id: int,
        name: str,
        key_prefix: str,
        key_hash: str,
        now: datetime,
    ) -> int:
        return self._insert(
            t.terminals,
            {
                "merchant_id": merchant_id,
                "store_id": store_id,
                "name": name,
                "key_prefix": key_prefix,
                "key_hash": key_hash,
                "created_at": now,
            },
        )

    def revoke(self, merchant_id: int, terminal_id: int, now: datetime) -> None:
        self.conn.execute(
            update(t.terminals)
            .where(
                t.terminals.c.merchant_id == merchant_id,
                t.terminals.c.id == terminal_id,
                t.terminals.c.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )


class UserRepo(_Repo):
    def by_username(self, username: str) -> User | None:
        row = self.conn.execute(select(t.users).where(t.users.c.username == username)).first()
        return mapping.user(row) if row else None

    def get(self, merchant_id: int, user_id: int) -> User | None:
        row = self.conn.execute(
            select(t.users).where(t.users.c.merchant_id == merchant_id, t.users.c.id == user_id)
        ).first()
        return mapping.user(row) if row else None

    def list(self, merchant_id: int) -> list[User]:
        query = select(t.users).where(t.users.c.merchant_id == merchant_id).order_by(t.users.c.id)
        return [mapping.user(r) for r in self.conn.execute(query)]

    def add(
        self,
        merchant_id: int,
        *,
        username: str,
        display_name: str,
        password_hash: str,
        role: str,
        store_ids: Sequence[int],
        now: datetime,
    ) -> int:
        return self._insert(
            t.users,
            {
                "merchant_id": merchant_id,
                "username": username,
                "display_name": display_name,
                "password_hash": password_hash,
                "role": role,
                "store_ids": list(store_ids),
                "active": True,
                "created_at": now,
            },
        )

    def update(self, merchant_id: int, user_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.users)
            .where(t.users.c.merchant_id == merchant_id, t.users.c.id == user_id)
            .values(**values)
        )

    def add_token(self, user_id: int, token_hash: str, now: datetime, expires_at: datetime) -> None:
        self._insert(
            t.admin_tokens,
            {
                "user_id": user_id,
                "token_hash": token_hash,
                "created_at": now,
                "expires_at": expires_at,
            },
        )

    def by_token(self, token_hash: str, now: datetime) -> User | None:
        row = self.conn.execute(
            select(t.users)
            .join(t.admin_tokens, t.admin_tokens.c.user_id == t.users.c.id)
            .where(
                t.admin_tokens.c.token_hash == token_hash,
                t.admin_tokens.c.expires_at > now,
                t.admin_tokens.c.revoked_at.is_(None),
                t.users.c.active.is_(True),
            )
        ).first()
        return mapping.user(row) if row else None

    def revoke_tokens(self, user_id: int, now: datetime) -> None:
        """End every open console session of the user (password changed, user deactivated)."""
        self.conn.execute(
            update(t.admin_tokens)
            .where(t.admin_tokens.c.user_id == user_id, t.admin_tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )


class TemplateRepo(_Repo):
    def get(self, merchant_id: int, template_id: int) -> TemplateRow | None:
        row = self.conn.execute(
            st.TEMPLATE, {"merchant_id": merchant_id, "template_id": template_id}
        ).first()
        return mapping.template(row) if row else None

    def list(self, merchant_id: int) -> list[TemplateRow]:
        query = (
            select(t.voucher_templates)
            .where(t.voucher_templates.c.merchant_id == merchant_id)
            .order_by(t.voucher_templates.c.id)
        )
        return [mapping.template(r) for r in self.conn.execute(query)]

    def add(self, merchant_id: int, values: dict[str, Any], now: datetime) -> int:
        return self._insert(
            t.voucher_templates,
            {**values, "merchant_id": merchant_id, "created_at": now, "updated_at": now},
        )

    def update(
        self, merchant_id: int, template_id: int, values: dict[str, Any], now: datetime
    ) -> None:
        self.conn.execute(
            update(t.voucher_templates)
            .where(
                t.voucher_templates.c.merchant_id == merchant_id,
                t.voucher_templates.c.id == template_id,
            )
            .values(**values, updated_at=now)
        )


class ListingRepo(_Repo):
    def get(self, merchant_id: int, listing_id: int) -> Listing | None:
        row = self.conn.execute(
            st.LISTING, {"merchant_id": merchant_id, "listing_id": listing_id}
        ).first()
        return mapping.listing(row) if row else None

    def by_public_id(self, public_id: str) -> Listing | None:
        row = self.conn.execute(
            select(t.listings).where(t.listings.c.public_id == public_id)
        ).first()
        return mapping.listing(row) if row else None

    def list(self, merchant_id: int) -> list[Listing]:
        query = (
            select(t.listings)
            .where(t.listings.c.merchant_id == merchant_id)
            .order_by(t.listings.c.id)
        )
        return [mapping.listing(r) for r in self.conn.execute(query)]

    def add(self, merchant_id: int, values: dict[str, Any], now: datetime) -> int:
        return self._insert(t.listings, {**values, "merchant_id": merchant_id, "created_at": now})

    def update(self, merchant_id: int, listing_id: int, values: dict[str, Any]) -> None:
        self.conn.execute(
            update(t.listings)
            .where(t.listings.c.merchant_id == merchant_id, t.listings.c.id == listing_id)
            .values(**values)
        )

    def has_codes(self, listing_id: int) -> bool:
        return bool(
            self.conn.execute(select(exists().where(t.codes.c.listing_id == listing_id))).scalar()
        )


class CodeRepo(_Repo):
    def find(self, merchant_id: int, code: str) -> Code | None:
        row = self.conn.execute(
            st.CODE_BY_VALUE, {"code": code, "merchant_id": merchant_id}
        ).first()
        return mapping.code(row) if row else None

    def get(self, merchant_id: int, code_id: int) -> Code | None:
        row = self.conn.execute(
            select(t.codes).where(t.codes.c.id == code_id, t.codes.c.merchant_id == merchant_id)
        ).first()
        return mapping.code(row) if row else None

    def exists(self, code: str) -> bool:
        return bool(self.conn.execute(select(exists().where(t.codes.c.code == code))).scalar())

    def find_order(self, merchant_id: int, platform: str, platform_order_id: str) -> int | None:
        value = self.conn.execute(
            select(t.code_orders.c.id).where(
                t.code_orders.c.merchant_id == merchant_id,
                t.code_orders.c.platform == platform,
                t.code_orders.c.platform_order_id == platform_order_id,
            )
        ).scalar()
        return int(value) if value is not None else None

    def add_order(
        self,
        merchant_id: int,
        *,
        listing_id: int,
        platform: str,
        platform_order_id: str,
        quantity: int,
        buyer_openid: str | None,
        now: datetime,
    ) -> int:
        return self._insert(
            t.code_orders,
            {
                "merchant_id": merchant_id,
                "listing_id": listing_id,
                "platform": platform,
                "platform_order_id": platform_order_id,
                "quantity": quantity,
                "buyer_openid": buyer_openid,
                "created_at": now,
            },
        )

    def add(
        self,
        merchant_id: int,
        *,
        code: str,
        listing_id: int,
        template_id: int,
        code_order_id: int,
        platform: str,
        valid_from: datetime,
        valid_until: datetime,
        now: datetime,
    ) -> int:
        return self._insert(
            t.codes,
            {
                "merchant_id": merchant_id,
                "code": code,
                "listing_id": listing_id,
                "template_id": template_id,
                "code_order_id": code_order_id,
                "platform": platform,
                "status": CodeStatus.ISSUED.value,
                "version": 1,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "issued_at": now,
            },
        )

    def of_order(self, code_order_id: int) -> list[Code]:
        query = (
            select(t.codes).where(t.codes.c.code_order_id == code_order_id).order_by(t.codes.c.id)
        )
        return [mapping.code(r) for r in self.conn.execute(query)]

    def compare_and_set(
        self, code_id: int, expected: CodeStatus, target: CodeStatus, now: datetime
    ) -> bool:
        """One statement decides who wins: 0 rows means someone else moved the code first."""
        statement = st.code_transition(expected.value, target.value)
        params: dict[str, Any] = {"b_code_id": code_id}
        if target in (CodeStatus.REDEEMED, CodeStatus.VOIDED):
            params["b_now"] = now
        return self.conn.execute(statement, params).rowcount == 1

    def add_event(self, merchant_id: int, code_id: int, event: CodeEvent) -> None:
        self._insert(
            t.code_events,
            {
                "merchant_id": merchant_id,
                "code_id": code_id,
                "event": event.event,
                "at": event.at,
                "store_id": event.store_id,
                "order_id": event.order_id,
                "redemption_id": event.redemption_id,
                "actor": event.actor,
                "detail": event.detail,
            },
        )

    def events(self, merchant_id: int, code_id: int) -> list[CodeEvent]:
        rows = self.conn.execute(
            select(t.code_events)
            .where(t.code_events.c.merchant_id == merchant_id, t.code_events.c.code_id == code_id)
            .order_by(t.code_events.c.id)
        )
        return [
            CodeEvent(r.event, r.at, r.store_id, r.order_id, r.redemption_id, r.actor, r.detail)
            for r in rows
        ]


class OrderRepo(_Repo):
    def add(
        self,
        merchant_id: int,
        *,
        store_id: int,
        terminal_id: int | None,
        table_no: str,
        guests: int,
        service_fee_fen: int,
        total_fen: int,
        lines: Sequence[OrderLine],
        now: datetime,
        order_no_prefix: str,
    ) -> int:
        order_id = self._insert(
            t.orders,
            {
                "merchant_id": merchant_id,
                "store_id": store_id,
                "terminal_id": terminal_id,
                "order_no": "",
                "table_no": table_no,
                "guests": guests,
                "service_fee_fen": service_fee_fen,
                "total_fen": total_fen,
                "status": "open",
                "version": 1,
                "opened_at": now,
            },
        )
        # 单号 like the seed's 20200525000: the local date, then the order id.
        self.conn.execute(
            update(t.orders)
            .where(t.orders.c.id == order_id)
            .values(order_no=f"{order_no_prefix}{order_id:06d}")
        )
        self.conn.execute(
            insert(t.order_lines),
            [
                {
                    "order_id": order_id,
                    "line_no": ln.line_no,
                    "item_code": ln.item_code,
                    "name": ln.name,
                    "unit": ln.unit,
                    "quantity": ln.quantity,
                    "unit_price_fen": ln.unit_price_fen,
                }
                for ln in lines
            ],
        )
        return order_id

    def get(self, merchant_id: int, order_id: int) -> Order | None:
        ids = {"merchant_id": merchant_id, "order_id": order_id}
        row = self.conn.execute(st.ORDER, ids).first()
        if row is None:
            return None
        lines = self.conn.execute(st.ORDER_LINES, {"order_id": order_id})
        return mapping.order(row, tuple(mapping.order_line(r) for r in lines))

    def close(
        self, merchant_id: int, order_id: int, *, now: datetime, cashier: str, change_fen: int
    ) -> bool:
        """open → closed in one statement; 0 rows means it was not open."""
        result = self.conn.execute(
            update(t.orders)
            .where(
                t.orders.c.merchant_id == merchant_id,
                t.orders.c.id == order_id,
                t.orders.c.status == "open",
            )
            .values(
                status="closed",
                closed_at=now,
                cashier=cashier,
                change_fen=change_fen,
                version=t.orders.c.version + 1,
            )
        )
        return result.rowcount == 1

    def reopen(self, merchant_id: int, order_id: int) -> bool:
        """closed → open (反结账); 0 rows means it was not closed."""
        result = self.conn.execute(
            update(t.orders)
            .where(
                t.orders.c.merchant_id == merchant_id,
                t.orders.c.id == order_id,
                t.orders.c.status == "closed",
            )
            .values(status="open", closed_at=None, change_fen=0, version=t.orders.c.version + 1)
        )
        return result.rowcount == 1

    def count_print(self, merchant_id: int, order_id: int) -> int:
        """Add one to the print counter and return it (第N次打印)."""
        self.conn.execute(
            update(t.orders)
            .where(t.orders.c.merchant_id == merchant_id, t.orders.c.id == order_id)
            .values(print_count=t.orders.c.print_count + 1)
        )
        value = self.conn.execute(
            select(t.orders.c.print_count).where(t.orders.c.id == order_id)
        ).scalar_one()
        return int(value)

    def add_tenders(self, order_id: int, tenders: Sequence[Tender], now: datetime) -> None:
        self.conn.execute(
            insert(t.tenders),
            [
                {
                    "order_id": order_id,
                    "seq": tender.seq,
                    "type": tender.type,
                    "amount_fen": tender.amount_fen,
                    "reference": tender.reference,
                    "member": tender.member,
                    "status": "active",
                    "created_at": now,
                }
                for tender in tenders
            ],
        )

    def tenders(self, order_id: int) -> list[Tender]:
        rows = self.conn.execute(
            select(t.tenders)
            .where(t.tenders.c.order_id == order_id, t.tenders.c.status == "active")
            .order_by(t.tenders.c.seq)
        )
        return [Tender(r.seq, r.type, r.amount_fen, r.reference, r.member) for r in rows]

    def void_tenders(self, order_id: int) -> None:
        self.conn.execute(
            update(t.tenders)
            .where(t.tenders.c.order_id == order_id, t.tenders.c.status == "active")
            .values(status="voided")
        )

    def lock_open(self, merchant_id: int, order_id: int) -> bool:
        """Bump the order's version: a row lock that serialises vouchers on one order."""
        result = self.conn.execute(
            st.LOCK_OPEN_ORDER, {"b_merchant_id": merchant_id, "b_order_id": order_id}
        )
        return result.rowcount == 1


class RedemptionRepo(_Repo):
    def add(self, values: dict[str, Any]) -> int:
        return self._insert(t.redemptions, values)

    def get(self, merchant_id: int, public_id: str) -> Redemption | None:
        row = self.conn.execute(
            select(t.redemptions).where(
                t.redemptions.c.merchant_id == merchant_id,
                t.redemptions.c.public_id == public_id,
            )
        ).first()
        return mapping.redemption(row) if row else None

    def by_id(self, redemption_id: int) -> Redemption | None:
        row = self.conn.execute(st.REDEMPTION_BY_ID, {"redemption_id": redemption_id}).first()
        return mapping.redemption(row) if row else None

    def active_for_order(self, order_id: int) -> list[Redemption]:
        rows = self.conn.execute(st.ACTIVE_REDEMPTIONS_OF_ORDER, {"order_id": order_id})
        return [mapping.redemption(r) for r in rows]

    def latest_for_code(self, code_id: int) -> Redemption | None:
        row = self.conn.execute(st.LATEST_REDEMPTION_OF_CODE, {"code_id": code_id}).first()
        return mapping.redemption(row) if row else None

    def mark_reversed(self, redemption_id: int, now: datetime, reason: str | None) -> bool:
        result = self.conn.execute(
            update(t.redemptions)
            .where(t.redemptions.c.id == redemption_id, t.redemptions.c.status == "active")
            .values(status="reversed", reversed_at=now, reverse_reason=reason)
        )
        return result.rowcount == 1


class IdempotencyRepo(_Repo):
    def get(self, terminal_id: int, key: str) -> IdempotencyRecord | None:
        row = self.conn.execute(st.IDEMPOTENCY, {"terminal_id": terminal_id, "key": key}).first()
        if row is None:
            return None
        return IdempotencyRecord(
            row.terminal_id, row.key, row.request_hash, row.redemption_id, row.response
        )

    def add(self, record: IdempotencyRecord, now: datetime) -> None:
        self._insert(
            t.idempotency_keys,
            {
                "terminal_id": record.terminal_id,
                "key": record.key,
                "request_hash": record.request_hash,
                "redemption_id": record.redemption_id,
                "response": record.response,
                "created_at": now,
            },
        )


class BindingRepo(_Repo):
    def is_bound(self, store_id: int, platform: str) -> bool:
        return bool(
            self.conn.execute(
                select(
                    exists().where(
                        t.bindings.c.store_id == store_id,
                        t.bindings.c.platform == platform,
                        t.bindings.c.status == "bound",
                    )
                )
            ).scalar()
        )


class AuditRepo(_Repo):
    def add(
        self,
        merchant_id: int | None,
        *,
        actor_type: str,
        actor_id: str,
        action: str,
        subject: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        self._insert(
            t.audit_log,
            {
                "merchant_id": merchant_id,
                "actor_type": actor_type,
                "actor_id": actor_id,
                "action": action,
                "subject": subject,
                "before": before,
                "after": after,
                "at": now,
            },
        )
