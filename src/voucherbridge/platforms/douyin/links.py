"""Douyin short links (v.douyin.com): the ``object_id`` their redirect carries, for prepare."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.platforms.douyin.openapi import OpenApi
from voucherbridge.platforms.transport import sent


def short_id(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[-1]


def object_id(api: OpenApi, short_link_base: str, link: str) -> str:
    """A short link's 302 carries the ``object_id`` that prepare takes as encrypted_data."""
    url = f"{short_link_base}/{short_id(link)}"

    def resolve() -> str:
        response = sent(lambda: api.http.get(url, follow_redirects=False))
        location = str(response.headers.get("location", ""))
        found: str = parse_qs(urlsplit(location).query).get("object_id", [""])[0]
        if not response.is_redirect or not found:
            raise DomainError(ErrorCode.VOUCHER_NOT_FOUND, code="")
        return found

    return api.retrying(resolve, "short_link")
