"""The printer address rules (domain/printers.py) and the network adapter's refusals, without a
database: what a person may type into 小票打印机 地址, and what the server will never connect to."""

from __future__ import annotations

import time

import pytest

from tests.counter._printer import closed_port, printer_listener
from voucherbridge.counter.printing.network import NetworkPrinters, PrinterUnreachable
from voucherbridge.domain.errors import DomainError, ErrorCode
from voucherbridge.domain.printers import PrinterAddress, printer_address
from voucherbridge.i18n.catalogue import render


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        (("192.168.1.50", "", ""), PrinterAddress("192.168.1.50", 9100, 80)),
        (("１９２。１６８。１。５０", "９１００", "58"), PrinterAddress("192.168.1.50", 9100, 58)),
        ((" Printer-Front.LAN. ", 9101, 80), PrinterAddress("printer-front.lan", 9101, 80)),
        (("10.0.0.7", None, "80mm"), PrinterAddress("10.0.0.7", 9100, 80)),
        (("", "", ""), None),
        ((None, None, None), None),
    ],
)
def test_what_a_person_types_becomes_a_clean_address(
    typed: tuple[object, object, object], kept: PrinterAddress | None
) -> None:
    assert printer_address(*typed) == kept


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (("192.168.1.256",), ErrorCode.PRINTER_HOST_INVALID),
        (("192.168.1",), ErrorCode.PRINTER_HOST_INVALID),
        (("tcp://192.168.1.50",), ErrorCode.PRINTER_HOST_INVALID),
        (("printer front",), ErrorCode.PRINTER_HOST_INVALID),
        (("fe80::1",), ErrorCode.PRINTER_HOST_INVALID),
        (("169.254.169.254",), ErrorCode.PRINTER_HOST_INVALID),
        (("224.0.0.1",), ErrorCode.PRINTER_HOST_INVALID),
        (("0.0.0.0",), ErrorCode.PRINTER_HOST_INVALID),
        (("255.255.255.255",), ErrorCode.PRINTER_HOST_INVALID),
        (("a" * 64 + ".lan",), ErrorCode.PRINTER_HOST_INVALID),
        (("小票机",), ErrorCode.PRINTER_HOST_INVALID),
        (("192.168.1.50", "0"), ErrorCode.PRINTER_PORT_INVALID),
        (("192.168.1.50", "65536"), ErrorCode.PRINTER_PORT_INVALID),
        (("192.168.1.50", "91OO"), ErrorCode.PRINTER_PORT_INVALID),
        (("192.168.1.50", True), ErrorCode.PRINTER_PORT_INVALID),
        (("192.168.1.50", None, "76"), ErrorCode.PRINTER_WIDTH_INVALID),
        (("192.168.1.50", None, 58.0), ErrorCode.PRINTER_WIDTH_INVALID),
    ],
)
def test_a_bad_address_is_a_stable_code_with_a_chinese_sentence(
    typed: tuple[object, ...], code: ErrorCode
) -> None:
    with pytest.raises(DomainError) as raised:
        printer_address(*typed)
    assert raised.value.code is code
    message = render(code, raised.value.params)
    assert message.startswith(("小票机", "纸宽")), message
    assert "{" not in message


def test_the_label_names_the_port_only_off_9100() -> None:
    assert PrinterAddress("192.168.1.50").label == "192.168.1.50"
    assert PrinterAddress("192.168.1.50", 9101).label == "192.168.1.50:9101"


def test_loopback_is_refused_unless_the_deployment_allows_it() -> None:
    with printer_listener() as printer:
        for host in ("127.0.0.1", "localhost"):
            with pytest.raises(PrinterUnreachable):
                NetworkPrinters(allow_loopback=False).connect(host, printer.port)
        connection = NetworkPrinters(allow_loopback=True).connect("localhost", printer.port)
        connection.send(b"\x1b@hello")
        connection.close()
        assert printer.wait_for(1) == [b"\x1b@hello"]


def test_a_closed_port_and_an_unknown_name_fail_fast() -> None:
    printers = NetworkPrinters(allow_loopback=True)
    for host, port in (("127.0.0.1", closed_port()), ("no-such-printer.invalid", 9100)):
        started = time.monotonic()
        with pytest.raises(PrinterUnreachable):
            printers.connect(host, port)
        assert time.monotonic() - started < 3, host
