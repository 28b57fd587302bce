"""scanner.tesseract against the real tesseract (marked), and stand-ins for the failure paths."""

from __future__ import annotations

import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from chartroom.errors import MissingDependency, OcrError, OcrTimeout
from chartroom.settings import Settings
from scanner import tesseract
from scanner.types import OcrResult

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DPI = 300
LINES = (
    "Discharge note for the admission in March",
    "The patient presented with shortness of breath",
    "Chest radiograph showed bilateral pleural effusions",
    "Treated with furosemide and oxygen overnight",
    "Follow up in cardiology clinic within two weeks",
    "Continue lisinopril and metoprolol at home",
)

Box = tuple[int, int, int, int]  # left, top, right, bottom


def draw_page(lines: tuple[str, ...] = LINES) -> tuple[np.ndarray, list[tuple[str, Box]]]:
    """A 300 dpi letter page with 14 pt lines; returns the image and each word's ink box."""
    image = Image.new("L", (int(8.5 * DPI), int(11 * DPI)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, int(14 * DPI / 72))
    space = draw.textlength(" ", font=font)
    boxes: list[tuple[str, Box]] = []
    y = DPI
    for line in lines:
        x = float(DPI)
        for word in line.split():
            draw.text((x, y), word, fill=0, font=font)
            boxes.append((word, ink_box(word, font, x, y)))
            x += draw.textlength(word, font=font) + space
        y += int(14 * DPI / 72 * 1.8)
    return np.asarray(image, dtype=np.uint8).copy(), boxes


def ink_box(word: str, font: ImageFont.FreeTypeFont, x: float, y: float) -> Box:
    """The box of the pixels `word` inks when drawn at (x, y): what tesseract reports."""
    left, top, right, bottom = (
        int(v) for v in ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((x, y), word, font=font)
    )
    scratch = Image.new("L", (right - left + 20, bottom - top + 20), 255)
    ImageDraw.Draw(scratch).text((x - left + 10, y - top + 10), word, fill=0, font=font)
    rows, cols = np.nonzero(np.asarray(scratch) < 128)
    return (
        left - 10 + int(cols.min()),
        top - 10 + int(rows.min()),
        left - 10 + int(cols.max()) + 1,
        top - 10 + int(rows.max()) + 1,
    )


@pytest.fixture(scope="module")
def page() -> tuple[np.ndarray, list[tuple[str, Box]]]:
    return draw_page()


@pytest.fixture(scope="module")
def page_result(page: tuple[np.ndarray, list[tuple[str, Box]]]) -> OcrResult:
    return tesseract.ocr(page[0], DPI, Settings())


def stand_in(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-tesseract"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_child_processes_run_single_threaded() -> None:
    assert os.environ["OMP_THREAD_LIMIT"] == "1"


@pytest.mark.tesseract
def test_ocr_finds_words_where_they_were_drawn(
    page: tuple[np.ndarray, list[tuple[str, Box]]], page_result: OcrResult
) -> None:
    _, drawn = page
    found = {(w.text, w.left, w.top): w for w in page_result.words}
    assert page_result.confidence > 80
    for text, (left, top, right, bottom) in drawn:
        matches = [
            w
            for w in page_result.words
            if w.text.casefold() == text.casefold() and abs(w.left - left) <= 4
        ]
        assert matches, f"{text!r} not found"
        word = min(matches, key=lambda w: abs(w.top - top))
        assert abs(word.top - top) <= 4
        assert abs(word.left + word.width - right) <= 4
        assert abs(word.top + word.height - bottom) <= 4
        assert word.confidence > 50
    assert len(found) == len(drawn)


@pytest.mark.tesseract
def test_ocr_text_keeps_line_order(page_result: OcrResult) -> None:
    text_lines = [line for line in page_result.text.splitlines() if line.strip()]
    assert [line.casefold() for line in text_lines] == [line.casefold() for line in LINES]
    lines = [w.line for w in page_result.words]
    assert lines == sorted(lines)
    assert len(set(lines)) == len(LINES)
    assert page_result.confidence == pytest.approx(
        sum(w.confidence for w in page_result.words) / len(page_result.words)
    )


@pytest.mark.tesseract
def test_empty_page_has_no_words() -> None:
    result = tesseract.ocr(np.full((1100, 850), 255, np.uint8), 100, Settings())
    assert result.words == ()
    assert result.text == ""
    assert result.confidence == 0


@pytest.mark.tesseract
@pytest.mark.parametrize(
    ("turn", "expected"),
    [
        (None, 0),
        (cv2.ROTATE_90_CLOCKWISE, 270),
        (cv2.ROTATE_180, 180),
        (cv2.ROTATE_90_COUNTERCLOCKWISE, 90),
    ],
)
def test_detect_orientation_gives_the_clockwise_fix(
    page: tuple[np.ndarray, list[tuple[str, Box]]], turn: int | None, expected: int
) -> None:
    upright = page[0]
    turned = upright if turn is None else cv2.rotate(upright, turn)
    rotation, confidence = tesseract.detect_orientation(turned, DPI, Settings())
    assert rotation == expected
    assert confidence > 0
    fix = {
        0: None,
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }[rotation]
    fixed = turned if fix is None else cv2.rotate(turned, fix)
    assert np.array_equal(fixed, upright)


@pytest.mark.tesseract
def test_detect_orientation_without_text_is_unknown() -> None:
    blank = np.full((3300, 2550), 255, np.uint8)
    assert tesseract.detect_orientation(blank, DPI, Settings()) == (0, 0.0)


@pytest.mark.tesseract
def test_version_and_languages() -> None:
    settings = Settings()
    version = tesseract.version(settings)
    assert version is not None
    assert version.split(".")[0].isdigit()
    langs = tesseract.languages(settings)
    assert "eng" in langs
    assert "osd" in langs


@pytest.mark.tesseract
def test_missing_language_data_is_a_missing_dependency() -> None:
    settings = Settings().with_(ocr_language="zzz")
    with pytest.raises(MissingDependency) as info:
        tesseract.ocr(np.full((200, 200), 255, np.uint8), 300, settings)
    assert "tesseract-ocr-zzz" in info.value.hint


def test_missing_program_is_a_missing_dependency(tmp_path: Path) -> None:
    settings = Settings().with_(tesseract_cmd=str(tmp_path / "no-such-tesseract"))
    with pytest.raises(MissingDependency) as info:
        tesseract.ocr(np.full((100, 100), 255, np.uint8), 300, settings)
    assert "apt-get install tesseract-ocr" in info.value.hint
    assert tesseract.version(settings) is None
    assert tesseract.languages(settings) == []


def test_hung_tesseract_times_out(tmp_path: Path) -> None:
    settings = Settings().with_(tesseract_cmd=stand_in(tmp_path, "exec sleep 30"), ocr_timeout=1)
    start = time.monotonic()
    with pytest.raises(OcrTimeout):
        tesseract.ocr(np.full((100, 100), 255, np.uint8), 300, settings)
    assert time.monotonic() - start < 2.5


def test_failing_tesseract_is_an_ocr_error_without_its_output(tmp_path: Path) -> None:
    body = 'echo "garbage Patient Name /records/smith.png" >&2; exit 1'
    settings = Settings().with_(tesseract_cmd=stand_in(tmp_path, body))
    with pytest.raises(OcrError) as info:
        tesseract.ocr(np.full((100, 100), 255, np.uint8), 300, settings)
    assert type(info.value) is OcrError
    assert "Patient" not in str(info.value)
    assert "smith" not in str(info.value)


def test_tesseract_that_writes_nothing_is_an_ocr_error(tmp_path: Path) -> None:
    settings = Settings().with_(tesseract_cmd=stand_in(tmp_path, "exit 0"))
    with pytest.raises(OcrError):
        tesseract.ocr(np.full((100, 100), 255, np.uint8), 300, settings)
