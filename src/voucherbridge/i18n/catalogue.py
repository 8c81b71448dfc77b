"""The error catalogue: one typed table of HTTP status and Chinese message per code.

Chinese wording follows the seeds where they have one (票券不存在, 订单中没有此券相关菜品,不能使用,
券码类型不可以更改 ...). Placeholders are filled from the error's details. The English is in the
product's one gettext catalogue (i18n/translations.py): `i18n/locale/en/LC_MESSAGES/errors.po`,
msgid the Chinese message here with its {placeholders}, msgstr the English; nouns used inside
messages ({what}, {platform}) have msgctxt "noun". A new code: its `ErrorSpec(status, zh)` here and
its msgid/msgstr there (tests/i18n checks both).

Long on purpose: one entry per error code, in the enum's order, is the table `voucherbridge
error-catalogue` prints; split, it would no longer read as the one catalogue it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from voucherbridge.domain.errors import ErrorCode
from voucherbridge.i18n.translations import to_english, to_english_in


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    status: int
    zh: str


C = ErrorCode
CATALOGUE: dict[ErrorCode, ErrorSpec] = {
    C.VOUCHER_NOT_FOUND: ErrorSpec(404, "票券不存在"),
    C.VOUCHER_ITEM_NOT_IN_ORDER: ErrorSpec(422, "订单中没有此券相关菜品,不能使用"),
    C.VOUCHER_STORE_NOT_APPLICABLE: ErrorSpec(
        422, "{store}不能使用该票券,票券【消费号{code}】不能使用!"
    ),
    C.VOUCHER_ALREADY_REDEEMED: ErrorSpec(409, "票券已使用 ({time}, {store})"),
    C.VOUCHER_EXPIRED: ErrorSpec(422, "票券已过期"),
    C.VOUCHER_NOT_YET_VALID: ErrorSpec(422, "票券未到使用时间"),
    C.VOUCHER_OUTSIDE_USAGE_HOURS: ErrorSpec(422, "票券仅限{windows}使用"),
    C.VOUCHER_VOIDED: ErrorSpec(409, "票券已退款作废"),
    C.VOUCHER_MIN_SPEND_NOT_MET: ErrorSpec(422, "订单金额未满{min}元,不能使用该票券"),
    C.VOUCHER_LIMIT_PER_ORDER: ErrorSpec(422, "该票券每单限用{n}张"),
    C.VOUCHER_NOT_STACKABLE: ErrorSpec(422, "该票券不能与其他票券同时使用"),
    C.VOUCHER_NOTHING_TO_DISCOUNT: ErrorSpec(422, "订单已无可抵扣金额,不能使用该票券"),
    C.REVERSAL_WINDOW_CLOSED: ErrorSpec(409, "核销已超过{minutes}分钟,不能反结账退券"),
    C.CODE_TYPE_IMMUTABLE: ErrorSpec(409, "券码类型不可以更改,请新建团购"),
    C.BINDING_MISSING: ErrorSpec(409, "门店未绑定{platform},请先在基础资料中绑定"),
    C.BINDING_EXPIRED: ErrorSpec(409, "{platform}授权已失效,请店长在基础资料中重新绑定"),
    C.BINDING_UNAUTHORIZED: ErrorSpec(
        409, "商家尚未在{platform}授权本应用,请在{platform}商家后台完成授权后重新绑定"
    ),
    C.BINDING_GROUPBUY_NOT_OPEN: ErrorSpec(
        409, "该抖音账号尚未开通团购功能,请先在抖音来客开通团购后再绑定"
    ),
    C.AUTHORIZATION_STATE_INVALID: ErrorSpec(
        422, "{platform}授权已过期或不是从本页发起的,请在平台绑定页重新发起授权"
    ),
    C.BINDING_REJECTED: ErrorSpec(422, "{platform}绑定失败:门店 id 或密钥错误"),
    C.PLATFORM_UNAVAILABLE: ErrorSpec(503, "{platform}暂时无法验券,请稍后重试"),
    # The platform's answer decides, inside our window too (Douyin has refused after 3 minutes).
    C.PLATFORM_REVERSAL_REFUSED: ErrorSpec(
        409, "{platform}拒绝撤销核销,不能反结账退券:{description}"
    ),
    C.PLATFORM_REFUSED: ErrorSpec(422, "{platform}拒绝了本次操作:{description}"),
    C.PLATFORM_REQUEST_INVALID: ErrorSpec(
        422, "{platform}不接受本次请求的参数({description}),请联系技术支持"
    ),
    C.PLATFORM_PRODUCT_NOT_LINKED: ErrorSpec(
        422, "{platform}商品【{product}】未关联票券模板,请先在基础资料中关联"
    ),
    C.INVALID_SIGNATURE: ErrorSpec(401, "签名错误"),
    C.IDEMPOTENCY_CONFLICT: ErrorSpec(409, "同一请求号的请求内容不一致"),
    C.IDEMPOTENCY_IN_PROGRESS: ErrorSpec(409, "同一请求正在处理中,请稍后重试"),
    C.ORDER_NOT_FOUND: ErrorSpec(404, "消费单不存在"),
    C.ORDER_CLOSED: ErrorSpec(409, "消费单已结账,不能再修改"),
    C.ORDER_NOT_CLOSED: ErrorSpec(409, "消费单尚未结账"),
    C.ORDER_TOTAL_BELOW_VOUCHERS: ErrorSpec(
        422, "修改后消费合计{total}元,低于本单已核销票券抵扣的{discount}元,请先撤销票券"
    ),
    C.ORDER_LINE_HAS_VOUCHER: ErrorSpec(
        422, "「{name}」已由票券抵扣,不能删除或减少,请先撤销该票券"
    ),
    C.CHECKOUT_SHORT: ErrorSpec(422, "支付金额不足,还差{short}元"),
    C.TENDER_EXCEEDS_DUE: ErrorSpec(422, "非现金支付合计不能超过应付金额{due}元"),
    C.REDEMPTION_NOT_FOUND: ErrorSpec(404, "核销记录不存在"),
    C.PRINTER_NOT_CONFIGURED: ErrorSpec(
        409, "未设置小票机:请在后台「收银终端」为本机填写小票打印机地址"
    ),
    C.PRINTER_UNREACHABLE: ErrorSpec(503, "小票机无法连接 ({printer}):请检查打印机电源和网线"),
    C.PRINTER_HOST_INVALID: ErrorSpec(
        422, "小票机地址有误:请填写打印机的主机名或 IPv4 地址,如 192.168.1.50"
    ),
    C.PRINTER_PORT_INVALID: ErrorSpec(422, "小票机端口须为 1-65535,一般为 9100"),
    C.PRINTER_WIDTH_INVALID: ErrorSpec(422, "纸宽只能是 58 或 80 毫米"),
    C.UNAUTHORIZED: ErrorSpec(401, "未登录或密钥无效"),
    C.STORE_DISABLED: ErrorSpec(
        403, "门店已停用,本店的收银终端不能核销,也不能登录收银;请联系总部重新启用门店"
    ),
    C.FORBIDDEN: ErrorSpec(403, "没有权限执行此操作"),
    C.NOT_FOUND: ErrorSpec(404, "{what}不存在"),
    C.VALIDATION_ERROR: ErrorSpec(422, "请求内容有误: {field}"),
    C.OPENING_HOURS_INVALID: ErrorSpec(
        422, "营业时间格式不对,请写成 10:00-14:00,17:00-22:00 这样的时段;过午夜写成 22:00-02:00"
    ),
    C.PASSWORD_WEAK: ErrorSpec(422, "密码太容易被猜到,请换一个更长、更少见的密码"),
    C.CONFLICT: ErrorSpec(409, "{what}已存在"),
    C.OUTBOX_NOT_DEAD: ErrorSpec(409, "只有投递失败的记录可以手动重试"),
    C.NOTIFICATION_VALUE_UNKNOWN: ErrorSpec(
        422, "模板字段{key}的取值「{value}」不存在,只能选: {known}"
    ),
    C.NOTIFICATION_TEMPLATE_INVALID: ErrorSpec(
        422,
        "消息模板设置有误({field}):模板ID只能含字母、数字、-和_;字段名如 thing1、amount2;"
        "有模板ID就至少要填一个字段",
    ),
    C.CONSUMER_SIGN_IN_INVALID: ErrorSpec(403, "登录链接已失效或来源不明,请重新打开页面"),
    C.WECHAT_AUTH_CODE_INVALID: ErrorSpec(400, "微信授权已使用或已过期,请重新打开页面"),
    C.WECHAT_UNAVAILABLE: ErrorSpec(503, "微信暂时无法连接,请稍后重试"),
    C.TABLE_NOT_FOUND: ErrorSpec(404, "桌码不存在或已停用,请联系服务员"),
    C.TABLE_NO_OPEN_BILL: ErrorSpec(404, "本桌暂无待支付账单,请联系服务员"),
    C.TABLE_RANGE_INVALID: ErrorSpec(
        422, "桌号有误({value}):请写成 A1-A12 或 A3,一次最多 200 张桌"
    ),
    C.PAYMENT_NOTHING_DUE: ErrorSpec(409, "本单已无需支付"),
    C.PAYMENT_NOT_CONFIGURED: ErrorSpec(503, "本店暂未开通微信支付,请到收银台买单"),
    C.WECHATPAY_UNAVAILABLE: ErrorSpec(503, "微信支付暂时不可用,请稍后重试或到收银台买单"),
    C.PAYMENT_UNKNOWN: ErrorSpec(404, "没有这笔支付订单"),
    C.PAYMENT_MISMATCH: ErrorSpec(422, "支付通知与订单不符({field}),未入账"),
    C.RATE_LIMITED: ErrorSpec(429, "尝试次数过多,请1分钟后再试"),
    C.SIGN_IN_LOCKED: ErrorSpec(429, "登录失败次数过多,请{minutes}分钟后再试"),
    C.PAYLOAD_TOO_LARGE: ErrorSpec(413, "请求内容过大"),
    C.SERVICE_UNAVAILABLE: ErrorSpec(503, "服务暂时不可用,请稍后重试"),
    C.INTERNAL_ERROR: ErrorSpec(500, "系统内部错误,请联系管理员"),
}

# Names of things as they appear inside messages ({what}, {platform}); English: msgctxt "noun".
NOUNS: dict[str, str] = {
    "merchant": "商户",
    "store": "门店",
    "item": "菜品",
    "terminal": "收银终端",
    "template": "券模板",
    "listing": "关联",
    "notification_event": "通知事件",
    "user": "用户",
    "code": "票券",
    "outbox": "投递记录",
    "binding": "该平台门店绑定",
    "weimall": "微商城",
    "douyin": "抖音",
    "meituan": "美团",
    "direct": "本店",
}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def render(code: ErrorCode, params: dict[str, Any], lang: str = "zh") -> str:
    """The message for `code` in `lang` ("zh" or "en"), placeholders filled from `params`."""
    english = lang == "en"
    values = _Blank()
    for key, value in params.items():
        noun = _noun(value, english) if isinstance(value, str) else None
        values[key] = value if noun is None else noun
    template = message_template(code, lang)
    return _UNKNOWN_ASIDE.sub(lambda m: _aside(m, values), template).format_map(values)


def message_template(code: ErrorCode, lang: str = "zh") -> str:
    """The message for `code` with its {placeholders} unfilled: Chinese, or its English msgstr."""
    spec = CATALOGUE[code]
    if lang != "en":
        return spec.zh
    return to_english(spec.zh)


def _noun(name: str, english: bool) -> str | None:
    zh = NOUNS.get(name)
    if zh is None or not english:
        return zh
    return to_english_in("noun", zh)


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
        "Generated by `voucherbridge error-catalogue`: the Chinese and the HTTP status from "
        "`src/voucherbridge/i18n/catalogue.py`, the English from the gettext catalogue "
        "`src/voucherbridge/i18n/locale/en/LC_MESSAGES/errors.po` (msgid: the Chinese message).",
        "",
        "| code | HTTP | 中文 message | English message |",
        "|---|---|---|---|",
    ]
    for code, spec in CATALOGUE.items():
        english = message_template(code, "en")
        rows.append(f"| `{code.value}` | {spec.status} | {spec.zh} | {english} |")
    return "\n".join(rows) + "\n"
