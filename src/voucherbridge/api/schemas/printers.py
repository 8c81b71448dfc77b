"""API models of a till's network receipt printer (小票机) and of a receipt sent to it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from voucherbridge.api.schemas.common import Strict


class PrinterWrite(Strict):
    """The printer's address; an empty or null host clears it. Ranges are the catalogue's
    printer_* errors (checked by the service), so a typo gets a sentence, not a schema dump."""

    host: str | None = Field(
        default=None,
        max_length=300,
        description="Host name or IPv4 address of the printer, e.g. 192.168.1.50; null clears",
        examples=["192.168.1.50"],
    )
    port: int | None = Field(default=None, description="Raw TCP port, 1-65535; default 9100")
    width_mm: int | None = Field(default=None, description="Paper width: 58 or 80 (default)")


class TerminalPrinterRead(BaseModel):
    terminal_id: int
    store_id: int
    terminal_name: str
    host: str | None = Field(description="None: no printer set for this till")
    port: int | None
    width_mm: int | None
    label: str | None = Field(description='How the till names it: "192.168.1.50" or "host:port"')


class NetworkPrintRead(BaseModel):
    order_id: int
    order_no: str
    printer: str = Field(description='The printer that took the receipt, e.g. "192.168.1.50"')
    width_mm: int
    print_count: int = Field(description="第N次打印: this print's number")
    bytes_sent: int
