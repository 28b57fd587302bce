"""scanner.pdf_output: page sizes, the invisible text layer and its positions, atomic writing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader

from chartroom.errors import OutputError
from scanner.pdf_output import SearchablePdfWriter
from scanner.types import Word


def page_image(width: int, height: int, words: list[Word]) -> np.ndarray:
    image = np.full((height, width), 250, np.uint8)
    for w in words:  # grey blocks where the words are, so the page is not trivially blank
        image[w.top : w.top + w.height, w.left : w.left + w.width] = 40
    return image


PAGE1 = [
    Word("Furosemide", 300, 300, 420, 60, 95.0, 1, 1),
    Word("40mg", 760, 300, 180, 60, 93.0, 1, 1),
    Word("daily", 300, 420, 200, 60, 91.0, 1, 2),
]
PAGE2 = [Word("Cardiology", 150, 200, 300, 40, 90.0, 1, 1)]


def write_two_pages(out: Path) -> None:
    with SearchablePdfWriter(out) as pdf:
        pdf.add_page(page_image(2550, 3300, PAGE1), 300, PAGE1)  # letter at 300 dpi
        pdf.add_page(page_image(1240, 1754, PAGE2), 150, PAGE2)  # A4 at 150 dpi


def test_pages_and_sizes(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    write_two_pages(out)
    reader = PdfReader(out)
    assert len(reader.pages) == 2
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    assert sizes[0] == pytest.approx((612.0, 792.0))
    assert sizes[1] == pytest.approx((1240 * 72 / 150, 1754 * 72 / 150))
    assert "Furosemide" in reader.pages[0].extract_text()
    assert [p.name for p in tmp_path.iterdir()] == ["out.pdf"]  # no temp file left


def test_image_is_embedded_as_jpeg(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    write_two_pages(out)
    page = PdfReader(out).pages[0]
    xobjects = page["/Resources"]["/XObject"]
    image = next(iter(xobjects.values())).get_object()
    filters = image["/Filter"]
    names = [filters] if isinstance(filters, str) else list(filters)
    assert names == ["/DCTDecode"]  # the JPEG bytes as they are: no ASCII85 on top
    assert (image["/Width"], image["/Height"]) == (2550, 3300)


@pytest.mark.poppler
def test_pdftotext_finds_the_words_at_their_boxes(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    write_two_pages(out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True).stdout
    for word in ("Furosemide", "40mg", "daily", "Cardiology"):
        assert word in text.decode()
    bbox = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(out), "-"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    found = {
        m.group(5): tuple(float(m.group(i)) for i in range(1, 5))
        for m in re.finditer(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
            bbox,
        )
    }
    scale = 72 / 300
    for w in PAGE1:
        x0, y0, x1, y1 = found[w.text]  # points, origin top left, like the pixel boxes
        assert x0 == pytest.approx(w.left * scale, abs=2)
        assert x1 == pytest.approx((w.left + w.width) * scale, abs=2)
        assert y0 == pytest.approx(w.top * scale, abs=2)
        assert y1 == pytest.approx((w.top + w.height) * scale, abs=2)


def test_exception_inside_with_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    with pytest.raises(RuntimeError), SearchablePdfWriter(out) as pdf:
        pdf.add_page(page_image(850, 1100, PAGE2), 100, PAGE2)
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_only_replaced_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError), SearchablePdfWriter(out) as pdf:
        pdf.add_page(page_image(850, 1100, PAGE2), 100, PAGE2)
        raise RuntimeError("boom")
    assert out.read_bytes() == b"old"
    write_two_pages(out)
    assert out.read_bytes().startswith(b"%PDF")


def test_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        SearchablePdfWriter(tmp_path / "no-such-dir" / "out.pdf")
    assert "no-such-dir" not in str(info.value)


def test_no_pages_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError), SearchablePdfWriter(tmp_path / "out.pdf"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_unicode_and_odd_words_do_not_break_the_layer(tmp_path: Path) -> None:
    out = tmp_path / "out.pdf"
    words = [
        Word("10µg", 100, 100, 120, 40, 90.0),
        Word("(left)", 300, 100, 150, 40, 90.0),
        Word("back\\slash", 500, 100, 200, 40, 90.0),
        Word("café", 100, 200, 100, 40, 90.0),
        Word("", 300, 200, 100, 40, 90.0),
        Word("zero", 300, 300, 0, 40, 90.0),
    ]
    with SearchablePdfWriter(out) as pdf:
        pdf.add_page(page_image(850, 1100, words), 100, words)
    text = PdfReader(out).pages[0].extract_text()
    for word in ("10µg", "(left)", "back\\slash", "café"):
        assert word in text
