"""Page cleanup before OCR: orientation, border, noise, skew, resolution, shading, blank pages.

`clean_page` runs the steps named in `settings.cleanup` in a fixed order and records which of
them changed the image; docs/cleanup.md says what each step does, why, and what it costs.
Geometry (rotation, skew, scale) lives in `scanner.deskew`; the composed inverse of the
geometric steps is returned as `CleanedPage.to_original` so OCR boxes map back onto the scan.
Nothing here binarises the page: binarisation hurt OCR on noisy pages (shared findings).
"""

from __future__ import annotations

import logging
import math
import time

import cv2
import numpy as np
import numpy.typing as npt

from chartroom.errors import EmptyImage
from chartroom.settings import Settings
from scanner.deskew import (
    ANALYSIS_DPI,
    Matrix,
    estimate_skew,
    ink_mask,
    looks_sideways,
    map_box,
    reduction,
    resize,
    rotate_free,
    rotate_right_angle,
    shrink,
    to_affine,
)
from scanner.types import CleanedPage, CleanupRecord, GrayImage, PageImage

__all__ = ["clean_page", "is_blank", "looks_sideways", "map_box", "page_resolution"]

log = logging.getLogger(__name__)

MM_PER_INCH = 25.4
# resolution
LETTER_LONG_IN = 11.0  # long side assumed when the resolution has to be guessed from size
SMALL_PAGE_PX = 1400  # no dpi in the file and a long side below this: a ~100 dpi fax
MAX_PAGE_IN = 20.0  # a stated dpi implying a longer page than this is not believed
MAX_UPSCALE = 4.0
# deskew
MIN_DESKEW_DEG = 0.2  # smaller skew is left alone (the rotation would only blur)
# border
BORDER_DARK = 100  # grey level below which a quarter-scale pixel can be scanner bed
MIN_BORDER_MM = 3.0  # an edge-touching dark region must cover at least this squared
# denoise
NOISE_DARK, NOISE_LIGHT = 100, 160
NOISE_FRACTION = 0.001  # isolated dark or light pixels above this share: salt-and-pepper
NOISE_BANDS, NOISE_BAND_ROWS = 8, 64
MEDIAN_MIN_DPI = 200  # below this strokes may be 1 px wide: only isolated pixels are filtered
# background
BACKGROUND_DPI = 37.5  # background estimated on a ~1/8 copy of a 300 dpi page
BACKGROUND_MM = 8.0  # dark features narrower than this are not background
FLAT_PAPER = 245  # background already this light nearly everywhere: nothing to normalise
# blank
BLANK_DPI = 150
BLANK_CONTRAST = 30  # faint text is ~40-90 levels below the paper; bleed-through ~10-30
SPECK_MM = 0.8  # components smaller than this both ways are dust, not ink
BLOB_MM = 4.0  # solid blobs at least this big both ways are hole punches, not text
BLANK_INK_MM2 = 3.0  # less ink than this (about three characters): the page is blank


def clean_page(page: PageImage, settings: Settings, rotation: int = 0) -> CleanedPage:
    """Clean one page for OCR. `rotation` (0/90/180/270) is applied clockwise first.

    Steps run in this order, each only when named in `settings.cleanup`: orient, border,
    denoise, blank (a blank page is returned at once, marked, without the remaining steps),
    deskew, upscale, background.
    """
    start = time.perf_counter()
    image = page.image
    if image.size == 0:
        raise EmptyImage(f"page {page.number} has no pixels")
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("clean_page needs a 2-D uint8 greyscale image")
    rotation %= 360
    if rotation % 90:
        raise ValueError(f"rotation must be a multiple of 90 degrees, not {rotation}")
    wanted = set(settings.cleanup)
    dpi, _ = page_resolution(page)
    inverse: Matrix = np.eye(3)
    steps: list[str] = []
    applied_rotation, angle, scale = 0, 0.0, 1.0

    def changed(step: str, out: GrayImage | None) -> None:
        nonlocal image
        if out is not None:
            image = out
            steps.append(step)

    if "orient" in wanted and rotation:
        out, inv = rotate_right_angle(image, rotation)
        inverse, applied_rotation = inverse @ inv, rotation
        changed("orient", out)
    if "border" in wanted:
        changed("border", whiten_border(image, dpi))
    if "denoise" in wanted:
        changed("denoise", denoise(image, dpi))
    blank = "blank" in wanted and is_blank(image, dpi)
    if not blank and "deskew" in wanted:
        found = estimate_skew(image, dpi)
        if abs(found) >= MIN_DESKEW_DEG:
            out, inv = rotate_free(image, found)
            inverse, angle = inverse @ inv, found
            changed("deskew", out)
    if not blank and "upscale" in wanted:
        factor = upscale_factor(dpi, image.shape, settings)
        if factor > 1.0:
            out, inv = resize(image, factor)
            inverse, scale, dpi = inverse @ inv, factor, dpi * factor
            changed("upscale", out)
    if not blank and "background" in wanted:
        changed("background", normalise_background(image, dpi))
    seconds = time.perf_counter() - start
    record = CleanupRecord(applied_rotation, angle, scale, tuple(steps), seconds)
    log.debug("page %d cleaned in %.0f ms: %s", page.number, seconds * 1000, ",".join(steps))
    return CleanedPage(image, max(1, round(dpi)), to_affine(inverse), record, blank)


