"""Whether a PDF page's text layer can stand in for OCR.

A born-digital page (a letter printed to PDF) carries its whole text and is read without OCR.
A scanned page usually has no text layer, but some do carry a little: a fax server's header line
("Page 1 of 3  From: ..."), a Bates number, a "RECEIVED" stamp added by software. Trusting such a
layer would store the page with only the stamp's words, so the chart's own text would never be
searched or filed. A full OCR layer (a scanner's "searchable PDF", OCRmyPDF output) is fine to
keep.

The rule: when raster images cover at least `MIN_IMAGE_COVERAGE` of the page (a scan), the text
layer is used only if its word boxes cover at least `MIN_INK_COVERED` of the dark pixels of the
rendered page; otherwise the page is OCR'd. Pages without a page-sized image keep their layer.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from chartroom.settings import Settings
from scanner import poppler
from scanner.types import GrayImage, OcrResult, Word

log = logging.getLogger(__name__)

MIN_IMAGE_COVERAGE = 0.5
"""Share of the page area under raster images from which a page counts as scanned."""

MIN_INK_COVERED = 0.6
"""Share of a scanned page's dark pixels that the text layer's word boxes must cover."""

INK_LEVEL = 128
"""Grey level below which a pixel of the rendered page counts as ink."""


def ink_covered(image: GrayImage, words: tuple[Word, ...]) -> float:
    """The share of the page's dark pixels that lie inside (slightly padded) word boxes."""
    ink = image < INK_LEVEL
    total = int(np.count_nonzero(ink))
    if total == 0:
        return 1.0
    mask = np.zeros(image.shape[:2], dtype=bool)
    pad = max(2, image.shape[1] // 400)
    for word in words:
        top, left = max(0, word.top - pad), max(0, word.left - pad)
        mask[top : word.top + word.height + pad, left : word.left + word.width + pad] = True
    return int(np.count_nonzero(ink & mask)) / total


def layer_is_whole_page(
    path: Path, number: int, image: GrayImage, dpi: int, layer: OcrResult, settings: Settings
) -> bool:
    """True when `layer` may replace OCR for page `number` (rendered as `image` at `dpi`)."""
    height, width = image.shape[:2]  # the rendered MediaBox: its area needs no second pdfinfo
    area = (width * poppler.POINTS_PER_INCH / dpi) * (height * poppler.POINTS_PER_INCH / dpi)
    coverage = poppler.page_image_coverage(path, number, area, settings)
    if coverage < MIN_IMAGE_COVERAGE:
        return True
    covered = ink_covered(image, layer.words)
    if covered >= MIN_INK_COVERED:
        return True
    log.info(
        "page %d: scanned image with a partial text layer (%.0f%% of the ink); OCR instead",
        number,
        covered * 100,
    )
    return False
