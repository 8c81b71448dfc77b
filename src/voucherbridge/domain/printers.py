"""A till's network receipt printer (小票机): its address and the rules an address must keep.

The console and the admin API take what a person typed (full-width digits from a Chinese IME
included); the address kept is a host name or an IPv4 address, a TCP port (9100, the raw
ESC/POS port, unless the printer says otherwise) and the paper width in mm.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass

from voucherbridge.domain.errors import DomainError, ErrorCode

DEFAULT_PORT = 9100
PAPER_WIDTHS = (58, 80)
MAX_HOST_LENGTH = 253
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_DOTTED_NUMBERS = re.compile(r"[0-9.]+")


@dataclass(frozen=True, slots=True)
class PrinterAddress:
    host: str
    port: int = DEFAULT_PORT
    width_mm: int = 80

    @property
    def label(self) -> str:
        """How a cashier reads it: "192.168.1.50", or "192.168.1.50:9101" off the usual port."""
        return self.host if self.port == DEFAULT_PORT else f"{self.host}:{self.port}"


def clean_host(raw: object) -> str:
    """The host as typed, normalised ("１９２。１６８…" from an IME is 192.168…); "" when empty.

    Refuses (printer_host_invalid) anything but a host name (RFC 1123 labels) or an IPv4
    address that a printer can have: no ports, paths, IPv6, multicast, link-local (169.254.x.x,
    where cloud metadata services live), 0.0.0.0 or the broadcast address.
    """
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise DomainError(ErrorCode.PRINTER_HOST_INVALID, field="printer_host")
    host = unicodedata.normalize("NFKC", raw).replace("。", ".").strip().lower().rstrip(".")
    if not host:
        return ""
    if len(host) > MAX_HOST_LENGTH:
        raise DomainError(ErrorCode.PRINTER_HOST_INVALID, field="printer_host")
    if _DOTTED_NUMBERS.fullmatch(host):  # looks like an IPv4 address: must be one
        try:
            address = ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise DomainError(ErrorCode.PRINTER_HOST_INVALID, field="printer_host") from exc
        if not usable_ipv4(address):
            raise DomainError(ErrorCode.PRINTER_HOST_INVALID, field="printer_host")
        return str(address)
    if not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise DomainError(ErrorCode.PRINTER_HOST_INVALID, field="printer_host")
    return host


def usable_ipv4(address: ipaddress.IPv4Address) -> bool:
    """An address a receipt printer can have (loopback is decided by the deployment)."""
    return not (
        address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or address == ipaddress.IPv4Address("255.255.255.255")
    )


def clean_port(raw: object) -> int:
    """1-65535; "" or None is the usual 9100. Text must be digits (full-width ones too)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_PORT
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 5:
            raise DomainError(ErrorCode.PRINTER_PORT_INVALID, field="printer_port")
        raw = int(text)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 65535:
        raise DomainError(ErrorCode.PRINTER_PORT_INVALID, field="printer_port")
    return raw


def clean_width(raw: object) -> int:
    """58 or 80 (mm); "" or None is 80."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return 80
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw).strip().lower().removesuffix("mm").strip()
        raw = int(text) if text.isascii() and text.isdigit() and len(text) <= 3 else None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw not in PAPER_WIDTHS:
        raise DomainError(ErrorCode.PRINTER_WIDTH_INVALID, field="printer_width_mm")
    return raw


def printer_address(
    host: object, port: object = None, width_mm: object = None
) -> PrinterAddress | None:
    """The address to keep, or None when the host is left empty (no printer).

    Every field is checked even without a host, so a typo in the port is never silently
    dropped together with the address.
    """
    clean = PrinterAddress(clean_host(host), clean_port(port), clean_width(width_mm))
    return clean if clean.host else None
