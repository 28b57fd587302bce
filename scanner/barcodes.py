"""Barcodes on a page (zxing-cpp): patient labels, and separator sheets between documents.

`read_barcodes` looks for the symbologies found on paper records (see `FORMATS`) in any of the four
orientations (zxing's `try_rotate`), also on downscaled copies (large or blurred codes). It skips
zxing's light-on-dark pass (`try_invert`): paper labels are printed dark on light, and that pass
cost ~40% of the time. Measured on a 300 dpi letter page (2550x3300, 2 cores shared): all formats
with defaults ~440-490 ms, these formats without the inverted pass ~160-200 ms.

Never log barcode text: labels carry medical record numbers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import Any, cast

import numpy as np
import zxingcpp

from chartroom.settings import Settings
from scanner.types import Barcode, GrayImage

log = logging.getLogger(__name__)

FORMAT_NAMES: tuple[str, ...] = (
    "Code128",
    "Code39",
    "Code93",
    "Codabar",
    "ITF",
    "EAN13",
    "EAN8",
    "UPCA",
    "UPCE",
    "QRCode",
    "MicroQRCode",
    "DataMatrix",
    "PDF417",
    "Aztec",
)
"""Symbologies searched for: linear codes on labels and wristbands, 2-D codes on forms."""

FORMATS = zxingcpp.BarcodeFormats([getattr(zxingcpp.BarcodeFormat, name) for name in FORMAT_NAMES])


def read_barcodes(image: GrayImage) -> tuple[Barcode, ...]:
    """Every barcode zxing can decode on the page, boxes in `image`'s pixel coordinates.

    Sorted top to bottom, then left to right. A code rotated by 90/180/270 degrees is read too.
    """
    if image.ndim != 2 or image.dtype != np.uint8:
        raise ValueError("expected a 2-D uint8 greyscale image")
    height, width = image.shape
    if height == 0 or width == 0:
        return ()
    start = time.perf_counter()
    results = zxingcpp.read_barcodes(
        np.ascontiguousarray(image),
        formats=FORMATS,
        try_rotate=True,
        try_downscale=True,
        try_invert=False,
    )
    found = tuple(
        sorted(
            (_to_barcode(r, width, height) for r in results if r.valid),
            key=lambda b: (b.top, b.left),
        )
    )
    log.debug("barcodes: %d found in %.0f ms", len(found), (time.perf_counter() - start) * 1000)
    return found


def is_separator(barcodes: Iterable[Barcode], settings: Settings) -> bool:
    """True when a barcode's text starts with the separator prefix (case-insensitive)."""
    prefix = settings.separator_prefix.strip().casefold()
    if not prefix:
        return False
    return any(b.text.strip().casefold().startswith(prefix) for b in barcodes)


def make_barcode(text: str, format: str = "Code128", scale: int = 4) -> GrayImage:
    """A barcode image (black on white, with its quiet zone) for tests and sample pages.

    `format` is a zxing format name such as "Code128", "Code39", "QRCode", "DataMatrix",
    "PDF417"; `scale` is the number of pixels per module.
    """
    fmt = getattr(zxingcpp.BarcodeFormat, format, None)
    if fmt is None:
        raise ValueError(f"unknown barcode format {format!r}")
    symbol = zxingcpp.create_barcode(text, fmt)
    return cast(GrayImage, np.array(symbol.to_image(scale=scale), dtype=np.uint8, copy=True))


def _format_name(result: Any) -> str:
    fmt = result.format
    name = getattr(fmt, "name", None)
    return str(name) if name else str(fmt).replace(" ", "")


def _to_barcode(result: Any, width: int, height: int) -> Barcode:
    """zxing result -> Barcode, the box bounding its four corner points (clipped to the page)."""
    pos = result.position
    points = (pos.top_left, pos.top_right, pos.bottom_right, pos.bottom_left)
    xs = [int(p.x) for p in points]
    ys = [int(p.y) for p in points]
    left = max(0, min(xs))
    top = max(0, min(ys))
    right = min(width - 1, max(xs))
    bottom = min(height - 1, max(ys))
    return Barcode(
        format=_format_name(result),
        text=str(result.text),
        left=left,
        top=top,
        width=max(1, right - left + 1),
        height=max(1, bottom - top + 1),
    )
