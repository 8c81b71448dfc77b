"""The printer columns of the terminals table (migration 0014), scoped by merchant."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from voucherbridge.db import tables as t
from voucherbridge.db.repository import Repository
from voucherbridge.domain.printers import DEFAULT_PORT, PrinterAddress

_COLUMNS = (
    t.terminals.c.id,
    t.terminals.c.printer_host,
    t.terminals.c.printer_port,
    t.terminals.c.printer_width_mm,
)


def _address(row: Any) -> PrinterAddress | None:
    if not row.printer_host:
        return None
    return PrinterAddress(
        row.printer_host, row.printer_port or DEFAULT_PORT, row.printer_width_mm or 80
    )


class TerminalPrinterRepo(Repository):
    def get(self, merchant_id: int, terminal_id: int) -> PrinterAddress | None:
        """The terminal's printer, or None (no printer, or no such terminal of the merchant)."""
        row = self.conn.execute(
            select(*_COLUMNS).where(
                t.terminals.c.merchant_id == merchant_id, t.terminals.c.id == terminal_id
            )
        ).first()
        return _address(row) if row else None

    def of_merchant(
        self, merchant_id: int, only_stores: frozenset[int] | None = None
    ) -> dict[int, PrinterAddress]:
        """Every terminal of the merchant (or of those stores) that has a printer, by id."""
        query = select(*_COLUMNS).where(
            t.terminals.c.merchant_id == merchant_id, t.terminals.c.printer_host.is_not(None)
        )
        if only_stores is not None:
            query = query.where(t.terminals.c.store_id.in_(sorted(only_stores)))
        found = {row.id: _address(row) for row in self.conn.execute(query)}
        return {k: v for k, v in found.items() if v is not None}

    def set(self, merchant_id: int, terminal_id: int, address: PrinterAddress | None) -> None:
        """Keep the printer's address on the terminal; None clears it."""
        values: dict[str, Any] = {
            "printer_host": address.host if address else None,
            "printer_port": address.port if address else None,
            "printer_width_mm": address.width_mm if address else None,
        }
        self.conn.execute(
            update(t.terminals)
            .where(t.terminals.c.merchant_id == merchant_id, t.terminals.c.id == terminal_id)
            .values(**values)
        )
