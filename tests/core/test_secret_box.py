"""Platform secrets sealed at rest open to what was sealed, every time; the opening of a text
seen before is kept (a flash sale opens one binding's secret per push), a text that does not
open never is, and a new secret is a new sealed text, so it opens to the new value at once."""

from __future__ import annotations

import pytest

from voucherbridge.core.crypto import SecretBox

KEY = "k3J9-oQv_x7yT2bWc8LmN4pR6sU1vZ0aE5dF"


def test_a_sealed_secret_opens_to_itself_every_time_and_a_new_one_to_the_new_value():
    box = SecretBox(KEY)
    first = box.seal("wm-secret-1")
    assert [box.open(first) for _ in range(3)] == ["wm-secret-1"] * 3
    renewed = box.seal("wm-secret-2")  # the merchant entered a new secret
    assert box.open(renewed) == "wm-secret-2"
    assert box.open(first) == "wm-secret-1"


def test_a_tampered_or_foreign_text_is_refused_every_time():
    box = SecretBox(KEY)
    sealed = box.seal("wm-secret-1")
    tampered = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    foreign = SecretBox("another-key-of-at-least-32-characters!").seal("wm-secret-1")
    for bad in (tampered, foreign, tampered):
        with pytest.raises(ValueError, match="cannot be decrypted"):
            box.open(bad)
