"""The one wrapper around poppler's programs: pdfinfo, pdftoppm, pdftotext and pdfimages.

Every call is a plain subprocess with a timeout (`settings.ocr_timeout`) and, where the
program supports it, `-q` (pdfinfo has no `-q`: its stderr is read to tell an encrypted file
from a damaged one). Pages are rendered one at a time as greyscale PGM on stdout, so a
500-page PDF never has more than one page in memory. The path is passed as an absolute path so
a file name starting with `-` is never read as an option.

Nothing here logs or raises with file names or PDF text (PHI discipline).
"""

from __future__ import annotations

import html
import logging
import math
import re
import subprocess
import time
from pathlib import Path

import numpy as np

from chartroom.errors import (
    DamagedFile,
    EmptyFile,
    EncryptedPdf,
    ImageTooLarge,
    MissingDependency,
    OcrTimeout,
)
from chartroom.settings import Settings
from scanner.types import GrayImage, OcrResult, Word

log = logging.getLogger(__name__)

APT_PACKAGE = "poppler-utils"
MIN_TEXT_WORDS = 3
"""A page whose text layer has fewer words (with a letter or digit) is treated as image-only."""

POINTS_PER_INCH = 72.0

_NUM = rb"(-?[\d.]+)"
_PAGES_RE = re.compile(rb"^Pages:\s+(\d+)\s*$", re.MULTILINE)
_WORD_OR_BOX_RE = re.compile(
    r"<(block|line)\b[^>]*>"
    r'|<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>',
    re.DOTALL,
)
_PGM_HEADER_RE = re.compile(rb"\AP5\s+(\d+)\s+(\d+)\s+(\d+)\s")


