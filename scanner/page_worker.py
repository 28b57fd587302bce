"""Turn one page of one file into a ScannedPage: load, read barcodes, clean up, OCR.

This runs inside worker processes, so it takes only picklable arguments and loads the page
itself (a 500-page PDF is never held in memory, and page images never cross processes).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from chartroom.settings import Settings
from scanner import barcodes, cleanup, loaders, tesseract, text_layer
from scanner.types import (
    Barcode,
    CleanedPage,
    CleanupRecord,
    FileType,
    OcrResult,
    PageImage,
    ScannedPage,
    Word,
)

log = logging.getLogger(__name__)

# A first OCR pass with fewer words than this, or a confidence under settings.low_confidence,
# makes the worker ask Tesseract's orientation detection whether the page is upside down.
_MIN_WORDS_UPRIGHT = 8


@dataclass(frozen=True)
class PageJob:
    path: Path
    file_type: FileType
    number: int
    settings: Settings


def init_worker() -> None:
    """Process initializer: one thread per worker for Tesseract (OpenMP) and OpenCV."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    import cv2

    cv2.setNumThreads(1)


def process_page(job: PageJob) -> ScannedPage:
    started = time.perf_counter()
    settings = job.settings
    page = loaders.load_page(job.path, job.file_type, job.number, settings)
    found = barcodes.read_barcodes(page.image)
    separator = barcodes.is_separator(found, settings)
    height, width = page.image.shape[:2]

    layer = loaders.pdf_text_layer(job.path, job.file_type, job.number, settings)
    if layer is not None and text_layer.layer_is_whole_page(
        job.path, job.number, page.image, page.dpi, layer, settings
    ):
        log.debug("page %d: text layer used, no OCR", job.number)
        return _scanned(page, layer, CleanupRecord(), found, separator, settings, "pdf-text-layer")

    rotation = 0
    if "orient" in settings.cleanup and cleanup.looks_sideways(page.image):
        rotation, _conf = tesseract.detect_orientation(page.image, page.dpi, settings)
    cleaned = cleanup.clean_page(page, settings, rotation)
    if cleaned.blank:
        empty = OcrResult(text="", words=(), confidence=0.0)
        blank = _scanned(page, empty, cleaned.record, found, separator, settings, "none")
        return blank
    result = tesseract.ocr(cleaned.image, cleaned.dpi, settings)
    if "orient" in settings.cleanup and rotation == 0 and _doubtful(result, settings):
        rotation, _conf = tesseract.detect_orientation(page.image, page.dpi, settings)
        if rotation:
            retry = cleanup.clean_page(page, settings, rotation)
            second = tesseract.ocr(retry.image, retry.dpi, settings)
            if _quality(second) > _quality(result):
                cleaned, result = retry, second
    words = tuple(_to_original(w, cleaned, width, height) for w in result.words)
    mapped = OcrResult(text=result.text, words=words, confidence=result.confidence)
    record = cleaned.record
    record = CleanupRecord(
        rotation=record.rotation,
        deskew_angle=record.deskew_angle,
        scale=record.scale,
        steps=record.steps,
        seconds=time.perf_counter() - started,
    )
    return _scanned(page, mapped, record, found, separator, settings, "ocr")


def _doubtful(result: OcrResult, settings: Settings) -> bool:
    return len(result.words) < _MIN_WORDS_UPRIGHT or result.confidence < settings.low_confidence


def _quality(result: OcrResult) -> float:
    """Confident words found: upside-down text yields few words at low confidence."""
    return sum(w.confidence for w in result.words if w.confidence > 30)


def _to_original(word: Word, cleaned: CleanedPage, width: int, height: int) -> Word:
    left, top, w, h = cleanup.map_box(
        cleaned.to_original, word.left, word.top, word.width, word.height, width, height
    )
    return Word(word.text, left, top, w, h, word.confidence, word.block, word.line)


def _scanned(
    page: PageImage,
    result: OcrResult,
    record: CleanupRecord,
    found: tuple[Barcode, ...],
    separator: bool,
    settings: Settings,
    source: str,
) -> ScannedPage:
    height, width = page.image.shape[:2]
    blank = source == "none"
    return ScannedPage(
        number=page.number,
        width=width,
        height=height,
        dpi=page.dpi,
        text=result.text,
        confidence=result.confidence,
        blank=blank,
        low_confidence=(not blank) and result.confidence < settings.low_confidence,
        cleanup=record,
        barcodes=found,
        words=result.words,
        separator=separator,
        text_source=source,
    )
