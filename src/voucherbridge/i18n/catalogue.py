"""The error catalogue: one typed table of HTTP status and zh-CN / en messages per code.

Chinese wording follows the seeds where they have one (票券不存在, 订单中没有此券相关菜品,不能使用,
券码类型不可以更改 ...). Placeholders are filled from the error's details.

Long on purpose: one entry per error code, in the enum's order, is the table `voucherbridge
error-catalogue` prints; split, it would no longer read as the one catalogue it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from voucherbridge.domain.errors import ErrorCode


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    status: int
    zh: str
    en: str


C = ErrorCode
CATALOGUE: dict[ErrorCode, ErrorSpec] = {
    C.VOUCHER_NOT_FOUND: ErrorSpec(404, "票券不存在", "Voucher not found"),
    C.VOUCHER_ITEM_NOT_IN_ORDER: ErrorSpec(
        422,
        "订单中没有此券相关菜品,不能使用",
        "The order has no item this voucher applies to",
    ),
    C.VOUCHER_STORE_NOT_APPLICABLE: ErrorSpec(
        422,
        "{store}不能使用该票券,票券【消费号{code}】不能使用!",
        "Voucher {code} cannot be used at {store}",
    ),
    C.VOUCHER_ALREADY_REDEEMED: ErrorSpec(
        409, "票券已使用 ({time}, {store})", "Voucher already used ({time}, {store})"
    ),
    C.VOUCHER_EXPIRED: ErrorSpec(422, "票券已过期", "Voucher has expired"),
    C.VOUCHER_NOT_YET_VALID: ErrorSpec(422, "票券未到使用时间", "Voucher is not valid yet"),
    C.VOUCHER_OUTSIDE_USAGE_HOURS: ErrorSpec(
        422, "票券仅限{windows}使用", "Voucher can only be used {windows}"
    ),
    C.VOUCHER_VOIDED: ErrorSpec(409, "票券已退款作废", "Voucher was refunded and voided"),
    C.VOUCHER_MIN_SPEND_NOT_MET: ErrorSpec(
        422,
        "订单金额未满{min}元,不能使用该票券",
        "Order total is below {min} yuan; this voucher cannot be used",
    ),
    C.VOUCHER_LIMIT_PER_ORDER: ErrorSpec(
        422, "该票券每单限用{n}张", "At most {n} of this voucher per order"
    ),
    C.VOUCHER_NOT_STACKABLE: ErrorSpec(
        422, "该票券不能与其他票券同时使用", "This voucher cannot be combined with other vouchers"
    ),
    C.VOUCHER_NOTHING_TO_DISCOUNT: ErrorSpec(
        422, "订单已无可抵扣金额,不能使用该票券", "Nothing left on the order for this voucher"
    ),
    C.REVERSAL_WINDOW_CLOSED: ErrorSpec(
        409,
        "核销已超过{minutes}分钟,不能反结账退券",
        "Redeemed more than {minutes} minutes ago; it can no longer be reversed",
    ),
    C.CODE_TYPE_IMMUTABLE: ErrorSpec(
        409,
        "券码类型不可以更改,请新建团购",
        "The code type cannot change once codes exist; create a new listing",
    ),
    C.BINDING_MISSING: ErrorSpec(
        409,
        "门店未绑定{platform},请先在基础资料中绑定",
        "This store is not bound to {platform}; bind it first",
    ),
    C.BINDING_EXPIRED: ErrorSpec(
        409,
        "{platform}授权已失效,请店长在基础资料中重新绑定",
        "The {platform} authorization has expired; a manager must bind the store again",
    ),
    C.BINDING_UNAUTHORIZED: ErrorSpec(
        409,
        "商家尚未在{platform}授权本应用,请在{platform}商家后台完成授权后重新绑定",
        "The merchant has not authorized this app on {platform}; authorize it, then bind again",
    ),
    C.BINDING_GROUPBUY_NOT_OPEN: ErrorSpec(
        409,
        "该抖音账号尚未开通团购功能,请先在抖音来客开通团购后再绑定",
        "This Douyin account has not opened group-buy yet; open group-buy in Douyin Laike "
        "first, then bind again",
    ),
    C.AUTHORIZATION_STATE_INVALID: ErrorSpec(
        422,
        "{platform}授权已过期或不是从本页发起的,请在平台绑定页重新发起授权",
        "This {platform} authorization expired or was not started here; start it again from "
        "the bindings page",
    ),
    C.BINDING_REJECTED: ErrorSpec(
        422,
        "{platform}绑定失败:门店 id 或密钥错误",
        "{platform} refused the binding: wrong store id or secret",
    ),
    C.PLATFORM_UNAVAILABLE: ErrorSpec(
        503,
        "{platform}暂时无法验券,请稍后重试",
        "{platform} cannot verify vouchers right now; please retry",
    ),
    # The platform's answer decides, inside our window too (Douyin has refused after 3 minutes).
    C.PLATFORM_REVERSAL_REFUSED: ErrorSpec(
        409,
        "{platform}拒绝撤销核销,不能反结账退券:{description}",
        "{platform} refused to undo the redemption; it cannot be reversed: {description}",
    ),
    C.PLATFORM_REFUSED: ErrorSpec(
        422, "{platform}拒绝了本次操作:{description}", "{platform} refused: {description}"
    ),
    C.PLATFORM_REQUEST_INVALID: ErrorSpec(
        422,
        "{platform}不接受本次请求的参数({description}),请联系技术支持",
        "{platform} rejected the request as invalid ({description}); please contact support",
    ),
    C.PLATFORM_PRODUCT_NOT_LINKED: ErrorSpec(
        422,
        "{platform}商品【{product}】未关联票券模板,请先在基础资料中关联",
        "{platform} product [{product}] is not linked to a voucher template; link it first",
    ),
    C.INVALID_SIGNATURE: ErrorSpec(401, "签名错误", "Invalid signature"),
    C.IDEMPOTENCY_CONFLICT: ErrorSpec(
        409,
        "同一请求号的请求内容不一致",
        "The same Idempotency-Key was used with a different request",
    ),
    C.IDEMPOTENCY_IN_PROGRESS: ErrorSpec(
        409, "同一请求正在处理中,请稍后重试", "The same request is still being processed"
    ),
    C.ORDER_NOT_FOUND: ErrorSpec(404, "消费单不存在", "Order not found"),
    C.ORDER_CLOSED: ErrorSpec(409, "消费单已结账,不能再修改", "The order is already closed"),
    C.ORDER_NOT_CLOSED: ErrorSpec(409, "消费单尚未结账", "The order is not closed yet"),
    C.ORDER_TOTAL_BELOW_VOUCHERS: ErrorSpec(
        422,
        "修改后消费合计{total}元,低于本单已核销票券抵扣的{discount}元,请先撤销票券",
        "The new total of {total} yuan is below the {discount} yuan the vouchers on the order "
        "already take; reverse a voucher first",
    ),
    C.ORDER_LINE_HAS_VOUCHER: ErrorSpec(
        422,
        "「{name}」已由票券抵扣,不能删除或减少,请先撤销该票券",
        "A voucher already covers {name}; reverse that voucher before removing or reducing it",
    ),
    C.CHECKOUT_SHORT: ErrorSpec(
        422, "支付金额不足,还差{short}元", "Tenders fall short of the amount due by {short} yuan"
    ),
    C.TENDER_EXCEEDS_DUE: ErrorSpec(
        422,
        "非现金支付合计不能超过应付金额{due}元",
        "Non-cash tenders cannot exceed the {due} yuan due",
    ),
    C.REDEMPTION_NOT_FOUND: ErrorSpec(404, "核销记录不存在", "Redemption not found"),
    C.PRINTER_NOT_CONFIGURED: ErrorSpec(
        409,
        "未设置小票机:请在后台「收银终端」为本机填写小票打印机地址",
        "No receipt printer is set for this terminal; set its address in the console (Terminals)",
    ),
    C.PRINTER_UNREACHABLE: ErrorSpec(
        503,
        "小票机无法连接 ({printer}):请检查打印机电源和网线",
        "Cannot reach the receipt printer ({printer}); check its power and network cable",
    ),
    C.PRINTER_HOST_INVALID: ErrorSpec(
        422,
        "小票机地址有误:请填写打印机的主机名或 IPv4 地址,如 192.168.1.50",
        "Invalid printer address: enter its host name or IPv4 address, e.g. 192.168.1.50",
    ),
    C.PRINTER_PORT_INVALID: ErrorSpec(
        422, "小票机端口须为 1-65535,一般为 9100", "Printer port must be 1-65535, usually 9100"
    ),
    C.PRINTER_WIDTH_INVALID: ErrorSpec(422, "纸宽只能是 58 或 80 毫米", "Paper width: 58 or 80 mm"),
    C.UNAUTHORIZED: ErrorSpec(401, "未登录或密钥无效", "Missing or invalid credentials"),
    C.STORE_DISABLED: ErrorSpec(
        403,
        "门店已停用,本店的收银终端不能核销,也不能登录收银;请联系总部重新启用门店",
        "This store is disabled: its terminals can neither redeem nor sign in; ask HQ to "
        "enable the store again",
    ),
    C.FORBIDDEN: ErrorSpec(403, "没有权限执行此操作", "You are not allowed to do this"),
    C.NOT_FOUND: ErrorSpec(404, "{what}不存在", "{what} not found"),
    C.VALIDATION_ERROR: ErrorSpec(422, "请求内容有误: {field}", "Invalid request: {field}"),
    C.OPENING_HOURS_INVALID: ErrorSpec(
        422,
        "营业时间格式不对,请写成 10:00-14:00,17:00-22:00 这样的时段;过午夜写成 22:00-02:00",
        "Opening hours must look like 10:00-14:00,17:00-22:00; past midnight write 22:00-02:00",
    ),
    C.PASSWORD_WEAK: ErrorSpec(
        422,
        "密码太容易被猜到,请换一个更长、更少见的密码",
        "This password is too easy to guess; choose a longer, less common one",
    ),
    C.CONFLICT: ErrorSpec(409, "{what}已存在", "{what} already exists"),
    C.OUTBOX_NOT_DEAD: ErrorSpec(
        409, "只有投递失败的记录可以手动重试", "Only dead outbox rows can be retried by hand"
    ),
    C.NOTIFICATION_VALUE_UNKNOWN: ErrorSpec(
        422,
        "模板字段{key}的取值「{value}」不存在,只能选: {known}",
        'Template field {key}: unknown value "{value}"; one of: {known}',
    ),
    C.NOTIFICATION_TEMPLATE_INVALID: ErrorSpec(
        422,
        "消息模板设置有误({field}):模板ID只能含字母、数字、-和_;字段名如 thing1、amount2;"
        "有模板ID就至少要填一个字段",
        "Template setting invalid ({field}): the id holds letters, digits, - and _; keys look "
        "like thing1, amount2; a template id needs at least one field",
    ),
    C.RATE_LIMITED: ErrorSpec(
        429, "尝试次数过多,请1分钟后再试", "Too many attempts; please try again in a minute"
    ),
    C.SIGN_IN_LOCKED: ErrorSpec(
        429,
        "登录失败次数过多,请{minutes}分钟后再试",
        "Too many failed sign-ins; please try again in {minutes} minutes",
    ),
    C.PAYLOAD_TOO_LARGE: ErrorSpec(413, "请求内容过大", "Request body too large"),
    C.SERVICE_UNAVAILABLE: ErrorSpec(
        503, "服务暂时不可用,请稍后重试", "Service temporarily unavailable; please retry"
    ),
    C.INTERNAL_ERROR: ErrorSpec(
        500, "系统内部错误,请联系管理员", "Internal error; please contact support"
    ),
}

# Names of things as they appear inside messages ({what}, {platform}).
NOUNS: dict[str, tuple[str, str]] = {
    "merchant": ("商户", "Merchant"),
    "store": ("门店", "Store"),
    "item": ("菜品", "Item"),
    "terminal": ("收银终端", "Terminal"),
    "template": ("券模板", "Template"),
    "listing": ("关联", "Listing"),
    "notification_event": ("通知事件", "Notification event"),
    "user": ("用户", "User"),
    "code": ("票券", "Voucher"),
    "outbox": ("投递记录", "Outbox row"),
    "binding": ("该平台门店绑定", "Binding of that platform store"),
    "weimall": ("微商城", "the micro-mall"),
    "douyin": ("抖音", "Douyin"),
    "meituan": ("美团", "Meituan"),
    "direct": ("本店", "this merchant"),
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(code: ErrorCode, params: dict[str, Any], lang: str = "zh") -> str:
    """The message for `code` in `lang` ("zh" or "en"), placeholders filled from `params`."""
    spec = CATALOGUE[code]
    english = lang == "en"
    values = _Blank()
    for key, value in params.items():
        noun = NOUNS.get(value) if isinstance(value, str) else None
        values[key] = (noun[1] if english else noun[0]) if noun else value
    template = spec.en if english else spec.zh
    return _UNKNOWN_ASIDE.sub(lambda m: _aside(m, values), template).format_map(values)


# A parenthesised aside made only of placeholders, e.g. "({time}, {store})".
_UNKNOWN_ASIDE = re.compile(r"\s*\((?:[^(){}]*\{\w+\})+[^(){}]*\)")


def _aside(match: re.Match[str], values: dict[str, Any]) -> str:
    """Drop the aside when every value in it is unknown: "票券已使用" beats "票券已使用 (, )"."""
    names = re.findall(r"\{(\w+)\}", match.group(0))
    return match.group(0) if any(str(values[n]) for n in names) else ""


def pick_language(accept_language: str | None) -> str:
    """`en` when the client prefers English over Chinese, else `zh` (the default).

    A weight of 0 means "not acceptable" (RFC 9110); malformed weights count as 0; a tie
    goes to Chinese.
    """
    if not accept_language:
        return "zh"
    weights = {"zh": Decimal(0), "en": Decimal(0)}
    for part in accept_language[:500].split(","):
        tag, _, q = part.strip().partition(";q=")
        lang = tag.strip().lower()[:2]
        if lang not in weights:
            continue
        try:
            weight = Decimal(q.strip()) if q else Decimal(1)
        except InvalidOperation:
            weight = Decimal(0)
        if not weight.is_finite() or not Decimal(0) <= weight <= Decimal(1):
            weight = Decimal(0)
        weights[lang] = max(weights[lang], weight)
    return "en" if weights["en"] > weights["zh"] else "zh"


def catalogue_markdown() -> str:
    """The catalogue in SPEC.md's table format: code, HTTP status, Chinese and English text."""
    rows = [
        "# Error catalogue",
        "",
        'Every error body is `{"error": {"code", "message", "details"}}`; Chinese '
        "by default, English with `Accept-Language: en`. "
        "Generated by `voucherbridge error-catalogue`.",
        "",
        "| code | HTTP | 中文 message | English message |",
        "|---|---|---|---|",
    ]
    for code, spec in CATALOGUE.items():
        rows.append(f"| `{code.value}` | {spec.status} | {spec.zh} | {spec.en} |")
    return "\n".join(rows) + "\n"
