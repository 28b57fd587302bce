"""A PDF page's text layer replaces OCR only when it covers the page (scanner/text_layer.py).

Real poppler (pdfimages, pdftotext, pdftoppm) and the real tesseract: a scan with a fax
server's one-line text stamp must still be OCR'd; a scan with a full invisible OCR layer and a
born-digital page keep their layers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from reportlab.lib.pagesizes import letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from chartroom.settings import Settings
from scanner import poppler, tesseract
from scanner.pipeline import scan
from scanner.text_layer import ink_covered
from scanner.types import Word
from tests._drawing import text_page
from tests._inputs import text_pdf

DPI = 300
PAGE_W_PT, PAGE_H_PT = letter


def _scan_pdf(path: Path, image: np.ndarray, words: list[tuple[str, Word]], stamp: bool) -> Path:
    """A letter page showing `image` full-size, with optional invisible words and a stamp."""
    c = canvas.Canvas(str(path), pagesize=letter)
    c.drawImage(ImageReader(Image.fromarray(image)), 0, 0, PAGE_W_PT, PAGE_H_PT)
    scale = 72.0 / DPI
    for text, box in words:  # invisible text over each word, like a searchable-PDF scanner
        size = max(4.0, box.height * scale * 1.1)
        t = c.beginText()
        t.setTextRenderMode(3)
        t.setFont("Helvetica", size)
        natural = c.stringWidth(text, "Helvetica", size)
        t.setHorizScale(100.0 * box.width * scale / max(natural, 0.1))
        t.setTextOrigin(box.left * scale, PAGE_H_PT - (box.top + box.height) * scale)
        t.textOut(text)
        c.drawText(t)
    if stamp:
        c.setFont("Helvetica", 7)
        c.drawString(20, PAGE_H_PT - 12, "FAX 2026-11-02 09:14 FROM 555-0100 PAGE 1 OF 1")
    c.showPage()
    c.save()
    return path


@pytest.mark.poppler
@pytest.mark.tesseract
def test_scan_with_a_fax_stamp_layer_is_ocred(tmp_path: Path, settings: Settings) -> None:
    path = _scan_pdf(tmp_path / "fax.pdf", text_page(dpi=DPI), [], stamp=True)
    assert poppler.page_image_coverage(path, 1, PAGE_W_PT * PAGE_H_PT, settings) > 0.95
    page = scan(path, settings).pages[0]
    assert page.text_source == "ocr"
    assert "furosemide" in page.text
    assert "FAX" in page.text  # the stamp is on the rendered page, so OCR reads it too


@pytest.mark.poppler
@pytest.mark.tesseract
def test_scan_with_a_full_ocr_layer_keeps_it(tmp_path: Path, settings: Settings) -> None:
    image = text_page(dpi=DPI)
    found = tesseract.ocr(image, DPI, settings)
    words = [(w.text, w) for w in found.words if w.text.strip()]
    path = _scan_pdf(tmp_path / "searchable.pdf", image, words, stamp=False)
    page = scan(path, settings).pages[0]
    assert page.text_source == "pdf-text-layer"
    assert "furosemide" in page.text


@pytest.mark.poppler
def test_born_digital_page_keeps_its_layer(tmp_path: Path, settings: Settings) -> None:
    path = text_pdf(tmp_path / "letter.pdf")
    assert poppler.page_image_coverage(path, 1, PAGE_W_PT * PAGE_H_PT, settings) == 0.0
    page = scan(path, settings).pages[0]
    assert page.text_source == "pdf-text-layer"


def test_ink_covered_counts_dark_pixels_inside_word_boxes() -> None:
    image = np.full((400, 400), 255, dtype=np.uint8)
    image[100:120, 100:200] = 0  # a "word"
    image[300:320, 100:200] = 0  # another, not in the layer
    word = Word(text="x", left=100, top=100, width=100, height=20, confidence=100.0)
    assert ink_covered(image, (word,)) == pytest.approx(0.5)
    assert ink_covered(np.full((10, 10), 255, dtype=np.uint8), ()) == 1.0
