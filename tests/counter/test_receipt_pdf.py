"""The PDF receipt: Chinese text is extractable and renders as real glyphs on a roll-sized page."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.counter.receipt_samples import seed_receipt
from voucherbridge.counter.printing import render_pdf

MM = 72 / 25.4


def _text(pdf: bytes) -> str:
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    return "".join(page.extract_text().split())


@pytest.mark.parametrize("width_mm", [58, 80])
def test_pdf_text_has_the_totals_and_vouchers(width_mm: int) -> None:
    pdf = render_pdf(seed_receipt(), width_mm=width_mm)
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    for expected in ("订单金额", "284.00", "票券x1", "100.00", "谢谢惠顾", "右姑娘火锅", "会员卡"):
        assert expected in text, expected


@pytest.mark.parametrize("width_mm", [58, 80])
def test_page_is_one_roll_wide_and_fits_the_content(width_mm: int) -> None:
    reader = PdfReader(io.BytesIO(render_pdf(seed_receipt(), width_mm=width_mm)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) == pytest.approx(width_mm * MM, abs=0.5)
    # A receipt roll, not an A4 sheet: taller than wide, but well short of A4's 297 mm.
    assert width_mm * MM < float(box.height) < 250 * MM


def test_same_receipt_gives_the_same_pdf() -> None:
    assert render_pdf(seed_receipt()) == render_pdf(seed_receipt())


def test_pdf_renders_to_a_non_blank_image(tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    pdf_path = tmp_path / "receipt.pdf"
    pdf_path.write_bytes(render_pdf(seed_receipt(), width_mm=80))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", str(pdf_path), str(tmp_path / "p")],
        check=True,
        capture_output=True,
    )
    (png,) = tmp_path.glob("p*.png")
    assert png.stat().st_size > 2048
    with Image.open(png) as image:
        grey = image.convert("L")
        dark_pixels = sum(grey.histogram()[:128])
    assert dark_pixels > 1000  # text was drawn, not an empty page
