"""Page cleanup on drawn pages: each step triggers when it should, and geometry maps back."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from chartroom.errors import EmptyImage
from chartroom.settings import CLEANUP_STEPS, Settings
from scanner.cleanup import clean_page, looks_sideways, map_box, page_resolution
from scanner.deskew import map_point, sideways_score
from scanner.types import IDENTITY, GrayImage, PageImage

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = (
    "Patient presented with chest pain radiating to the left arm.",
    "History of hypertension and type 2 diabetes mellitus, on metformin.",
    "Troponin elevated on arrival; ECG showed lateral ST depression.",
    "Started on aspirin 81 mg, clopidogrel 75 mg and atorvastatin 80 mg.",
    "Catheterisation: 90 percent LAD stenosis, treated with a stent.",
    "Discharged on day four; cardiology clinic follow up in two weeks.",
)


@cache
def _font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, px)


def text_page(
    dpi: int = 300,
    size_in: tuple[float, float] = (6.0, 6.5),
    lines: tuple[str, ...] = LINES * 2,
    ink: int = 20,
    pt: float = 12.0,
) -> GrayImage:
    """White page with left-aligned lines of text, 1 inch from the top-left corner."""
    w, h = round(size_in[0] * dpi), round(size_in[1] * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    px = round(pt * dpi / 72)
    y = dpi // 2
    for line in lines:
        draw.text((dpi // 2, y), line, font=_font(px), fill=ink)
        y += round(px * 1.5)
    return np.asarray(img, dtype=np.uint8).copy()


def skewed(img: GrayImage, angle: float) -> GrayImage:
    """Rotate content by `angle` degrees counter-clockwise (OpenCV), white fill, same size."""
    h, w = img.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=(255,))
    return np.asarray(out, dtype=np.uint8)


def only(*steps: str) -> Settings:
    return Settings().with_(cleanup=steps)


def page(img: GrayImage, dpi: int = 300, from_file: bool = True) -> PageImage:
    return PageImage(number=1, image=img, dpi=dpi, dpi_from_file=from_file)


@pytest.fixture(scope="module")
def upright() -> GrayImage:
    return text_page()


# --- deskew ------------------------------------------------------------------------------


@pytest.mark.parametrize("skew", [-15.0, -7.5, -3.0, 0.0, 2.0, 9.0, 15.0])
def test_deskew_recovers_angle(upright: GrayImage, skew: float) -> None:
    cleaned = clean_page(page(skewed(upright, skew)), only("deskew"))
    # deskewing rotates by the opposite of the skew
    assert cleaned.record.deskew_angle == pytest.approx(-skew, abs=0.5)
    assert ("deskew" in cleaned.record.steps) == (skew != 0.0)


def test_deskewed_text_lines_are_level(upright: GrayImage) -> None:
    cleaned = clean_page(page(skewed(upright, 6.0)), only("deskew"))
    rows_before = (skewed(upright, 6.0) < 128).sum(axis=1)
    rows_after = (cleaned.image < 128).sum(axis=1)
    # level lines leave fully empty rows between them; skewed ones do not
    assert np.count_nonzero(rows_after == 0) > np.count_nonzero(rows_before == 0) + 100


# --- rotation and sideways check ---------------------------------------------------------


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_applied_and_maps_back(upright: GrayImage, rotation: int) -> None:
    # the page went through the scanner turned (360 - rotation) clockwise
    scanned = np.ascontiguousarray(np.rot90(upright, k=rotation // 90))
    cleaned = clean_page(page(scanned), only("orient"), rotation=rotation)
    assert np.array_equal(cleaned.image, upright)
    assert cleaned.record.rotation == rotation
    assert cleaned.record.steps == ("orient",)
    rng = np.random.default_rng(rotation)
    h, w = cleaned.image.shape
    for x, y in zip(rng.integers(0, w, 50), rng.integers(0, h, 50), strict=True):
        ox, oy = map_point(cleaned.to_original, x + 0.5, y + 0.5)  # pixel centre
        assert scanned[int(oy), int(ox)] == cleaned.image[y, x]
        assert (ox % 1, oy % 1) == pytest.approx((0.5, 0.5))


def test_orient_skipped_when_not_configured(upright: GrayImage) -> None:
    cleaned = clean_page(page(upright), only("deskew"), rotation=90)
    assert cleaned.record.rotation == 0
    assert cleaned.image.shape == upright.shape


@pytest.mark.parametrize("k", [1, 3])
def test_looks_sideways(upright: GrayImage, k: int) -> None:
    assert not looks_sideways(upright)
    assert not looks_sideways(np.ascontiguousarray(np.rot90(upright, 2)))
    assert looks_sideways(np.ascontiguousarray(np.rot90(upright, k)))
    assert looks_sideways(np.ascontiguousarray(np.rot90(skewed(upright, 5.0), k)))


@pytest.mark.parametrize("skew", [0.0, 5.0, 11.0])
def test_sideways_score_has_a_wide_margin(upright: GrayImage, skew: float) -> None:
    img = skewed(upright, skew)
    assert sideways_score(img) < 0.5
    assert sideways_score(np.ascontiguousarray(np.rot90(img))) > 2.0


def test_blank_page_is_not_sideways() -> None:
    assert not looks_sideways(np.full((900, 700), 255, np.uint8))


# --- border, noise, resolution, background -----------------------------------------------


def test_border_whitens_black_frame(upright: GrayImage) -> None:
    framed = np.full((upright.shape[0] + 160, upright.shape[1] + 200), 15, np.uint8)
    framed[60:-100, 90:-110] = upright
    cleaned = clean_page(page(framed), only("border"))
    assert cleaned.record.steps == ("border",)
    out = cleaned.image
    assert out[:60].min() > 240 and out[:, -110:].min() > 240
    ink_before = np.count_nonzero(upright < 128)
    ink_after = np.count_nonzero(out[60:-100, 90:-110] < 128)
    assert ink_after > 0.98 * ink_before
    assert "border" not in clean_page(page(upright), only("border")).record.steps


def with_salt_and_pepper(img: GrayImage, amount: float, seed: int = 0) -> GrayImage:
    u = np.random.default_rng(seed).random(img.shape)
    out = img.copy()
    out[u < amount / 2] = 0
    out[u > 1 - amount / 2] = 255
    return out


def test_denoise_only_on_salt_and_pepper(upright: GrayImage) -> None:
    noisy = with_salt_and_pepper(upright, 0.02)
    cleaned = clean_page(page(noisy), only("denoise"))
    assert cleaned.record.steps == ("denoise",)
    margin = (slice(0, 100), slice(None))  # no text up there
    assert np.count_nonzero(noisy[margin] < 128) > 1000
    assert np.count_nonzero(cleaned.image[margin] < 128) < 20
    untouched = clean_page(page(upright), only("denoise"))
    assert untouched.record.steps == ()
    assert untouched.image is upright


def test_denoise_keeps_thin_strokes_at_low_resolution() -> None:
    fax = text_page(dpi=100, ink=0)
    fax = np.where(fax < 160, 0, 255).astype(np.uint8)  # 1-2 px bilevel strokes
    cleaned = clean_page(page(with_salt_and_pepper(fax, 0.02), dpi=100), only("denoise"))
    assert cleaned.record.steps == ("denoise",)
    kept = np.count_nonzero((fax == 0) & (cleaned.image < 128))
    assert kept > 0.9 * np.count_nonzero(fax == 0)


def test_upscale_low_resolution_only() -> None:
    low = text_page(dpi=100)
    cleaned = clean_page(page(low, dpi=100), only("upscale"))
    assert cleaned.record.scale == pytest.approx(3.0)
    assert cleaned.dpi == 300
    assert cleaned.image.shape == (low.shape[0] * 3, low.shape[1] * 3)
    assert cleaned.record.steps == ("upscale",)
    high = clean_page(page(text_page(dpi=300)), only("upscale"))
    assert high.record.scale == 1.0 and high.dpi == 300 and high.record.steps == ()


def test_resolution_guessed_for_small_image_without_dpi() -> None:
    fax = np.full((1100, 850), 255, np.uint8)  # letter page at 100 dpi, no dpi in the file
    assert page_resolution(page(fax, dpi=300, from_file=False)) == (100.0, True)
    assert page_resolution(page(fax, dpi=100)) == (100.0, False)
    full = np.full((3300, 2550), 255, np.uint8)
    assert page_resolution(page(full, dpi=300, from_file=False)) == (300.0, False)
    assert page_resolution(page(full, dpi=72)) == (300.0, True)  # 46 inches: not believed
    cleaned = clean_page(page(text_page(dpi=100, size_in=(8.5, 11)), 300, False), only("upscale"))
    assert cleaned.record.scale == pytest.approx(3.0) and cleaned.dpi == 300


def test_background_flattens_gradient(upright: GrayImage) -> None:
    h, w = upright.shape
    ramp = np.linspace(0.55, 1.0, w, dtype=np.float32)[None, :] * np.ones((h, 1), np.float32)
    shaded = (upright.astype(np.float32) * ramp).astype(np.uint8)
    paper = upright > 250
    cleaned = clean_page(page(shaded), only("background"))
    assert cleaned.record.steps == ("background",)
    assert shaded[paper].std() > 20
    assert cleaned.image[paper].std() < 4
    assert cleaned.image[paper].mean() > 245
    assert np.median(cleaned.image[upright < 60]) < 90  # ink stays dark: no washing out
    assert "background" not in clean_page(page(upright), only("background")).record.steps


# --- blank pages -------------------------------------------------------------------------


def test_empty_page_is_blank() -> None:
    cleaned = clean_page(page(np.full((3300, 2550), 250, np.uint8)), Settings())
    assert cleaned.blank
    assert "deskew" not in cleaned.record.steps


def test_page_with_specks_is_blank() -> None:
    img = np.full((3300, 2550), 255, np.uint8)
    rng = np.random.default_rng(1)
    for x, y, r in zip(
        rng.integers(0, 2550, 300), rng.integers(0, 3300, 300), rng.integers(1, 4, 300), strict=True
    ):
        cv2.circle(img, (int(x), int(y)), int(r), (30,), -1)
    assert clean_page(page(img), Settings()).blank
    assert not clean_page(page(img), only("border")).blank  # detection only when configured


def test_faint_text_page_is_not_blank() -> None:
    img = text_page(size_in=(8.5, 11), lines=LINES[:3], ink=185, pt=10)
    assert not clean_page(page(img), Settings()).blank
    word = text_page(size_in=(8.5, 11), lines=("Void",), ink=185, pt=12)
    assert not clean_page(page(word), Settings()).blank


def test_hole_punches_on_empty_page_are_blank() -> None:
    img = np.full((3300, 2550), 255, np.uint8)
    for y in (600, 1650, 2700):
        cv2.circle(img, (150, y), 36, (40,), -1)
    assert clean_page(page(img), Settings()).blank


# --- mapping back --------------------------------------------------------------------------


def _largest_blob(img: GrayImage) -> tuple[int, int, int, int]:
    """Bounding box (left, top, right, bottom) of the largest dark component."""
    _, _, stats, _ = cv2.connectedComponentsWithStats((img < 128).view(np.uint8))
    x, y, w, h, _ = stats[1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))]
    return int(x), int(y), int(x + w), int(y + h)


def test_map_box_round_trip_through_deskew_and_scale() -> None:
    upright = text_page(dpi=100, size_in=(8.5, 11))
    cv2.rectangle(upright, (500, 900), (620, 960), 0, -1)  # a solid marker below the text
    scanned = skewed(upright, 4.0)
    cleaned = clean_page(page(scanned, dpi=100), only("deskew", "upscale"))
    assert cleaned.record.steps == ("deskew", "upscale")
    left, top, right, bottom = _largest_blob(cleaned.image)
    assert right - left > 3 * 118  # upscaled 3x and level again
    h, w = scanned.shape
    x, y, bw, bh = map_box(cleaned.to_original, left, top, right - left, bottom - top, w, h)
    # the level marker's box, mapped back, is the hull of the skewed marker in the scan
    assert (x, y, x + bw, y + bh) == pytest.approx(_largest_blob(scanned), abs=2)


def test_map_box_clips_to_page() -> None:
    assert map_box(IDENTITY, -5, -5, 20, 20, 100, 100) == (0, 0, 15, 15)
    assert map_box(IDENTITY, 90, 95, 20, 20, 100, 100) == (90, 95, 10, 5)
    assert map_box(((2.0, 0.0, 1.0), (0.0, 2.0, 0.0)), 1, 1, 2, 3, 100, 100) == (3, 2, 4, 6)


# --- whole pipeline ------------------------------------------------------------------------


def test_nothing_configured_changes_nothing(upright: GrayImage) -> None:
    cleaned = clean_page(page(skewed(upright, 5.0)), only(), rotation=90)
    assert cleaned.record.steps == () and cleaned.to_original == IDENTITY
    assert not cleaned.blank and cleaned.dpi == 300


def test_all_steps_on_degraded_page(upright: GrayImage) -> None:
    scan = skewed(upright, -4.0)
    framed = np.full((scan.shape[0] + 120, scan.shape[1] + 120), 20, np.uint8)
    framed[60:-60, 60:-60] = with_salt_and_pepper(scan, 0.01)
    cleaned = clean_page(page(framed), only(*CLEANUP_STEPS))
    assert cleaned.record.steps == ("border", "denoise", "deskew")
    assert cleaned.record.deskew_angle == pytest.approx(4.0, abs=0.3)
    assert not cleaned.blank


def test_bad_input_is_refused() -> None:
    with pytest.raises(EmptyImage):
        clean_page(page(np.zeros((0, 10), np.uint8)), Settings())
    with pytest.raises(ValueError):
        clean_page(page(np.full((50, 50), 255, np.uint8)), Settings(), rotation=45)


def test_tiny_page_does_not_crash() -> None:
    cleaned = clean_page(page(np.full((7, 5), 200, np.uint8), dpi=300), Settings(), rotation=90)
    assert cleaned.image.shape == (5, 7)
