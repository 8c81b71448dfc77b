"""The schema. Every business table carries merchant_id: tenancy is enforced in queries.

Long on purpose: the whole schema in one file is the database's table of contents, what
Alembic compares migrations against, and what the repositories of every feature share.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
    true,
)

from voucherbridge.db.types import BigId, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


def _id() -> Column[int]:
    return Column("id", BigId, primary_key=True, autoincrement=True)


def _merchant() -> Column[int]:
    return Column("merchant_id", BigId, ForeignKey("merchants.id"), nullable=False, index=True)


merchants = Table(
    "merchants",
    metadata,
    _id(),
    Column("name", String(100), nullable=False),
    Column("timezone", String(64), nullable=False, default="Asia/Shanghai"),
    Column("created_at", UTCDateTime, nullable=False),
    # A deactivated merchant's tills and console sessions are refused at their next request.
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
)

stores = Table(
    "stores",
    metadata,
    _id(),
    _merchant(),
    Column("name", String(100), nullable=False),
    Column("brand", String(100), nullable=False, default=""),
    Column("address", String(200), nullable=False, default=""),
    Column("receipt_title", String(100)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    # "10:00-22:00" or "10:00-14:00,17:00-02:00" in the merchant's zone; empty: never alert.
    Column("opening_hours", String(100), server_default="10:00-22:00"),
    UniqueConstraint("merchant_id", "name", name="uq_stores_merchant_name"),
)

items = Table(
    "items",
    metadata,
    _id(),
    _merchant(),
    Column("item_code", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("unit", String(16), nullable=False, default="份"),
    Column("unit_price_fen", BigId, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "item_code", name="uq_items_merchant_code"),
    CheckConstraint("unit_price_fen >= 0", name="price_not_negative"),
)

terminals = Table(
    "terminals",
    metadata,
    _id(),
    _merchant(),
    Column("store_id", BigId, ForeignKey("stores.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("key_prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    # A cashier's web terminal (the cashier page's session): refused once its user is not
    # active; signing out, a password reset or deactivation revoke it. NULL: a till's own key.
    Column("user_id", BigId, ForeignKey("users.id"), index=True),
    # The till's network receipt printer (migration 0014): NULL host means none is set.
    Column("printer_host", String(253)),
    Column("printer_port", Integer),
    Column("printer_width_mm", Integer),
)

users = Table(
    "users",
    metadata,
    _id(),
    _merchant(),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False, default=""),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(20), nullable=False),
    Column("store_ids", JSON, nullable=False, default=list),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("role in ('hq_admin', 'store_manager', 'cashier')", name="role_known"),
)

admin_tokens = Table(
    "admin_tokens",
    metadata,
    _id(),
    Column("user_id", BigId, ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)

voucher_templates = Table(
    "voucher_templates",
    metadata,
    _id(),
    _merchant(),
    Column("kind", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("face_value_fen", BigId, nullable=False),
    Column("price_fen", BigId, nullable=False),
    Column("package_price_fen", BigId, nullable=False, default=0),
    Column("item_codes", JSON, nullable=False, default=list),
    Column("min_spend_fen", BigId, nullable=False, default=0),
    Column("store_ids", JSON, nullable=False, default=list),
    Column("validity_mode", String(16), nullable=False),
    Column("valid_from", Date),
    Column("valid_to", Date),
    Column("valid_days", Integer),
    Column("weekdays", JSON, nullable=False, default=list),
    Column("time_windows", JSON, nullable=False, default=list),
    Column("per_order_limit", Integer, nullable=False, default=1),
    Column("stackable", Boolean, nullable=False, default=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("kind in ('cash', 'item', 'deduction', 'combo')", name="kind_known"),
    CheckConstraint("face_value_fen >= 0 and price_fen >= 0", name="money_not_negative"),
    CheckConstraint("per_order_limit >= 1", name="limit_positive"),
)

listings = Table(
    "listings",
    metadata,
    _id(),
    _merchant(),
    Column("public_id", String(32), nullable=False, unique=True),
    Column("template_id", BigId, ForeignKey("voucher_templates.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("code_type", String(16), nullable=False),
    Column("title", String(100), nullable=False),
    Column("platform_product_id", String(64)),
    Column("reversal_window_minutes", Integer),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("code_type in ('merchant', 'platform')", name="code_type_known"),
)

code_orders = Table(
    "code_orders",
    metadata,
    _id(),
    _merchant(),
    Column("listing_id", BigId, ForeignKey("listings.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("platform_order_id", String(64), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("buyer_openid", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint(
        "merchant_id", "platform", "platform_order_id", name="uq_code_orders_platform_order"
    ),
    # 我的优惠 (migration 0018): a consumer's codes by their openid
    Index("ix_code_orders_merchant_buyer", "merchant_id", "buyer_openid"),
)

codes = Table(
    "codes",
    metadata,
    _id(),
    _merchant(),
    Column("code", String(64), nullable=False, unique=True),
    Column("listing_id", BigId, ForeignKey("listings.id"), nullable=False, index=True),
    Column("template_id", BigId, ForeignKey("voucher_templates.id"), nullable=False),
    Column("code_order_id", BigId, ForeignKey("code_orders.id"), nullable=False, index=True),
    Column("platform", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("valid_from", UTCDateTime, nullable=False),
    Column("valid_until", UTCDateTime, nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("redeemed_at", UTCDateTime),
    Column("voided_at", UTCDateTime),
    CheckConstraint("status in ('issued', 'redeemed', 'voided', 'expired')", name="status_known"),
    # reports/ (migration 0010): the archive's keyset walk, sales by sale time, status filter
    Index("ix_codes_merchant_id_desc", "merchant_id", "id"),
    Index("ix_codes_merchant_issued_at", "merchant_id", "issued_at"),
    Index("ix_codes_merchant_status_id", "merchant_id", "status", "id"),
)

orders = Table(
    "orders",
    metadata,
    _id(),
    _merchant(),
    Column("store_id", BigId, ForeignKey("stores.id"), nullable=False, index=True),
    Column("terminal_id", BigId, ForeignKey("terminals.id")),
    Column("order_no", String(32), nullable=False),
    Column("table_no", String(32), nullable=False, default=""),
    Column("guests", Integer, nullable=False, default=0),
    Column("service_fee_fen", BigId, nullable=False, default=0),
    Column("total_fen", BigId, nullable=False),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Column("cashier", String(64), nullable=False, server_default=""),
    Column("change_fen", BigId, nullable=False, server_default="0"),
    Column("print_count", Integer, nullable=False, server_default="0"),
    CheckConstraint("total_fen >= 0", name="total_not_negative"),
    # reports/ (migration 0010): the orders list's keyset walk and its date filter
    Index("ix_orders_merchant_id_desc", "merchant_id", "id"),
    Index("ix_orders_merchant_opened_at", "merchant_id", "opened_at"),
    # counter/ (migration 0017): a store's open bills (挂单), oldest first
    Index("ix_orders_store_status_opened_at", "store_id", "status", "opened_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    _id(),
    Column("order_id", BigId, ForeignKey("orders.id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("item_code", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("unit", String(16), nullable=False, default="份"),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_fen", BigId, nullable=False),
    UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_line"),
)

tenders = Table(
    "tenders",
    metadata,
    _id(),
    Column("order_id", BigId, ForeignKey("orders.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("type", String(16), nullable=False),
    Column("amount_fen", BigId, nullable=False),
    Column("reference", String(64)),
    Column("member", JSON),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
    CheckConstraint("type in ('cash', 'member_card', 'wechat', 'alipay')", name="type_known"),
)

redemptions = Table(
    "redemptions",
    metadata,
    _id(),
    _merchant(),
    Column("public_id", String(40), nullable=False, unique=True),
    Column("store_id", BigId, ForeignKey("stores.id"), nullable=False),
    Column("terminal_id", BigId, ForeignKey("terminals.id")),
    Column("order_id", BigId, ForeignKey("orders.id"), nullable=False, index=True),
    Column("code_id", BigId, ForeignKey("codes.id"), nullable=False, index=True),
    Column("code", String(64), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("template_id", BigId, ForeignKey("voucher_templates.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("stackable", Boolean, nullable=False),
    Column("discount_fen", BigId, nullable=False),
    Column("allocations", JSON, nullable=False, default=dict),
    Column("status", String(16), nullable=False),
    Column("redeemed_at", UTCDateTime, nullable=False),
    Column("reversible_until", UTCDateTime, nullable=False),
    Column("reversed_at", UTCDateTime),
    Column("reverse_reason", String(200)),
    Column("platform_ref", JSON),
    CheckConstraint("discount_fen > 0", name="discount_positive"),
    CheckConstraint("status in ('active', 'reversed')", name="status_known"),
    Index("ix_redemptions_merchant_redeemed_at", "merchant_id", "redeemed_at"),
    # reports/ (migration 0010): reversals by time, a manager's stores, the list's keyset walk
    Index("ix_redemptions_merchant_reversed_at", "merchant_id", "reversed_at"),
    Index("ix_redemptions_store_redeemed_at", "store_id", "redeemed_at"),
    Index("ix_redemptions_merchant_id_desc", "merchant_id", "id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    _id(),
    Column("terminal_id", BigId, ForeignKey("terminals.id"), nullable=False),
    Column("key", String(128), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("redemption_id", BigId, ForeignKey("redemptions.id"), nullable=False),
    Column("response", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("terminal_id", "key", name="uq_idempotency_keys_terminal_key"),
)

OUTBOX_UNDELIVERED = "status IN ('pending', 'inflight')"

outbox = Table(
    "outbox",
    metadata,
    _id(),
    _merchant(),
    Column("topic", String(64), nullable=False),
    Column("destination", String(32), nullable=False),
    Column("dedupe_key", String(128), nullable=False, unique=True),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    Column("locked_until", UTCDateTime),
    # Rows of one key are delivered in id order (outbox/ordering.py): "{destination}:{code}".
    Column("order_key", String(100)),
    Index("ix_outbox_status_next", "status", "next_attempt_at"),
    Index("ix_outbox_order_key_id", "order_key", "id"),
    # The workers' claim walks the rows still to deliver, the longest due first; without it a
    # claim read the whole delivered history, or every row waiting on a retry (migration 0021).
    Index(
        "ix_outbox_undelivered_due",
        "next_attempt_at",
        "id",
        postgresql_where=text(OUTBOX_UNDELIVERED),
        sqlite_where=text(OUTBOX_UNDELIVERED),
    ),
)

code_events = Table(
    "code_events",
    metadata,
    _id(),
    _merchant(),
    Column("code_id", BigId, ForeignKey("codes.id"), nullable=False, index=True),
    Column("event", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("store_id", BigId),
    Column("order_id", BigId),
    Column("redemption_id", BigId),
    Column("actor", String(100), nullable=False, default=""),
    Column("detail", JSON, nullable=False, default=dict),
)

bindings = Table(
    "bindings",
    metadata,
    _id(),
    _merchant(),
    Column("store_id", BigId, ForeignKey("stores.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("platform_store_id", String(64), nullable=False),
    Column("secret_encrypted", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False),
    Column("last_error", Text),
    Column("bound_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    # Douyin: the 抖音来客 account that authorized our app ("" when Douyin resolves it)
    Column("account_id", String(64)),
    UniqueConstraint("store_id", "platform", name="uq_bindings_store_platform"),
    Index("ix_bindings_platform_store", "platform", "platform_store_id"),
)

# An app's access token shared by every process (Douyin keeps only its latest two alive).
platform_tokens = Table(
    "platform_tokens",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("app_key", String(128), primary_key=True),
    Column("token_sealed", Text, nullable=False),
    Column("renew_at", UTCDateTime, nullable=False),
    Column("fetched_at", UTCDateTime, nullable=False),
)

# Consumer notifications (migration 0016, notifications/): each merchant's WeChat template per
# event (template key -> value name), and one row per message queued for a consumer.
notification_templates = Table(
    "notification_templates",
    metadata,
    _id(),
    _merchant(),
    Column("event", String(16), nullable=False),
    Column("template_id", String(128), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("merchant_id", "event", name="uq_notification_templates_event"),
)

notifications = Table(
    "notifications",
    metadata,
    _id(),
    _merchant(),
    Column("event", String(16), nullable=False),
    # one message per event of a code (expiring: once per code, whichever process claims it)
    Column("dedupe_key", String(160), nullable=False, unique=True),
    Column("code_id", BigId, ForeignKey("codes.id")),
    Column("code_masked", String(64), nullable=False),
    Column("openid", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("detail", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_notifications_merchant_id_desc", "merchant_id", "id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    Column("merchant_id", BigId, index=True),
    Column("actor_type", String(16), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Column("at", UTCDateTime, nullable=False),
    # The hash chain (domain/audit_chain.py): one chain per merchant, position `seq`.
    Column("store_id", BigId, index=True),
    Column("seq", BigId, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False),
    # The chain's lane: a merchant's chain is a few independent hash chains (lanes), so that
    # concurrent writers take a free lane instead of queueing on one head row.
    Column("lane", Integer, nullable=False, server_default="0"),
)

# One row per audit chain lane (merchant id, 0 for rows of no merchant; lane): an append locks
# one lane's row, so that writers of one lane queue instead of forking it; it remembers the tail.
audit_chain_heads = Table(
    "audit_chain_heads",
    metadata,
    Column("chain_id", BigId, primary_key=True, autoincrement=False),
    Column("lane", Integer, primary_key=True, autoincrement=False, server_default="0"),
    Column("last_seq", BigId, nullable=False),
    Column("last_hash", String(64), nullable=False),
)

# Unknown codes scanned at a till (code guessing), counted per store and terminal per minute.
code_attempts = Table(
    "code_attempts",
    metadata,
    _id(),
    Column("merchant_id", BigId, nullable=False),
    Column("store_id", BigId, nullable=False),
    Column("terminal_id", BigId, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_code_attempts_store_at", "store_id", "at"),
)

# Failed sign-ins per account, counted to lock out password guessing across processes. The
# account is a hash of the name typed, never the name: people type passwords into that box.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    _id(),
    Column("account_hash", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_sign_in_failures_account_at", "account_hash", "at"),
)

# Platform messages acted on, with the answer given: a resend or a replay (same message id, or
# the same order and action under a new id) is answered from here, never acted on twice.
inbound_messages = Table(
    "inbound_messages",
    metadata,
    _id(),
    Column("platform", String(16), nullable=False),
    Column("action_key", String(200), nullable=False),
    Column("message_id", String(128), nullable=True),
    Column("answer", JSON, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    UniqueConstraint("platform", "action_key", name="uq_inbound_messages_platform_action_key"),
    UniqueConstraint("platform", "message_id", name="uq_inbound_messages_platform_message_id"),
)

# A reconciliation (对账) of one store, platform and day: our redemptions against the platform's
# statement (fetched from its API or uploaded as CSV), kept whole with its lines.
reconciliation_runs = Table(
    "reconciliation_runs",
    metadata,
    _id(),
    _merchant(),
    Column("store_id", BigId, ForeignKey("stores.id"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("day", Date, nullable=False),
    Column("source", String(8), nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("started_by", String(64), nullable=False, default=""),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False),
    Column("ours_fen", BigId, nullable=False),
    Column("theirs_fen", BigId, nullable=False),
    Column("difference_fen", BigId, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("theirs_only", Integer, nullable=False),
    Column("ours_only", Integer, nullable=False),
    Column("amount_differs", Integer, nullable=False),
    Column("status_differs", Integer, nullable=False),
    CheckConstraint("source in ('api', 'csv')", name="source_known"),
    Index("ix_reconciliation_runs_merchant_day", "merchant_id", "day"),
)

reconciliation_lines = Table(
    "reconciliation_lines",
    metadata,
    _id(),
    Column("run_id", BigId, ForeignKey("reconciliation_runs.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("code", String(64), nullable=False),
    Column("ours_fen", BigId),
    Column("theirs_fen", BigId),
    Column("ours_status", String(16)),
    Column("theirs_status", String(16)),
    Column("ours_at", UTCDateTime),
    Column("theirs_at", UTCDateTime),
    Column("redemption_id", String(40)),
    Column("platform_ref", String(200)),
)

# The nightly reconciliation of a merchant's local day, claimed by the first worker process to
# get there (the unique key), so no two processes run the same day.
reconciliation_nightly = Table(
    "reconciliation_nightly",
    metadata,
    _id(),
    _merchant(),
    Column("day", Date, nullable=False),
    Column("claimed_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("detail", JSON, nullable=False, default=dict),
    UniqueConstraint("merchant_id", "day", name="uq_reconciliation_nightly_merchant_day"),
)

# Table-QR self-pay (migration 0019): a store's tables and the token their printed QR carries.
store_tables = Table(
    "store_tables",
    metadata,
    _id(),
    _merchant(),
    Column("store_id", BigId, ForeignKey("stores.id"), nullable=False),
    Column("table_no", String(32), nullable=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("store_id", "table_no", name="uq_store_tables_store_table"),
)

# One WeChat Pay JSAPI order per attempt to pay a bill's due from the phone (migration 0019).
online_payments = Table(
    "online_payments",
    metadata,
    _id(),
    _merchant(),
    Column("store_id", BigId, ForeignKey("stores.id"), nullable=False),
    Column("order_id", BigId, ForeignKey("orders.id"), nullable=False, index=True),
    Column("table_no", String(32), nullable=False),
    Column("out_trade_no", String(32), nullable=False, unique=True),
    Column("amount_fen", BigId, nullable=False),
    Column("openid", String(128), nullable=False),
    Column("prepay_id", String(64)),
    Column("status", String(16), nullable=False),
    Column("transaction_id", String(64), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("paid_at", UTCDateTime),
    CheckConstraint("amount_fen > 0", name="amount_positive"),
    CheckConstraint("status in ('created', 'paid', 'refund_due')", name="status_known"),
    Index("ix_online_payments_store_status", "store_id", "status", "id"),
)