def page_resolution(page: PageImage) -> tuple[float, bool]:
    """The page's resolution and whether it was estimated from the pixel size.

    A dpi from the file is believed unless it implies a page longer than 20 inches (a 300 dpi
    scan labelled 72 dpi). Without a dpi in the file, `page.dpi` is the configured default,
    believed unless the long side is under 1400 px: such an image is taken for a ~100 dpi
    letter/A4 fax and its dpi estimated as long side / 11 inches.
    """
    long_px = max(page.image.shape)
    if page.dpi > 0 and page.dpi_from_file and long_px / page.dpi <= MAX_PAGE_IN:
        return float(page.dpi), False
    if page.dpi > 0 and not page.dpi_from_file and long_px >= SMALL_PAGE_PX:
        return float(page.dpi), False
    return max(1.0, long_px / LETTER_LONG_IN), True


def upscale_factor(dpi: float, shape: tuple[int, ...], settings: Settings) -> float:
    """Bicubic scale taking a low-resolution page to about upscale_target_dpi (1.0: none);
    at most 4x and never past the page-pixel limit."""
    if dpi >= settings.upscale_below_dpi:
        return 1.0
    factor = min(settings.upscale_target_dpi / dpi, MAX_UPSCALE)
    factor = min(factor, math.sqrt(settings.max_page_pixels / (shape[0] * shape[1])))
    return factor if factor > 1.05 else 1.0


def _mm(mm: float, dpi: float) -> float:
    return mm * dpi / MM_PER_INCH


def _level(image: GrayImage, fraction: float) -> int:
    """Grey level below which `fraction` of the pixels lie (a fast percentile)."""
    cumulative = np.cumsum(np.bincount(image.ravel(), minlength=256))
    return int(np.searchsorted(cumulative, fraction * cumulative[-1]))


