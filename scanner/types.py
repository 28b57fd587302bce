"""Typed records handed between the scanner's stages (all frozen)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

GrayImage = npt.NDArray[np.uint8]
"""A 2-D uint8 greyscale page image (row-major, 0 = black, 255 = white)."""

Affine = tuple[tuple[float, float, float], tuple[float, float, float]]
"""A 2x3 affine matrix: (x, y) in the cleaned image -> (x', y') in the original page."""

IDENTITY: Affine = ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0))


class FileType(StrEnum):
    PDF = "pdf"
    TIFF = "tiff"
    PNG = "png"
    JPEG = "jpeg"


@dataclass(frozen=True)
class PageImage:
    """One page as loaded from the file, before cleanup."""

    number: int  # 1-based
    image: GrayImage
    dpi: int  # resolution of `image` (assumed default_dpi when the file does not say)
    dpi_from_file: bool = True


@dataclass(frozen=True)
class CleanupRecord:
    """What cleanup did to one page."""

    rotation: int = 0  # clockwise degrees applied to make the text upright: 0, 90, 180, 270
    deskew_angle: float = 0.0  # degrees the page was rotated by to straighten it
    scale: float = 1.0  # upscale factor applied (low-resolution faxes)
    steps: tuple[str, ...] = ()  # names of the steps that changed the image, in order
    seconds: float = field(default=0.0, compare=False)  # wall time for the page

    def as_json(self) -> dict[str, object]:
        return {
            "rotation": self.rotation,
            "deskew_angle": round(self.deskew_angle, 2),
            "scale": round(self.scale, 3),
            "steps": list(self.steps),
        }


@dataclass(frozen=True)
class CleanedPage:
    """A cleaned page image ready for OCR, and how to map it back to the original."""

    image: GrayImage
    dpi: int  # resolution of the cleaned image (after any upscale)
    to_original: Affine
    record: CleanupRecord
    blank: bool = False


@dataclass(frozen=True)
class Word:
    text: str
    left: int  # box in the ORIGINAL page's pixel coordinates
    top: int
    width: int
    height: int
    confidence: float  # 0-100
    block: int = 0
    line: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "left": self.left,
            "top": self.top,
            "width": self.width,
            "height": self.height,
            "confidence": round(self.confidence, 1),
        }


@dataclass(frozen=True)
class OcrResult:
    """Tesseract's answer for one cleaned page, boxes still in cleaned-image coordinates."""

    text: str
    words: tuple[Word, ...]
    confidence: float  # mean word confidence, 0-100 (0 when no words)


@dataclass(frozen=True)
class Barcode:
    format: str  # e.g. "Code128", "QRCode", "DataMatrix"
    text: str
    left: int  # box in the original page's pixel coordinates
    top: int
    width: int
    height: int

    def as_json(self) -> dict[str, object]:
        return {
            "format": self.format,
            "text": self.text,
            "left": self.left,
            "top": self.top,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True)
class ScannedPage:
    number: int  # 1-based
    width: int  # original page size in pixels
    height: int
    dpi: int
    text: str
    confidence: float
    blank: bool
    low_confidence: bool
    cleanup: CleanupRecord
    barcodes: tuple[Barcode, ...] = ()
    words: tuple[Word, ...] = ()
    separator: bool = False  # a separator sheet: a new document starts after this page
    text_source: str = "ocr"  # "ocr", "pdf-text-layer" or "none" (blank page)

    def as_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "width": self.width,
            "height": self.height,
            "dpi": self.dpi,
            "text": self.text,
            "confidence": round(self.confidence, 1),
            "blank": self.blank,
            "low_confidence": self.low_confidence,
            "separator": self.separator,
            "text_source": self.text_source,
            "cleanup": self.cleanup.as_json(),
            "barcodes": [b.as_json() for b in self.barcodes],
            "words": [w.as_json() for w in self.words],
        }


@dataclass(frozen=True)
class ScannedDocument:
    source: str
    sha256: str
    file_type: FileType
    pages: tuple[ScannedPage, ...] = field(default_factory=tuple)

    def segments(self) -> list[tuple[ScannedPage, ...]]:
        """Split at separator sheets: the pages of each document in the batch.

        Separator sheets themselves belong to no segment; empty segments are dropped.
        """
        out: list[tuple[ScannedPage, ...]] = []
        current: list[ScannedPage] = []
        for page in self.pages:
            if page.separator:
                if current:
                    out.append(tuple(current))
                current = []
            else:
                current.append(page)
        if current:
            out.append(tuple(current))
        return out

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "sha256": self.sha256,
            "file_type": self.file_type.value,
            "pages": [p.as_json() for p in self.pages],
            "documents": [[p.number for p in seg] for seg in self.segments()],
        }
