"""Wire helpers of the Douyin simulator: envelopes, error codes, token check, body parsing.

Error codes the simulator answers with (HTTP 200, code in ``data.error_code`` and
``extra.error_code``) are Douyin's published ones (local-life 平台返回状态码 page, the verify
page; see docs/platforms.md). Where Douyin publishes no code for a condition [M], the simulator
answers as Douyin's generic business error does: 3000001 with the reason in ``sub_description``
(the shape of the published cancel-too-late answer). Those conditions are the text constants.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from voucherbridge_sims.douyin.state import JsonDict, SimState
from voucherbridge_sims.simkit.hooks import read_json as read_json

# OAuth [D]
OAUTH_BAD_PARAMS = 10002
OAUTH_UNKNOWN_CLIENT = 10003
OAUTH_BAD_SECRET = 10013
OAUTH_RATE_LIMITED = 10020
# access-token header [D]
TOKEN_INVALID = 2190002  # missing, unknown
TOKEN_EXPIRED = 2190008  # expired by the simulated clock, or superseded past its grace
# goodlife endpoints [D]
SERVER_BUSY = 2100004  # 系统繁忙: default code of a "biz_error" fault, the client retries
PARAM_ERROR = 2100005  # 参数不合法: missing or malformed parameter / body
TOO_FREQUENT = 2119003
NOT_AUTHORIZED = 2119005
TRANSFERRING = 2119006
GROUPBUY_NOT_OPEN = 2119901  # [C] the account has not opened group-buy: no published code
GENERIC = 3000001
CANCEL_TOO_LATE_SUB = 2034000910  # with 3000001 [C forum body]
CANCEL_TOO_LATE_MSG = "已超过可撤销时限,无法撤销核销"
CODE_NOT_FOUND = 1212  # prepare/get/query, or a verify item: no such code, encrypted_code
WRONG_POI = 3000002  # a verify item: this POI is not one of the product's
ORDER_NOT_FOUND = 3100101  # merchant-code verify / callbacks: unknown Douyin order
ALREADY_CANCELLED = 1265  # cancel of a verify cancelled before [D code, M use]
RESULT_USED = 1208  # prepare of a used code [M use], verify item [D]
# [M] conditions, answered as 3000001 + sub_description
VERIFY_TOKEN_INVALID = "verify_token无效或已过期,请重新验券准备"
POI_MISMATCH = "poi_id与验券准备时不一致"
VERIFY_NOT_FOUND = "核销记录不存在"
RESULT_REFUNDED = "券码已退款"
RESULT_EXPIRED = "券码已过期"
RESULT_NOT_YET_VALID = "券码未到使用时间"

MESSAGES: dict[int, str] = {
    SERVER_BUSY: "系统繁忙,此时请开发者稍候再试",
    PARAM_ERROR: "参数不合法",
    TOO_FREQUENT: "请求太过频繁,请稍后再试",
    NOT_AUTHORIZED: "应用未获商家授权",
    TRANSFERRING: "该券码用户操作转赠中,暂不支持核销",
    GROUPBUY_NOT_OPEN: "商家未开通团购功能,授权失败",
    GENERIC: CANCEL_TOO_LATE_MSG,
    CODE_NOT_FOUND: "查不到券信息,请确认是否为可用的券",
    WRONG_POI: "所选门店不在商品适用门店内",
    ORDER_NOT_FOUND: "订单不存在",
    ALREADY_CANCELLED: "存在已撤销券",
    RESULT_USED: "券码已使用",
    TOKEN_INVALID: "access_token无效",
    TOKEN_EXPIRED: "access_token过期,请刷新或重新授权",
}
Problem = int | str  # a published code, or an [M] condition (3000001 + this text)


def get_sim(request: Request) -> SimState:
    sim: SimState = request.app.state.sim
    return sim


def envelope(
    sim: SimState,
    data: JsonDict,
    error_code: int = 0,
    description: str = "",
    sub_error_code: int = 0,
    sub_description: str = "",
) -> JsonDict:
    """The goodlife envelope: ``{"data": {..., error_code, description}, "extra": {...}}``."""
    return {
        "data": {**data, "error_code": error_code, "description": description},
        "extra": {
            "error_code": error_code,
            "description": description,
            "sub_error_code": sub_error_code,
            "sub_description": sub_description,
            "logid": sim.logid(),
            "now": sim.clock.now_s(),  # seconds [D: certificate.get example]
        },
    }


def ok(sim: SimState, **data: Any) -> JSONResponse:
    return JSONResponse(envelope(sim, data))


def fail(
    sim: SimState,
    code: Problem,
    description: str | None = None,
    sub_error_code: int = 0,
    sub_description: str = "",
) -> JSONResponse:
    """A business failure: HTTP 200, non-zero ``data.error_code`` and ``extra.error_code``."""
    if isinstance(code, str):
        return JSONResponse(envelope(sim, {}, GENERIC, code, sub_error_code, code))
    text = description or MESSAGES.get(code, "error")
    return JSONResponse(envelope(sim, {}, code, text, sub_error_code, sub_description))


def oauth_ok(data: JsonDict) -> JSONResponse:
    return JSONResponse(
        {"data": {**data, "error_code": 0, "description": ""}, "message": "success"}
    )


def oauth_fail(code: int, description: str) -> JSONResponse:
    return JSONResponse(
        {"data": {"error_code": code, "description": description}, "message": "error"}
    )


def check_token(sim: SimState, request: Request) -> JSONResponse | None:
    """None when the ``access-token`` header is valid, else the error answer."""
    problem = sim.token_valid(request.headers.get("access-token"))
    if problem is None:
        return None
    code = TOKEN_EXPIRED if problem == "expired" else TOKEN_INVALID
    return fail(sim, code)


def item_result(result: Problem, /, **fields: Any) -> JsonDict:
    """One ``verify_results[]`` entry; ``result`` 0 is success."""
    if isinstance(result, str):
        return {"result": GENERIC, "msg": result, **fields}
    msg = "success" if result == 0 else MESSAGES.get(result, "")
    return {"result": result, "msg": msg, **fields}
