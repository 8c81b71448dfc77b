"""What typed commands share: a field a PATCH left out is UNSET, which is not the same as None.

A change command is a frozen dataclass whose fields default to UNSET; the service changes only
the fields that are set (`given(changes)`), so "clear the receipt title" (None) and "leave it"
(UNSET) stay apart all the way from HTTP to SQL.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")


class Unset(enum.Enum):
    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET = Unset.UNSET
# A value, or UNSET when the request did not mention the field.
Maybe: TypeAlias = T | Unset


def given(changes: Any) -> dict[str, Any]:
    """The fields of a change command that were set, by name (an empty dict: nothing to do)."""
    return {
        f.name: getattr(changes, f.name)
        for f in dataclasses.fields(changes)
        if getattr(changes, f.name) is not UNSET
    }