def whiten_border(image: GrayImage, dpi: float) -> GrayImage | None:
    """Whiten dark regions touching the image edge (scanner bed, black fax edges), found on a
    quarter-scale copy where thin strokes and rules are grey. Nothing is cropped."""
    factor = reduction(dpi, ANALYSIS_DPI)
    small = shrink(image, factor)
    threshold = min(BORDER_DARK, _level(small, 0.9) // 2)
    dark = (small < threshold).astype(np.uint8)
    rims = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
    if not rims.any():
        return None
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    min_area = _mm(MIN_BORDER_MM, dpi / factor) ** 2
    keep = [int(i) for i in edge if i and stats[i, cv2.CC_STAT_AREA] >= min_area]
    if not keep:
        return None
    found = np.isin(labels, keep).astype(np.uint8) * 255
    mask = cv2.dilate(found, np.ones((3, 3), np.uint8))  # the grey rim between bed and paper
    h, w = image.shape
    full = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    return np.asarray(cv2.max(image, full), dtype=np.uint8)


def _isolated(image: GrayImage, median: GrayImage) -> npt.NDArray[np.bool_]:
    """Dark pixels on light paper, or light pixels in dark ink, with at most one like
    neighbour: salt-and-pepper, not strokes (a 1 px stroke pixel has two like neighbours)."""
    dark = image < NOISE_DARK
    light = image > NOISE_LIGHT
    ones = (3, 3)
    dark_n = cv2.boxFilter(dark.view(np.uint8), -1, ones, normalize=False)
    light_n = cv2.boxFilter(light.view(np.uint8), -1, ones, normalize=False)
    pepper = dark & (dark_n <= 2) & (median > NOISE_LIGHT)
    salt = light & (light_n <= 2) & (median < NOISE_DARK)
    return np.asarray(pepper | salt)


def has_salt_and_pepper(image: GrayImage) -> bool:
    """Whether isolated black/white pixels exceed NOISE_FRACTION, judged on 8 bands of rows."""
    h = image.shape[0]
    if h > 2 * NOISE_BANDS * NOISE_BAND_ROWS:
        starts = np.linspace(0, h - NOISE_BAND_ROWS, NOISE_BANDS).astype(int)
        sample = np.concatenate([image[s : s + NOISE_BAND_ROWS] for s in starts])
    else:
        sample = image
    noise = _isolated(sample, np.asarray(cv2.medianBlur(sample, 3)))
    return bool(np.count_nonzero(noise) > NOISE_FRACTION * sample.size)


def denoise(image: GrayImage, dpi: float) -> GrayImage | None:
    """3x3 median filter, only when salt-and-pepper noise is detected. Below 200 dpi only the
    isolated pixels are replaced, so 1 px strokes of low-resolution faxes survive."""
    if not has_salt_and_pepper(image):
        return None
    median = np.asarray(cv2.medianBlur(image, 3), dtype=np.uint8)
    if dpi >= MEDIAN_MIN_DPI:
        return median
    return np.where(_isolated(image, median), median, image)


def normalise_background(image: GrayImage, dpi: float) -> GrayImage | None:
    """Divide by a blurred background estimate (morphological close on a ~1/8 copy), so
    shading and grey paper become white and ink keeps its contrast. No binarisation.

    The estimate is floored at half the paper level, so a large dark area (a black bar with
    white text) stays dark instead of being flattened to white.
    """
    factor = reduction(dpi, BACKGROUND_DPI)
    small = shrink(image, factor)
    k = max(3, round(_mm(BACKGROUND_MM, dpi / factor)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    closed = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    background = np.asarray(cv2.blur(closed, (k, k)), dtype=np.uint8)
    if _level(background, 0.02) >= FLAT_PAPER:
        return None
    floor = _level(background, 0.95) // 2
    background = np.maximum(background, max(floor, 1)).astype(np.uint8)
    h, w = image.shape
    full = cv2.resize(background, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.asarray(cv2.divide(image, full, scale=255), dtype=np.uint8)


def is_blank(image: GrayImage, dpi: float) -> bool:
    """Whether a page carries (almost) no ink, judged on a ~150 dpi copy.

    Ink is anything 30 grey levels darker than the local paper (faint print counts). Dust
    specks (under 0.8 mm both ways) and solid blobs (4 mm+ both ways: hole punches) are
    ignored; a page with under 3 mm2 of remaining ink (about three characters) is blank.
    """
    factor = reduction(dpi, BLANK_DPI)
    small = shrink(image, factor)
    sdpi = dpi / factor
    px_per_mm2 = _mm(1.0, sdpi) ** 2
    mask = ink_mask(small, radius=max(2, round(_mm(2.0, sdpi))), contrast=BLANK_CONTRAST)
    if np.count_nonzero(mask) > 100 * BLANK_INK_MM2 * px_per_mm2:
        return False  # plenty of ink: skip the component analysis
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    stats = stats[1:]
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    area = stats[:, cv2.CC_STAT_AREA]
    speck = np.maximum(w, h) < _mm(SPECK_MM, sdpi)
    blob = (np.minimum(w, h) >= _mm(BLOB_MM, sdpi)) & (area > 0.6 * w * h)
    ink_mm2 = float(area[~speck & ~blob].sum()) / px_per_mm2
    return ink_mm2 < BLANK_INK_MM2
