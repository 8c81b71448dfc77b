"""Raw TCP to a network receipt printer (port 9100), through python-escpos's Network printer.

Every step has a deadline, so a printer that is off, unplugged or on another network answers the
till within a few seconds instead of hanging it: the host name is looked up in a helper thread
(`getaddrinfo` has no timeout of its own), then python-escpos connects and writes with the
socket timeout. Link-local, multicast and similar addresses are refused whatever the name
resolves to, and loopback too unless the deployment allows it (development and tests).
"""

from __future__ import annotations

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as LookupTimeout
from dataclasses import dataclass

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network

from voucherbridge.domain.printers import usable_ipv4

DEFAULT_TIMEOUT_S = 1.5  # connect, then each write: with the lookup, the till hears in < 3 s
LOOKUP_TIMEOUT_S = 1.0
_LOOKUPS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="printer-dns")


class PrinterUnreachable(Exception):
    """The printer could not be reached, or stopped taking bytes; the reason is for the log."""


class _Connection:
    def __init__(self, printer: Network) -> None:
        self._printer = printer

    def send(self, data: bytes) -> None:
        try:
            self._printer._raw(data)  # sendall, under the socket's timeout
        except OSError as exc:
            raise PrinterUnreachable(f"write failed: {exc}") from exc

    def close(self) -> None:
        self._printer.close()


@dataclass(frozen=True)
class NetworkPrinters:
    """Opens connections to network printers (the `PrinterPort` of counter/network_print.py)."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    allow_loopback: bool = False

    def connect(self, host: str, port: int) -> _Connection:
        """A connection the receipt can be written to; PrinterUnreachable when there is none."""
        address = self._resolve(host)
        printer = Network(address, port, timeout=self.timeout_s)
        try:
            printer.open()
        except DeviceNotFoundError as exc:
            raise PrinterUnreachable(str(exc)) from exc
        return _Connection(printer)

    def _resolve(self, host: str) -> str:
        try:
            candidates = [ipaddress.IPv4Address(host)]  # an address needs no lookup
        except ValueError:
            try:
                found = _LOOKUPS.submit(socket.getaddrinfo, host, None, socket.AF_INET)
                infos = found.result(timeout=LOOKUP_TIMEOUT_S)
            except (LookupTimeout, OSError) as exc:
                raise PrinterUnreachable(f"cannot resolve {host}: {exc!r}") from exc
            candidates = [ipaddress.IPv4Address(info[4][0]) for info in infos]
        for address in candidates:
            if usable_ipv4(address) and (self.allow_loopback or not address.is_loopback):
                return str(address)
        raise PrinterUnreachable(f"{host} has no address a printer may have")
