"""The whole scanner on drawn pages, with the real tesseract, poppler and zxing."""

from __future__ import annotations

import stat
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from chartroom.errors import InternalError, OcrError, OcrTimeout
from chartroom.settings import Settings
from scanner.barcodes import make_barcode
from scanner.pipeline import scan, scan_many
from tests._drawing import save_png, text_page

pytestmark = pytest.mark.tesseract

WORDS = {"DISCHARGE", "SUMMARY", "furosemide", "congestive", "failure"}


def _found(doc_text: str) -> set[str]:
    return {w for w in WORDS if w in doc_text}


def _box_of(words: tuple, text: str) -> tuple[int, int, int, int]:  # type: ignore[type-arg]
    word = next(w for w in words if w.text == text)
    return word.left, word.top, word.width, word.height


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_page_is_read_and_boxes_stay_on_the_scan(
    tmp_path: Path, settings: Settings, rotation: int
) -> None:
    upright = text_page()
    turned = np.ascontiguousarray(np.rot90(upright, k=-rotation // 90))  # clockwise
    path = save_png(turned, tmp_path / "turned.png")
    page = scan(path, settings).pages[0]
    assert _found(page.text) == WORDS
    assert page.cleanup.rotation == (360 - rotation) % 360
    # The box of "DISCHARGE" must cover dark ink on the rotated scan itself.
    left, top, width, height = _box_of(page.words, "DISCHARGE")
    assert (page.width, page.height) == (turned.shape[1], turned.shape[0])
    region = turned[top : top + height, left : left + width]
    assert region.size > 0 and (region < 128).mean() > 0.1


def test_skewed_page_is_straightened_and_boxes_map_back(tmp_path: Path, settings: Settings) -> None:
    upright = text_page()
    h, w = upright.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 6.0, 1.0)
    skewed = cv2.warpAffine(upright, matrix, (w, h), borderValue=255)
    path = save_png(skewed, tmp_path / "skewed.png")
    page = scan(path, settings).pages[0]
    assert abs(abs(page.cleanup.deskew_angle) - 6.0) < 0.5
    assert _found(page.text) == WORDS
    left, top, width, height = _box_of(page.words, "furosemide")
    region = skewed[top : top + height, left : left + width]
    assert (region < 128).mean() > 0.05


def test_blank_page_is_kept_marked_and_not_read(tmp_path: Path, settings: Settings) -> None:
    blank = np.full((3300, 2550), 255, np.uint8)
    frames = [Image.fromarray(text_page()), Image.fromarray(blank)]
    path = tmp_path / "two.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(300, 300))
    doc = scan(path, settings)
    assert [p.blank for p in doc.pages] == [False, True]
    assert doc.pages[1].text == "" and doc.pages[1].words == ()
    assert doc.pages[1].text_source == "none" and not doc.pages[1].low_confidence


def test_separator_sheet_splits_the_batch(tmp_path: Path, settings: Settings) -> None:
    cover = text_page(("COVER SHEET", "Patient label below"))
    label = make_barcode("MRN:00424242", "Code128")
    cover[1500 : 1500 + label.shape[0], 300 : 300 + label.shape[1]] = label
    separator = np.full((3300, 2550), 255, np.uint8)
    code = make_barcode("CHARTROOM-SEPARATOR", "QRCode", scale=12)
    separator[600 : 600 + code.shape[0], 600 : 600 + code.shape[1]] = code
    pages = [cover, text_page(), separator, text_page()]
    path = tmp_path / "batch.pdf"
    images = [Image.fromarray(p) for p in pages]
    images[0].save(path, save_all=True, append_images=images[1:], resolution=300)
    doc = scan(path, settings)
    assert doc.pages[0].barcodes[0].text == "MRN:00424242"
    assert [p.separator for p in doc.pages] == [False, False, True, False]
    assert [[p.number for p in seg] for seg in doc.segments()] == [[1, 2], [4]]


def test_two_workers_give_the_same_pages_as_one(tmp_path: Path, settings: Settings) -> None:
    frames = [Image.fromarray(text_page()), Image.fromarray(np.rot90(text_page(), 2).copy())]
    path = tmp_path / "pages.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(300, 300))
    one = scan(path, settings)
    two = scan(path, settings.with_(workers=2))
    assert one.pages == two.pages


def _stand_in(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-tesseract"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_ocr_crash_fails_that_file_only(tmp_path: Path, settings: Settings) -> None:
    good = save_png(text_page(), tmp_path / "a.png")
    crashing = settings.with_(tesseract_cmd=_stand_in(tmp_path, "echo boom >&2; exit 3"))
    outcomes = list(scan_many([good, good], crashing))
    assert all(isinstance(o.error, OcrError) for o in outcomes)
    assert "boom" not in str(outcomes[0].error)


def test_ocr_hang_times_out(tmp_path: Path, settings: Settings) -> None:
    good = save_png(text_page(), tmp_path / "a.png")
    hanging = settings.with_(tesseract_cmd=_stand_in(tmp_path, "sleep 30"), ocr_timeout=1)
    with pytest.raises(OcrTimeout):
        scan(good, hanging)


def test_unexpected_bug_becomes_internal_error(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.pipeline as pipeline

    def explode(job: object) -> object:
        raise ZeroDivisionError("secret patient text")

    monkeypatch.setattr(pipeline, "process_page", explode)
    outcome = next(scan_many([save_png(text_page(), tmp_path / "a.png")], settings))
    assert isinstance(outcome.error, InternalError)
    assert "secret" not in str(outcome.error)


def test_many_files_share_the_worker_window_and_keep_order(
    tmp_path: Path, settings: Settings
) -> None:
    first = save_png(text_page(), tmp_path / "1.png")
    empty = tmp_path / "2.png"
    empty.write_bytes(b"")
    third = save_png(np.ascontiguousarray(np.rot90(text_page(), 2)), tmp_path / "3.png")
    outcomes = list(scan_many([first, empty, third], settings.with_(workers=2)))
    assert [o.source for o in outcomes] == [first, empty, third]
    assert [o.ok for o in outcomes] == [True, False, True]
    assert outcomes[2].document is not None
    assert _found(outcomes[2].document.pages[0].text) == WORDS
