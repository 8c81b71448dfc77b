"""Douyin Open Platform client (life service, PROTOCOLS.md §1): the one `DouyinClient` facade.

It composes the wire (`openapi`: retries, store tokens from `tokens`), the certificate calls
(`certificates`: prepare/verify/cancel/get, short links from `links`) and adds merchant-code use
sync and the POI query of the binding test; what Douyin answers mean lives in `answers`.

Business failures come back as HTTP 200 with an error code in the envelope; only transport
failures, 5xx, 429 and the "busy" code are retried (tenacity, exponential backoff with jitter),
and a retried verify carries the same ``verify_token``, so Douyin applies it once.
"""

from __future__ import annotations

import httpx

from voucherbridge.platforms.douyin.answers import (
    DEFAULT_SHORT_LINK_BASE,
    GROUPBUY_NOT_OPEN,
    NOT_AUTHORIZED,
    POI_QUERY,
    VERIFY,
    dict_of,
    error_code,
    int_of,
    item_refusal,
    log,
    refusal_of,
    rejected,
    unavailable,
)
from voucherbridge.platforms.douyin.certificates import Certificates, verified_code, verify_items
from voucherbridge.platforms.douyin.openapi import OpenApi
from voucherbridge.platforms.ports import Credentials, PreparedCodes, SharedTokens, VerifiedCode
from voucherbridge.platforms.transport import platform_http


class DouyinClient:
    """One per process: keeps the HTTP connection pool; the app token is shared (`tokens`)."""

    def __init__(
        self,
        base_url: str,
        client_key: str,
        client_secret: str,
        *,
        shared_tokens: SharedTokens | None = None,
        timeout_s: float = 5.0,
        short_link_base: str | None = None,
        retry_wait_s: float = 0.5,
        max_attempts: int = 3,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_key = client_key
        self.short_link_base = (short_link_base or DEFAULT_SHORT_LINK_BASE).rstrip("/")
        self.retry_wait_s = max(0.0, retry_wait_s)
        self.max_attempts = max(1, max_attempts)
        self.http = http or platform_http(self.base_url, timeout_s=timeout_s, platform="douyin")
        self._api = OpenApi(
            self.http,
            client_key,
            client_secret,
            shared_tokens=shared_tokens,
            retry_wait_s=self.retry_wait_s,
            max_attempts=self.max_attempts,
        )
        self._certificates = Certificates(self._api, self.short_link_base)

    def close(self) -> None:
        self.http.close()

    # ---- platform codes (see `certificates`) --------------------------------------------------
    def prepare(self, credentials: Credentials, code: str) -> PreparedCodes:
        """验券准备: the usable codes behind one scan (a plain code or a short link)."""
        return self._certificates.prepare(credentials, code)

    def verify(
        self, credentials: Credentials, prepared: PreparedCodes, count: int, request_id: str
    ) -> list[VerifiedCode]:
        """验券 ``count`` prepared codes, all or none."""
        return self._certificates.verify(credentials, prepared, count, request_id)

    def cancel(self, credentials: Credentials, verified: VerifiedCode) -> None:
        """撤销核销 (Douyin's answer decides; its documented limit is one hour)."""
        self._certificates.cancel(credentials, verified)

    # ---- merchant codes (三方码) use sync --------------------------------------------------------
    def sync_use(
        self, credentials: Credentials, *, douyin_order_id: str, codes: list[str], verify_token: str
    ) -> list[VerifiedCode]:
        """核销同步: tell Douyin our codes were used; ``verify_token`` (our redemption id) makes
        a replay return the first answer instead of a second use."""
        shown = codes[0] if codes else ""
        body = self._api.call(
            "POST",
            VERIFY,
            json={
                "verify_token": verify_token,
                "poi_id": credentials.platform_store_id,
                "order_id": douyin_order_id,
                "codes": codes,
            },
        ).body
        if error_code(body):
            raise refusal_of(body, shown)
        done: list[VerifiedCode] = []
        for item in verify_items(body):
            if int_of(item.get("result"), -1) != 0:
                raise item_refusal(item, str(item.get("origin_code") or item.get("code") or shown))
            done.append(verified_code(item, ""))
        if len(done) != len(codes):
            raise unavailable()
        return done

    def sync_cancel(
        self, credentials: Credentials, *, douyin_order_id: str, codes: list[str], verify_token: str
    ) -> None:
        """Replays the use (same token: Douyin answers the first result) to learn its ids."""
        for verified in self.sync_use(
            credentials, douyin_order_id=douyin_order_id, codes=codes, verify_token=verify_token
        ):
            self.cancel(credentials, verified)

    # ---- binding ------------------------------------------------------------------------------
    def test_binding(self, platform_store_id: str, account_id: str) -> str:
        """The POI as the authorizing account sees it (our app's token): returns its name.

        ``account_id`` may be empty: Douyin then answers for the account the POI belongs to,
        provided that account authorized our app."""
        body = self._api.call(
            "GET",
            POI_QUERY,
            params={"account_id": account_id, "poi_id": platform_store_id},
        ).body
        error = error_code(body)
        if error in NOT_AUTHORIZED or error == GROUPBUY_NOT_OPEN:
            raise refusal_of(body)  # in the merchant's words: authorize / open 团购, then bind
        if error:
            log.warning("douyin.poi_query_failed", error_code=error)
            raise rejected()
        for entry in dict_of(body.get("data")).get("pois") or []:
            poi = dict_of(dict_of(entry).get("poi"))
            if str(poi.get("poi_id") or "") == platform_store_id:
                return str(poi.get("poi_name") or platform_store_id)
        raise rejected()
