"""Douyin certificates: prepare (验券准备), verify (验券) all or none, and cancel (撤销核销)."""

from __future__ import annotations

from voucherbridge.domain.codes import DOUYIN_LINK_RE
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.douyin.answers import (
    ALREADY_CANCELLED,
    CANCEL,
    GET,
    MAYBE_OURS,
    PLATFORM,
    PREPARE,
    VERIFY,
    JsonDict,
    dict_of,
    epoch,
    error_code,
    int_of,
    item_refusal,
    log,
    platform_now,
    refusal_of,
    unavailable,
)
from voucherbridge.platforms.douyin.links import object_id
from voucherbridge.platforms.douyin.openapi import OpenApi
from voucherbridge.platforms.ports import (
    Credentials,
    PlatformCertificate,
    PreparedCodes,
    VerifiedCode,
)


def of_account(credentials: Credentials) -> dict[str, str]:
    """The authorizing account, on the calls that take it, when the binding names one."""
    return {"account_id": credentials.account_id} if credentials.account_id else {}


def verify_items(body: JsonDict) -> list[JsonDict]:
    results = dict_of(body.get("data")).get("verify_results") or []
    return [dict_of(i) for i in results if isinstance(i, dict)]


def verified_code(item: JsonDict, shown: str) -> VerifiedCode:
    return VerifiedCode(
        code=str(item.get("origin_code") or shown or item.get("code") or ""),
        certificate_id=str(item.get("certificate_id") or ""),
        verify_id=str(item.get("verify_id") or ""),
    )


