"""Load pages from checked input files as 8-bit greyscale numpy images, one page at a time.

TIFF, PNG and JPEG go through Pillow; PDFs through `scanner.poppler` (rendered at
`settings.pdf_dpi`). Before anything is decoded, the size a header claims is checked: 0 wide
or 0 high raises EmptyImage, more than `settings.max_page_pixels` raises ImageTooLarge, so a
PNG claiming 50,000 x 50,000 is refused in milliseconds. Pillow's DecompressionBombWarning is
an error here too. Truncated or corrupt files raise DamagedFile; no Pillow exception (whose
messages contain file names) reaches the caller.

JPEG pages are turned upright from their EXIF Orientation tag (`ImageOps.exif_transpose`)
before anything else, so `PageImage.image` is what a viewer shows. Other formats are taken as
stored (cleanup's "orient" step handles rotated scans).

Resolution: the file's own dpi when present and plausible (50-9600), else
`settings.default_dpi` with `dpi_from_file=False`. Faxes with non-square pixels (e.g. 204 x 98
dpi) are stretched along the coarser axis so pixels are square at the finer resolution.
PDF pages report `pdf_dpi` (the resolution they were rendered at) with `dpi_from_file=True`.
"""

from __future__ import annotations

import logging
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from chartroom.errors import (
    ChartroomError,
    DamagedFile,
    EmptyImage,
    ImageTooLarge,
    TooManyPages,
)
from chartroom.settings import Settings
from scanner import poppler
from scanner.filetypes import PathArg, declared_size, tiff_page_count, to_path
from scanner.types import FileType, GrayImage, OcrResult, PageImage

log = logging.getLogger(__name__)

MIN_PLAUSIBLE_DPI = 50
MAX_PLAUSIBLE_DPI = 9600
_ASPECT_TOLERANCE = 0.05  # x/y dpi differing by more than this are treated as non-square pixels


class PageNumberError(ValueError):
    """A page number below 1 or past the last page: a bug in the caller, not a bad file."""


def page_count(path: PathArg, file_type: FileType, settings: Settings) -> int:
    """Number of pages, without decoding any; TooManyPages above `settings.max_pages`."""
    p = to_path(path)
    if file_type is FileType.PDF:
        count = poppler.pdf_page_count(p, settings)
    elif file_type is FileType.TIFF:
        count = _tiff_page_count(p, settings)
    else:
        _check_declared_size(p, file_type, 1, settings)
        count = 1
    if count > settings.max_pages:
        # a TIFF's IFD chain is only walked one page past the limit
        found = f"more than {settings.max_pages}" if file_type is FileType.TIFF else str(count)
        raise TooManyPages(f"the file has {found} pages, over the limit of {settings.max_pages}")
    return count


def _tiff_page_count(path: Path, settings: Settings) -> int:
    """Walk the IFD chain only as far as max_pages + 1 (no tag or pixel is decoded)."""
    _check_declared_size(path, FileType.TIFF, 1, settings)
    try:
        return tiff_page_count(path, settings.max_pages)
    except (OSError, struct.error) as exc:
        raise DamagedFile("the TIFF's page directory cannot be read") from exc


def load_page(path: PathArg, file_type: FileType, number: int, settings: Settings) -> PageImage:
    """Page `number` (1-based) as a greyscale uint8 2-D image with its resolution.

    Raises EmptyImage, ImageTooLarge (checked from the header, before decoding),
    DamagedFile, or for PDFs also EncryptedPdf; PageNumberError (a ValueError) for a page
    number below 1 or past the last page.
    """
    if number < 1:
        raise PageNumberError("page numbers start at 1")
    p = to_path(path)
    if file_type is FileType.PDF:
        image = poppler.render_page(p, number, settings.pdf_dpi, settings)
        return PageImage(number=number, image=image, dpi=settings.pdf_dpi, dpi_from_file=True)
    if file_type is not FileType.TIFF and number != 1:
        raise PageNumberError(f"a {file_type.value} file has a single page")
    _check_declared_size(p, file_type, number, settings)
    with _pillow_errors(number), Image.open(p) as img:
        if number > 1:
            try:
                img.seek(number - 1)
            except EOFError:
                raise PageNumberError(f"the file has fewer than {number} pages") from None
        return _frame_to_page(img, file_type, number, settings)


def iter_pages(path: PathArg, file_type: FileType, settings: Settings) -> Iterator[PageImage]:
    """Every page in order, one at a time (only the current page is held in memory)."""
    p = to_path(path)
    count = page_count(p, file_type, settings)
    if file_type is not FileType.TIFF:
        for number in range(1, count + 1):
            yield load_page(p, file_type, number, settings)
        return
    # one open file for the whole TIFF: reopening per page would re-walk the IFD chain
    # (and the warnings filter is never left changed while the caller holds a page)
    _check_declared_size(p, file_type, 1, settings)
    with _pillow_errors(1):
        img = Image.open(p)
    try:
        for number in range(1, count + 1):
            with _pillow_errors(number):
                if number > 1:
                    img.seek(number - 1)
                page = _frame_to_page(img, file_type, number, settings)
            yield page
    finally:
        img.close()


def pdf_text_layer(
    path: PathArg, file_type: FileType, number: int, settings: Settings
) -> OcrResult | None:
    """A PDF page's born-digital text, boxes in pixels at `pdf_dpi` (matching `load_page`).

    None for other file types and for PDF pages without a meaningful text layer (scans).
    """
    if file_type is not FileType.PDF:
        return None
    return poppler.page_text_layer(to_path(path), number, settings.pdf_dpi, settings)


