"""scanner.barcodes: codes made with zxing, pasted into a 300 dpi page, read back."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from chartroom.settings import Settings
from scanner.barcodes import is_separator, make_barcode, read_barcodes
from scanner.types import Barcode

PAGE = (3300, 2550)  # letter at 300 dpi, rows x columns


def blank_page() -> np.ndarray:
    return np.full(PAGE, 255, np.uint8)


def paste(page: np.ndarray, symbol: np.ndarray, left: int, top: int) -> tuple[int, int, int, int]:
    """Paste `symbol`; return the box of its dark modules (left, top, right, bottom)."""
    h, w = symbol.shape
    page[top : top + h, left : left + w] = symbol
    rows, cols = np.nonzero(symbol < 128)
    return (
        left + int(cols.min()),
        top + int(rows.min()),
        left + int(cols.max()),
        top + int(rows.max()),
    )


def covers(code: Barcode, box: tuple[int, int, int, int], slack: int = 6) -> bool:
    left, top, right, bottom = box
    return (
        abs(code.left - left) <= slack
        and abs(code.left + code.width - 1 - right) <= slack
        # linear codes report the rows zxing scanned: inside the bars, not all of them
        and top - slack <= code.top <= bottom
        and top <= code.top + code.height - 1 <= bottom + slack
    )


CASES = [
    ("Code128", "CHARTROOM-SEPARATOR-0001"),
    ("Code39", "MRN-0042137"),
    ("QRCode", "chartroom:record/8812"),
    ("DataMatrix", "LAB-55-201"),
    ("PDF417", "ACCESSION 99-1234"),
]


TURNS = {
    0: None,
    90: cv2.ROTATE_90_CLOCKWISE,
    180: cv2.ROTATE_180,
    270: cv2.ROTATE_90_COUNTERCLOCKWISE,
}


@pytest.mark.parametrize("turn", sorted(TURNS), ids=[f"rot{t}" for t in sorted(TURNS)])
@pytest.mark.parametrize(("fmt", "text"), CASES, ids=[c[0] for c in CASES])
def test_reads_pasted_barcode(fmt: str, text: str, turn: int) -> None:
    symbol = make_barcode(text, fmt, scale=4)
    code = TURNS[turn]
    if code is not None:
        symbol = np.ascontiguousarray(cv2.rotate(symbol, code))
    page = blank_page()
    box = paste(page, symbol, 700, 1200)
    codes = read_barcodes(page)
    assert [(c.format, c.text) for c in codes] == [(fmt, text)]
    assert covers(codes[0], box), (codes[0], box)


def test_reads_several_codes_sorted_top_to_bottom() -> None:
    page = blank_page()
    boxes = [
        paste(page, make_barcode("FIRST-1", "Code128"), 1200, 200),
        paste(page, make_barcode("second", "QRCode"), 300, 1500),
        paste(page, make_barcode("THIRD-3", "Code39"), 400, 2800),
    ]
    codes = read_barcodes(page)
    assert [c.text for c in codes] == ["FIRST-1", "second", "THIRD-3"]
    for code, box in zip(codes, boxes, strict=True):
        assert covers(code, box)


def test_page_without_barcodes() -> None:
    assert read_barcodes(blank_page()) == ()
    noise = np.random.default_rng(0).integers(0, 256, size=(800, 600), dtype=np.uint8)
    assert read_barcodes(noise) == ()


def test_rejects_colour_images() -> None:
    with pytest.raises(ValueError):
        read_barcodes(np.zeros((10, 10, 3), np.uint8))


def test_make_barcode_is_grey_with_a_quiet_zone() -> None:
    symbol = make_barcode("X1", "Code128", scale=2)
    assert symbol.dtype == np.uint8 and symbol.ndim == 2
    assert (symbol[:, :8] == 255).all()
    with pytest.raises(ValueError):
        make_barcode("X1", "NoSuchFormat")


def _code(text: str) -> Barcode:
    return Barcode(format="Code128", text=text, left=0, top=0, width=10, height=10)


def test_separator_detection() -> None:
    settings = Settings()
    assert is_separator([_code("CHARTROOM-SEPARATOR")], settings)
    assert is_separator([_code("MRN-1"), _code("chartroom-separator-0007")], settings)
    assert not is_separator([_code("MRN-CHARTROOM-SEPARATOR")], settings)
    assert not is_separator([], settings)
    assert is_separator([_code("BATCH-7")], settings.with_(separator_prefix="batch"))


def test_separator_read_from_a_page() -> None:
    page = blank_page()
    paste(page, make_barcode("CHARTROOM-SEPARATOR-0001", "Code128"), 600, 1500)
    assert is_separator(read_barcodes(page), Settings())
    assert not is_separator(read_barcodes(blank_page()), Settings())