class Certificates:
    """The certificate calls of one `OpenApi`; short links are resolved on ``short_link_base``."""

    def __init__(self, api: OpenApi, short_link_base: str) -> None:
        self.api = api
        self.short_link_base = short_link_base

    def prepare(self, credentials: Credentials, code: str) -> PreparedCodes:
        """验券准备: the usable codes behind one scan (a plain code or a short link)."""
        poi_id = credentials.platform_store_id
        params: dict[str, str] = {"poi_id": poi_id, **of_account(credentials)}
        is_link = bool(DOUYIN_LINK_RE.match(code))
        shown = "" if is_link else code
        if is_link:
            params["encrypted_data"] = object_id(self.api, self.short_link_base, code)
        else:
            params["code"] = code
        body = self.api.call("GET", PREPARE, params=params).body
        if error_code(body):
            raise refusal_of(body, shown)
        data = dict_of(body.get("data"))
        items = [dict_of(i) for i in data.get("certificates") or [] if isinstance(i, dict)]
        now = platform_now(body)
        usable: list[PlatformCertificate] = []
        problem: DomainError | None = None
        for item in items:
            plain = str(item.get("code") or "")
            if not plain and shown and len(items) == 1:
                plain = shown  # the answer is about exactly the code scanned
            expires, starts = epoch(item.get("expire_time")), epoch(item.get("start_time"))
            if expires is not None and expires <= now:
                problem = problem or DomainError(ErrorCode.VOUCHER_EXPIRED, code=plain or shown)
                continue
            if starts is not None and starts > now:
                problem = problem or DomainError(
                    ErrorCode.VOUCHER_NOT_YET_VALID, code=plain or shown, valid_from=""
                )
                continue
            if poi_id in [str(p) for p in item.get("not_available_poi_list") or []]:
                problem = problem or DomainError(
                    ErrorCode.VOUCHER_STORE_NOT_APPLICABLE, code=plain or shown, store=""
                )
                continue
            if not item.get("encrypted_code"):
                continue
            sku, amount = dict_of(item.get("sku")), dict_of(item.get("amount"))
            usable.append(
                PlatformCertificate(
                    code=plain,
                    handle=str(item["encrypted_code"]),
                    title=str(sku.get("title") or ""),
                    product_id=str(sku.get("sku_id") or ""),
                    listing_id=str(sku.get("third_sku_id") or "") or None,
                    value_fen=int_of(amount.get("original_amount")),
                    paid_fen=int_of(amount.get("pay_amount")),
                    expires_at=expires,
                )
            )
        if not usable:
            raise problem or DomainError(ErrorCode.VOUCHER_NOT_FOUND, code=shown)
        log.info("douyin.prepared", poi_id=poi_id, usable=len(usable), listed=len(items))
        return PreparedCodes(
            platform=PLATFORM,
            platform_order_id=str(data.get("order_id") or ""),
            certificates=tuple(usable),
            session=str(data.get("verify_token") or ""),
        )

    def verify(
        self, credentials: Credentials, prepared: PreparedCodes, count: int, request_id: str
    ) -> list[VerifiedCode]:
        """验券 ``count`` prepared codes; the prepare's verify_token makes a retry safe."""
        if not 1 <= count <= len(prepared.certificates):
            raise DomainError(ErrorCode.VALIDATION_ERROR, field="count")
        chosen = prepared.certificates[:count]
        answer = self.api.call(
            "POST",
            VERIFY,
            json={
                "verify_token": prepared.session,
                "poi_id": credentials.platform_store_id,
                "encrypted_codes": [c.handle for c in chosen],
                **of_account(credentials),
            },
        )
        if error_code(answer.body):
            raise refusal_of(answer.body, chosen[0].code)
        items = verify_items(answer.body)
        done: list[VerifiedCode] = []
        failure: DomainError | None = None
        for index, item in enumerate(items):
            cert = chosen[index] if index < len(chosen) else None
            result = int_of(item.get("result"), -1)
            shown = str(item.get("origin_code") or (cert.code if cert else ""))
            if result == 0:
                done.append(verified_code(item, shown))
                continue
            if result in MAYBE_OURS and answer.uncertain and cert is not None:
                mine = self._ours(credentials, cert.handle)
                if mine is not None:
                    log.info("douyin.verify_recovered", request_id=request_id, result=result)
                    done.append(mine)
                    continue
            failure = failure or item_refusal(item, shown)
        if failure is None and len(done) != count:
            log.warning("douyin.verify_short", request_id=request_id, got=len(done), asked=count)
            failure = unavailable()
        if failure is not None:
            self._undo(credentials, done, request_id)
            raise failure
        log.info("douyin.verified", request_id=request_id, count=len(done))
        return done

    def _ours(self, credentials: Credentials, handle: str) -> VerifiedCode | None:
        """After a lost or "busy" answer, result 1208 or 2 may be our own first attempt
        (Douyin's verify page): ask 券状态查询 whose verify it is."""
        try:
            answer = self.api.call("GET", GET, params={"encrypted_code": handle})
        except DomainError:
            return None
        if error_code(answer.body):
            return None
        cert = dict_of(dict_of(answer.body.get("data")).get("certificate"))
        verify = dict_of(cert.get("verify"))
        if str(verify.get("poi_id") or "") != credentials.platform_store_id:
            return None
        if not verify.get("verify_id"):
            return None
        return VerifiedCode(
            code=str(cert.get("code") or ""),
            certificate_id=str(verify.get("certificate_id") or cert.get("certificate_id") or ""),
            verify_id=str(verify["verify_id"]),
        )

    def _undo(self, credentials: Credentials, done: list[VerifiedCode], request_id: str) -> None:
        """Part of a multi-code verify went through: give those back so the scan is all or none."""
        for verified in done:
            try:
                self.cancel(credentials, verified)
                log.warning("douyin.partial_verify_cancelled", request_id=request_id)
            except DomainError as exc:
                log.error(
                    "douyin.partial_verify_cancel_failed",
                    request_id=request_id,
                    verify_id=verified.verify_id,
                    error=str(exc.code),
                )

    def cancel(self, credentials: Credentials, verified: VerifiedCode) -> None:
        """撤销核销. Douyin documents a one-hour limit but may refuse sooner: its answer decides,
        and a refusal (transfer in progress, time limit, anything else) is raised in Douyin's
        words, never taken for a cancel."""
        answer = self.api.call(
            "POST",
            CANCEL,
            json={
                "certificate_id": verified.certificate_id,
                "verify_id": verified.verify_id,
                **of_account(credentials),
            },
        )
        error = error_code(answer.body)
        if error == 0:
            log.info("douyin.cancelled", verify_id=verified.verify_id)
            return
        if error == ALREADY_CANCELLED:
            # 存在已撤销券: this verify is cancelled already (an earlier send of this cancel,
            # or a redelivered reversal), which is what we asked for.
            log.info("douyin.already_cancelled", verify_id=verified.verify_id)
            return
        log.warning("douyin.cancel_refused", error_code=error, verify_id=verified.verify_id)
        raise refusal_of(answer.body, verified.code)
