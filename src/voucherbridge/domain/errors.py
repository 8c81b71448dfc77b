"""Stable error codes and the domain exception that carries them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every expected failure has one of these; the wire code never changes."""

    VOUCHER_NOT_FOUND = "voucher_not_found"
    VOUCHER_ITEM_NOT_IN_ORDER = "voucher_item_not_in_order"
    VOUCHER_STORE_NOT_APPLICABLE = "voucher_store_not_applicable"
    VOUCHER_ALREADY_REDEEMED = "voucher_already_redeemed"
    VOUCHER_EXPIRED = "voucher_expired"
    VOUCHER_NOT_YET_VALID = "voucher_not_yet_valid"
    VOUCHER_OUTSIDE_USAGE_HOURS = "voucher_outside_usage_hours"
    VOUCHER_VOIDED = "voucher_voided"
    VOUCHER_MIN_SPEND_NOT_MET = "voucher_min_spend_not_met"
    VOUCHER_LIMIT_PER_ORDER = "voucher_limit_per_order"
    VOUCHER_NOT_STACKABLE = "voucher_not_stackable"
    VOUCHER_NOTHING_TO_DISCOUNT = "voucher_nothing_to_discount"
    REVERSAL_WINDOW_CLOSED = "reversal_window_closed"
    CODE_TYPE_IMMUTABLE = "code_type_immutable"
    BINDING_MISSING = "binding_missing"
    BINDING_REJECTED = "binding_rejected"
    BINDING_EXPIRED = "binding_expired"
    BINDING_UNAUTHORIZED = "binding_unauthorized"
    BINDING_GROUPBUY_NOT_OPEN = "binding_groupbuy_not_open"
    AUTHORIZATION_STATE_INVALID = "authorization_state_invalid"
    PLATFORM_UNAVAILABLE = "platform_unavailable"
    PLATFORM_REFUSED = "platform_refused"
    PLATFORM_REVERSAL_REFUSED = "platform_reversal_refused"
    PLATFORM_REQUEST_INVALID = "platform_request_invalid"
    PLATFORM_PRODUCT_NOT_LINKED = "platform_product_not_linked"
    INVALID_SIGNATURE = "invalid_signature"
    IDEMPOTENCY_CONFLICT = "idempotency_conflict"
    IDEMPOTENCY_IN_PROGRESS = "idempotency_in_progress"
    ORDER_NOT_FOUND = "order_not_found"
    ORDER_CLOSED = "order_closed"
    ORDER_NOT_CLOSED = "order_not_closed"
    ORDER_TOTAL_BELOW_VOUCHERS = "order_total_below_vouchers"
    ORDER_LINE_HAS_VOUCHER = "order_line_has_voucher"
    CHECKOUT_SHORT = "checkout_short"
    TENDER_EXCEEDS_DUE = "tender_exceeds_due"
    REDEMPTION_NOT_FOUND = "redemption_not_found"
    PRINTER_NOT_CONFIGURED = "printer_not_configured"
    PRINTER_UNREACHABLE = "printer_unreachable"
    PRINTER_HOST_INVALID = "printer_host_invalid"
    PRINTER_PORT_INVALID = "printer_port_invalid"
    PRINTER_WIDTH_INVALID = "printer_width_invalid"
    UNAUTHORIZED = "unauthorized"
    STORE_DISABLED = "store_disabled"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    VALIDATION_ERROR = "validation_error"
    OPENING_HOURS_INVALID = "opening_hours_invalid"
    PASSWORD_WEAK = "password_weak"
    CONFLICT = "conflict"
    OUTBOX_NOT_DEAD = "outbox_not_dead"
    NOTIFICATION_VALUE_UNKNOWN = "notification_value_unknown"
    NOTIFICATION_TEMPLATE_INVALID = "notification_template_invalid"
    CONSUMER_SIGN_IN_INVALID = "consumer_sign_in_invalid"
    WECHAT_AUTH_CODE_INVALID = "wechat_auth_code_invalid"
    WECHAT_UNAVAILABLE = "wechat_unavailable"
    TABLE_NOT_FOUND = "table_not_found"
    TABLE_NO_OPEN_BILL = "table_no_open_bill"
    TABLE_RANGE_INVALID = "table_range_invalid"
    PAYMENT_NOTHING_DUE = "payment_nothing_due"
    PAYMENT_NOT_CONFIGURED = "payment_not_configured"
    WECHATPAY_UNAVAILABLE = "wechatpay_unavailable"
    PAYMENT_UNKNOWN = "payment_unknown"
    PAYMENT_MISMATCH = "payment_mismatch"
    RATE_LIMITED = "rate_limited"
    SIGN_IN_LOCKED = "sign_in_locked"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    SERVICE_UNAVAILABLE = "service_unavailable"
    INTERNAL_ERROR = "internal_error"


class DomainError(Exception):
    """A business rule said no; `params` fill the localized message and go out as details."""

    def __init__(self, code: ErrorCode, /, **params: Any) -> None:
        super().__init__(f"{code}: {params}" if params else str(code))
        self.code = code
        self.params: dict[str, Any] = params