def _run(program: str, args: list[str], settings: Settings) -> subprocess.CompletedProcess[bytes]:
    """Run one poppler program; missing binary and timeout become chartroom errors."""
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [program, *args],
            capture_output=True,
            timeout=settings.ocr_timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise MissingDependency(
            f"{program} (poppler) is not installed",
            hint=f"Install the Debian package {APT_PACKAGE} (apt-get install {APT_PACKAGE}), "
            "then run `chartroom doctor`",
        ) from exc
    except OSError as exc:
        raise MissingDependency(
            f"{program} (poppler) cannot be run",
            hint=f"Reinstall the Debian package {APT_PACKAGE}, then run `chartroom doctor`",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise OcrTimeout(
            f"{program} took longer than {settings.ocr_timeout} seconds on a PDF page"
        ) from exc
    log.debug("%s rc=%d in %.3fs", program, proc.returncode, time.monotonic() - started)
    return proc


def _pdf_arg(path: Path) -> str:
    # absolute, so a name like "-f.pdf" cannot be taken for an option
    return str(path.absolute())


def _pdfinfo(path: Path, settings: Settings, page: int | None = None) -> bytes:
    """pdfinfo's stdout; raises EncryptedPdf / DamagedFile / MissingDependency / OcrTimeout."""
    args = [] if page is None else ["-box", "-f", str(page), "-l", str(page)]
    proc = _run("pdfinfo", [*args, _pdf_arg(path)], settings)
    if proc.returncode != 0:
        if b"Incorrect password" in proc.stderr:
            raise EncryptedPdf("the PDF is encrypted with a user password")
        raise DamagedFile(f"the PDF cannot be opened (pdfinfo exit code {proc.returncode})")
    return proc.stdout


def pdf_page_count(path: Path, settings: Settings) -> int:
    """Number of pages, without rendering any. A PDF with only an owner password opens."""
    out = _pdfinfo(path, settings)
    found = _PAGES_RE.findall(out)
    if not found:
        raise DamagedFile("the PDF has no readable page count")
    # pdfinfo prints document metadata (which the file controls) before "Pages:", so the
    # last match is the one pdfinfo wrote itself
    count = int(found[-1])
    if count == 0:
        raise EmptyFile("the PDF has no pages")
    return count


def page_size_points(path: Path, number: int, settings: Settings) -> tuple[float, float]:
    """Width and height of page `number`'s MediaBox in PDF points (unrotated).

    The MediaBox, not pdfinfo's "size" (the CropBox): pdftoppm and pdftotext work on the
    MediaBox, so a tiny CropBox cannot hide a huge page from the pixel check.
    """
    out = _pdfinfo(path, settings, page=number)
    box = rb"^Page\s+" + str(number).encode() + rb" MediaBox:\s+" + rb"\s+".join([_NUM] * 4)
    found = re.findall(box, out, re.MULTILINE)
    if not found:
        raise DamagedFile(f"page {number} of the PDF has no readable size")
    x0, y0, x1, y1 = (float(v) for v in found[-1])
    return abs(x1 - x0), abs(y1 - y0)


def check_page_pixels(path: Path, number: int, dpi: int, settings: Settings) -> int:
    """Raise ImageTooLarge when page `number` at `dpi` exceeds max_page_pixels.

    Returns the longer side in pixels, used to cap what pdftoppm may produce.
    """
    width_pt, height_pt = page_size_points(path, number, settings)
    scale = dpi / POINTS_PER_INCH
    width, height = math.ceil(width_pt * scale), math.ceil(height_pt * scale)
    if width * height > settings.max_page_pixels:
        raise ImageTooLarge(
            f"page {number} would be {width * height / 1e6:.0f} megapixels at {dpi} dpi, "
            f"over the limit of {settings.max_page_megapixels}"
        )
    return max(width, height)


def page_image_coverage(
    path: Path, number: int, page_area_points: float, settings: Settings
) -> float:
    """The share of page `number`'s area (`page_area_points`, in square PDF points) covered
    by raster images (0.0-1.0), from `pdfimages -list`: near 1.0 for a scanned page, near 0.0
    for a born-digital one.

    0.0 when pdfimages cannot list the page (the text layer is then trusted, as before).
    """
    args = ["-list", "-f", str(number), "-l", str(number), _pdf_arg(path)]
    proc = _run("pdfimages", args, settings)
    if proc.returncode != 0:
        log.debug("page %d: pdfimages exit code %d", number, proc.returncode)
        return 0.0
    if page_area_points <= 0:
        return 0.0
    area = 0.0
    for line in proc.stdout.splitlines()[2:]:
        # page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
        fields = line.split()
        if len(fields) < 14 or fields[2] != b"image":
            continue
        try:
            width, height = int(fields[3]), int(fields[4])
            x_ppi, y_ppi = float(fields[12]), float(fields[13])
        except ValueError:
            continue
        if x_ppi > 0 and y_ppi > 0:
            area += (width / x_ppi * POINTS_PER_INCH) * (height / y_ppi * POINTS_PER_INCH)
    return min(1.0, area / page_area_points)


def render_page(path: Path, number: int, dpi: int, settings: Settings) -> GrayImage:
    """Page `number` (1-based) as a greyscale uint8 image at `dpi`; one page per call.

    The page's MediaBox is checked against `settings.max_page_pixels` before rendering, and
    pdftoppm's output is capped (-W/-H) at the checked size in case the file lies about it.
    """
    side = check_page_pixels(path, number, dpi, settings) + 2
    started = time.monotonic()
    args = ["-q", "-gray", "-r", str(dpi), "-f", str(number), "-l", str(number)]
    args += ["-x", "0", "-y", "0", "-W", str(side), "-H", str(side), _pdf_arg(path)]
    proc = _run("pdftoppm", args, settings)
    if proc.returncode != 0 or not proc.stdout:
        raise DamagedFile(f"page {number} of the PDF cannot be rendered")
    image = _parse_pgm(proc.stdout, number)
    log.debug("rendered page %d at %d dpi in %.2fs", number, dpi, time.monotonic() - started)
    return image


def _parse_pgm(data: bytes, number: int) -> GrayImage:
    match = _PGM_HEADER_RE.match(data)
    if match is None:
        raise DamagedFile(f"page {number} of the PDF rendered to an unreadable image")
    width, height, maxval = (int(g) for g in match.groups())
    body = memoryview(data)[match.end() :]
    if maxval != 255 or width == 0 or height == 0 or len(body) < width * height:
        raise DamagedFile(f"page {number} of the PDF rendered to an unreadable image")
    pixels = np.frombuffer(body, dtype=np.uint8, count=width * height)
    return pixels.reshape(height, width).copy()


def page_text_layer(path: Path, number: int, dpi: int, settings: Settings) -> OcrResult | None:
    """The born-digital text of page `number`, with word boxes in pixels at `dpi`.

    Returns None when the page has no meaningful text layer (fewer than MIN_TEXT_WORDS words
    containing a letter or digit), e.g. a scanned page. Words come in poppler's reading order,
    with confidence 100; `text` has one line per text line and a blank line between blocks.
    Boxes follow the page's /Rotate, like the image `render_page` returns.
    """
    args = ["-q", "-bbox-layout", "-f", str(number), "-l", str(number), _pdf_arg(path), "-"]
    proc = _run("pdftotext", args, settings)
    if proc.returncode == 3:  # poppler's "permission" exit code (no-copy PDFs, older poppler)
        log.debug("page %d: text extraction not permitted, falling back to OCR", number)
        return None
    if proc.returncode != 0:
        # pdfinfo tells encrypted from damaged; pdftotext -q cannot
        _pdfinfo(path, settings)
        raise DamagedFile(f"the text of page {number} of the PDF cannot be read")
    return parse_bbox_layout(proc.stdout.decode("utf-8", errors="replace"), dpi)


def parse_bbox_layout(xhtml: str, dpi: int) -> OcrResult | None:
    """Words and text from `pdftotext -bbox-layout` output (points -> pixels at `dpi`)."""
    scale = dpi / POINTS_PER_INCH
    words: list[Word] = []
    blocks: list[list[list[str]]] = []
    block = line = 0
    for match in _WORD_OR_BOX_RE.finditer(xhtml):
        kind = match.group(1)
        if kind == "block":
            block, line = block + 1, 0
            blocks.append([])
            continue
        if kind == "line":
            line += 1
            if not blocks:
                blocks.append([])
            blocks[-1].append([])
            continue
        text = html.unescape(match.group(6)).strip()
        if not text:
            continue
        x0, y0, x1, y1 = (float(match.group(i)) * scale for i in range(2, 6))
        left, top = round(x0), round(y0)
        words.append(
            Word(
                text=text,
                left=left,
                top=top,
                width=max(1, round(x1) - left),
                height=max(1, round(y1) - top),
                confidence=100.0,
                block=block,
                line=line,
            )
        )
        if not blocks or not blocks[-1]:
            blocks.append([[]])
        blocks[-1][-1].append(text)
    meaningful = sum(1 for w in words if any(ch.isalnum() for ch in w.text))
    if meaningful < MIN_TEXT_WORDS:
        return None
    text = "\n\n".join(
        "\n".join(" ".join(ws) for ws in lines if ws) for lines in blocks if any(lines)
    )
    return OcrResult(text=text, words=tuple(words), confidence=100.0)


def version(settings: Settings) -> str | None:
    """poppler's version (from `pdftoppm -v`), or None when poppler is not installed."""
    try:
        proc = _run("pdftoppm", ["-v"], settings)
    except (MissingDependency, OcrTimeout):
        return None
    match = re.search(rb"version\s+([\w.\-]+)", proc.stderr + proc.stdout)
    return match.group(1).decode("ascii", errors="replace") if match else None
