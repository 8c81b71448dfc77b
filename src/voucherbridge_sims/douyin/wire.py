"""Wire helpers of the Douyin simulator: envelopes, error codes, token check, body parsing.

Error codes the simulator answers with (HTTP 200, code in ``data.error_code`` and
``extra.error_code``). Codes tagged [D]/[C] come from PROTOCOLS.md; the others are [M]: our
choice where PROTOCOLS.md leaves the value open, kept stable so the adapter can map them.
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
# access-token header [M: Douyin's token codes]
TOKEN_INVALID = 2190002  # missing, unknown
TOKEN_EXPIRED = 2190008  # expired by the simulated clock, or superseded past its grace
# goodlife endpoints [M unless tagged]
PARAM_ERROR = 2100004  # missing or malformed parameter / body
SERVER_BUSY = 2100005  # default code of a "biz_error" fault: transient, retry
CODE_NOT_FOUND = 2119001  # prepare/get/query: no such platform code, encrypted_code, object_id
VERIFY_TOKEN_INVALID = 2119002  # verify: unknown or expired verify_token
POI_MISMATCH = 2119003  # verify: poi_id differs from the one given to prepare
ORDER_NOT_FOUND = 2119004  # merchant-code verify / callbacks: unknown Douyin order
VERIFY_NOT_FOUND = 2119005  # cancel: no such certificate_id + verify_id pair
ALREADY_CANCELLED = 2119006  # cancel: this verify_id was cancelled before (treat as done)
CANCEL_TOO_LATE = 3000001  # cancel after the window [C forum]
CANCEL_TOO_LATE_SUB = 2034000910
CANCEL_TOO_LATE_MSG = "已超过可撤销时限,无法撤销核销"
# prepare whole-call errors and verify per-item ``result`` values
RESULT_USED = 1208  # [D] used
RESULT_EXPIRED = 1209
RESULT_REFUNDED = 1210
RESULT_WRONG_POI = 1211
RESULT_UNKNOWN_CODE = 1212  # not part of this prepare / not a code of this order
RESULT_NOT_YET_VALID = 1213

MESSAGES: dict[int, str] = {
    PARAM_ERROR: "参数不合法",
    SERVER_BUSY: "服务器错误,请稍后重试",
    CODE_NOT_FOUND: "券码不存在",
    VERIFY_TOKEN_INVALID: "verify_token无效或已过期,请重新验券准备",
    POI_MISMATCH: "poi_id与验券准备时不一致",
    ORDER_NOT_FOUND: "订单不存在",
    VERIFY_NOT_FOUND: "核销记录不存在",
    ALREADY_CANCELLED: "该核销记录已撤销",
    CANCEL_TOO_LATE: CANCEL_TOO_LATE_MSG,
    RESULT_USED: "券码已使用",
    RESULT_EXPIRED: "券码已过期",
    RESULT_REFUNDED: "券码已退款",
    RESULT_WRONG_POI: "该券不可在此门店使用",
    RESULT_UNKNOWN_CODE: "券码不存在或不属于本次核销",
    RESULT_NOT_YET_VALID: "券码未到使用时间",
    TOKEN_INVALID: "access_token无效",
    TOKEN_EXPIRED: "access_token过期,请刷新",
}


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
            "now": sim.clock.now_ms(),
        },
    }


def ok(sim: SimState, **data: Any) -> JSONResponse:
    return JSONResponse(envelope(sim, data))


def fail(
    sim: SimState,
    code: int,
    description: str | None = None,
    sub_error_code: int = 0,
    sub_description: str = "",
) -> JSONResponse:
    """A business failure: HTTP 200, non-zero ``data.error_code`` and ``extra.error_code``."""
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


def item_result(result: int, /, **fields: Any) -> JsonDict:
    """One ``verify_results[]`` entry; ``result`` 0 is success."""
    msg = "success" if result == 0 else MESSAGES.get(result, "")
    return {"result": result, "msg": msg, **fields}