# --- Pillow --------------------------------------------------------------------------------


@contextmanager
def _pillow_errors(number: int) -> Iterator[None]:
    """Turn Pillow's failures into chartroom errors; DecompressionBombWarning is an error.

    `catch_warnings` changes process-wide state: pages are loaded one per worker process, and
    the header check against max_page_pixels normally refuses an oversized page first anyway.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (ChartroomError, PageNumberError, MemoryError):
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(f"page {number} has too many pixels to decode safely") from exc
        except UnidentifiedImageError as exc:
            raise DamagedFile("the image header cannot be read") from exc
        except Exception as exc:
            # OSError("image file is truncated"), SyntaxError, struct.error, zlib errors...
            raise DamagedFile(f"page {number} cannot be decoded ({type(exc).__name__})") from exc


def _check_pixels(width: int, height: int, number: int, settings: Settings) -> None:
    if width <= 0 or height <= 0:
        raise EmptyImage(f"page {number} is {width} x {height} pixels")
    if width * height > settings.max_page_pixels:
        raise ImageTooLarge(
            f"page {number} is {width} x {height} pixels "
            f"({width * height / 1e6:.0f} megapixels), over the limit of "
            f"{settings.max_page_megapixels}"
        )


def _check_declared_size(path: Path, file_type: FileType, number: int, settings: Settings) -> None:
    size = declared_size(path, file_type)
    if size is not None:
        _check_pixels(size[0], size[1], number, settings)


def _frame_to_page(
    img: Image.Image, file_type: FileType, number: int, settings: Settings
) -> PageImage:
    """The current frame of an open image as a PageImage (size checked before decoding)."""
    _check_pixels(img.width, img.height, number, settings)
    img.load()
    if file_type is FileType.JPEG:
        ImageOps.exif_transpose(img, in_place=True)
    xdpi, ydpi = _file_dpi(img)
    gray = _to_gray(img)
    if xdpi is None:
        return PageImage(number=number, image=gray, dpi=settings.default_dpi, dpi_from_file=False)
    if ydpi is not None and abs(xdpi - ydpi) > _ASPECT_TOLERANCE * max(xdpi, ydpi):
        gray, dpi = _square_pixels(gray, xdpi, ydpi, number, settings)
    else:
        dpi = round(xdpi)
    return PageImage(number=number, image=gray, dpi=dpi, dpi_from_file=True)


def _plausible(value: object) -> float | None:
    try:
        dpi = float(value)  # type: ignore[arg-type]  # IFDRational, int, float or junk
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return dpi if MIN_PLAUSIBLE_DPI <= dpi <= MAX_PLAUSIBLE_DPI else None


def _file_dpi(img: Image.Image) -> tuple[float | None, float | None]:
    """(x, y) dpi from the file's metadata; x is None when the file gives no usable dpi."""
    raw = img.info.get("dpi")
    if not isinstance(raw, tuple) or not raw:
        return None, None
    xdpi = _plausible(raw[0])
    ydpi = _plausible(raw[1]) if len(raw) > 1 else xdpi
    if xdpi is None:
        return ydpi, ydpi
    return xdpi, ydpi


def _square_pixels(
    gray: GrayImage, xdpi: float, ydpi: float, number: int, settings: Settings
) -> tuple[GrayImage, int]:
    """Stretch the coarser axis so both axes have the finer resolution."""
    dpi = max(xdpi, ydpi)
    height, width = gray.shape
    new_w, new_h = round(width * dpi / xdpi), round(height * dpi / ydpi)
    _check_pixels(new_w, new_h, number, settings)
    resized = Image.fromarray(gray).resize((new_w, new_h), Image.Resampling.BICUBIC)
    log.debug("page %d: non-square pixels stretched to %d dpi", number, round(dpi))
    return np.array(resized, dtype=np.uint8), round(dpi)


def _to_gray(img: Image.Image) -> GrayImage:
    """8-bit greyscale from any mode: 1-bit, palette, 16-bit, float, RGB(A), CMYK, LAB..."""
    mode = img.mode
    if mode.startswith("I;16"):
        return (np.asarray(img, dtype=np.uint16) >> 8).astype(np.uint8)
    if mode == "I":  # 32-bit ints: Pillow's mode for some 16-bit files
        data = np.asarray(img, dtype=np.int64)
        if data.size and data.max() > 255:
            data = data >> 8
        return np.clip(data, 0, 255).astype(np.uint8)
    if mode == "F":
        floats = np.asarray(img, dtype=np.float64)
        if floats.size and np.nanmax(floats) <= 1.0:
            floats = floats * 255.0
        return np.clip(np.nan_to_num(floats), 0, 255).astype(np.uint8)
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in img.info):
        return _flatten_on_white(img)
    if mode == "L":
        return np.array(img, dtype=np.uint8)
    if mode in ("CMYK", "LAB", "HSV", "YCbCr"):
        img = img.convert("RGB")
    return np.array(img.convert("L"), dtype=np.uint8)


def _flatten_on_white(img: Image.Image) -> GrayImage:
    """Transparent areas become white paper, not black."""
    la = np.asarray(img.convert("RGBA").convert("LA"), dtype=np.uint16)
    gray, alpha = la[..., 0], la[..., 1]
    flat: GrayImage = ((gray * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
    return flat
