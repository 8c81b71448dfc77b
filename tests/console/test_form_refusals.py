"""A console form sent back with a refusal answers the status the API answers for it.

A store manager's form on a store HQ had closed came back 400, as if they had mistyped,
while the admin API answered 403 `store_disabled` for the same change: every form page takes
its status from `form_status`, so the rule is checked here for every error code."""

from __future__ import annotations

import pytest

from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.i18n.catalogue import CATALOGUE
from voucherbridge.web.console.forms import form_status


@pytest.mark.parametrize("code", list(ErrorCode), ids=lambda code: code.value)
def test_a_form_answers_a_refusal_as_the_api_and_bad_input_as_a_form(code: ErrorCode) -> None:
    api = CATALOGUE[code].status
    shown = form_status(DomainError(code), invalid_status=422)
    if api in (401, 403, 404, 429):
        assert shown == api
    else:
        assert shown == 422


def test_the_closed_store_and_the_forbidden_form_are_403() -> None:
    assert form_status(DomainError(ErrorCode.STORE_DISABLED)) == 403
    assert form_status(DomainError(ErrorCode.FORBIDDEN)) == 403
    assert form_status(DomainError(ErrorCode.VALIDATION_ERROR, field="name")) == 400
    assert form_status(None) == 200
