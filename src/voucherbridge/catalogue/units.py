"""The unit a bill's line is counted in (份, 条, 瓶 ...), from the merchant's catalogue."""

from __future__ import annotations

from collections.abc import Iterable

from voucherbridge.catalogue.item_repository import ItemRepo
from voucherbridge.db.uow import UnitOfWork

DEFAULT_UNIT = "份"


def catalogue_units(
    uow: UnitOfWork, *, merchant_id: int, item_codes: Iterable[str]
) -> dict[str, str]:
    """The catalogue unit of each item code the merchant sells (unknown codes are absent)."""
    wanted = [code for code in item_codes if code]
    if not wanted:
        return {}
    with uow:
        return uow.repo(ItemRepo).units(merchant_id, wanted)


def unit_of(given: str | None, item_code: str, units: dict[str, str]) -> str:
    """The unit the till sent, else the catalogue's, else 份."""
    if given is not None and given.strip():
        return given.strip()
    return units.get(item_code) or DEFAULT_UNIT
