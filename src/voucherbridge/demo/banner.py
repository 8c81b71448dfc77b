"""What `voucherbridge demo` and `seed-demo` print for a person: where to go, what to type,
which codes to scan and on which bill each one fits. Plain text, Chinese first."""

from __future__ import annotations

import json
from typing import Any

KINDS = {"cash": "代金券", "item": "实物券", "deduction": "抵扣券", "combo": "套餐券"}
PLATFORMS = {"weimall": "微商城", "douyin": "抖音", "meituan": "美团"}


def _needs(order: dict[str, Any]) -> str:
    return "、".join(f"{line['name']}×{line['quantity']}" for line in order["lines"])


def _code_lines(data: dict[str, Any]) -> list[str]:
    orders: dict[str, dict[str, Any]] = data.get("sample_orders") or {}
    lines: list[str] = []
    for kind, codes in (data.get("codes") or {}).items():
        for code in codes[:4]:
            bill = f"  (示例消费单 bill: {_needs(orders[code])})" if code in orders else ""
            lines.append(f"    {KINDS.get(kind, kind)} {kind:<9} {code}{bill}")
    for platform, codes in (data.get("platform_codes") or {}).items():
        for code in codes:
            bill = f"  (示例消费单 bill: {_needs(orders[code])})" if code in orders else ""
            lines.append(f"    {PLATFORMS.get(platform, platform)}券 {platform:<7} {code}{bill}")
    return lines


def curl_order(base: str, key: str, order: dict[str, Any]) -> str:
    body = json.dumps(order, ensure_ascii=False, separators=(",", ":"))
    return (
        f"    curl -s -X POST {base}/api/v1/orders -H 'Authorization: Bearer {key}'"
        f" -H 'Content-Type: application/json' -d '{body}'"
    )


def banner(data: dict[str, Any]) -> str:
    """The demo's instructions; `data` is the seed-demo JSON object."""
    base, key = data["base_url"], data["terminal_key"]
    console, manager = data["console"], data["store_manager"]
    lines = [
        "",
        "VoucherBridge 演示已就绪 / the demo is ready",
        f"  服务地址 URL:        {base}/   (开始页 start page)",
        f"  商户后台 console:     {base}/console   "
        f"用户 {console['user']} / 密码 {console['password']}"
        f"   (店长 store manager: {manager['user']} / {manager['password']})",
        f"  收银页面 cashier:     {base}/cashier   (用收银终端密钥登录 / sign in with the key)",
        f"  收银终端密钥 (皇岗店): {key}",
    ]
    if data.get("my_vouchers"):
        lines.append(
            f"  我的优惠 my vouchers: {data['my_vouchers']}   (手机页面;在微信模拟器选「演示顾客」"
            "登录 / phone page: sign in as 演示顾客 on the WeChat simulator)"
        )
    lines += [
        f"  API 文档 docs:        {base}/docs   "
        f"管理接口登录 admin sign-in: POST {base}/api/admin/v1/login",
    ]
    if data.get("keys_replaced"):
        lines.append(
            "  (之前打印的演示收银终端密钥已作废 / earlier demo terminal keys were replaced)"
        )
    code_lines = _code_lines(data)
    if code_lines:
        lines += ["  未使用券码 unused codes (已在平台模拟器购买 / bought on the simulators):"]
        lines += code_lines
    for note in data.get("notes") or []:
        lines.append(f"  注意 note: {note}")
    sample = next(iter((data.get("codes") or {}).get("cash") or []), None)
    orders = data.get("sample_orders") or {}
    if sample and sample in orders:
        lines += [
            "  试一试 try it:",
            curl_order(base, key, orders[sample]),
            f"    curl -s -X POST {base}/api/v1/redemptions -H 'Authorization: Bearer {key}'"
            f' -H \'Content-Type: application/json\' -d \'{{"code":"{sample}","order_id":<id>}}\'',
            "    (<id> 为上一步返回的消费单 id / the order id returned by the first call;"
            " 更多请求示例见 README / more request bodies in the README)",
        ]
    lines.append("")
    return "\n".join(lines)
