"""Searchable PDF output: each original page image with an invisible OCR text layer.

Usage::

    with SearchablePdfWriter(out_path) as pdf:
        for page in pages:
            pdf.add_page(page.image, page.dpi, page.words)

* Page size in points is pixels * 72 / dpi, so the PDF prints at the scan's physical size.
* The image is embedded as greyscale JPEG, quality 75 (`JPEG_QUALITY`): scans are photo-like
  (paper texture, grey stamps, handwriting), where JPEG is several times smaller than lossless
  Flate, and the text layer, not the pixels, is what search uses. reportlab passes the JPEG bytes
  through unchanged (DCTDecode), so the page is encoded exactly once.
* Each word is drawn in text render mode 3 (invisible) at its box: the font's ascent-to-descent span
  fills the box height and the word is horizontally scaled to the box width, so selecting or
  searching in a viewer highlights the word on the image (`pdftotext -bbox` returns the box).
* Pages are added one at a time and the decoded page image is not kept; reportlab does keep each
  page's compressed JPEG until `close()` (it writes the file in one go), so memory grows with the
  output size (~0.1-0.5 MB per 300 dpi page), not with the pixel count.
* `close()` writes atomically: a temp file in the output folder, flushed, fsynced, then
  renamed over `out_path` (`Path.replace`). An exception inside the `with` block removes the temp
  file and leaves no output. The file is created by `mkstemp`, so it is readable by its owner only
  (0600): it holds patient records. File names are never logged nor put in error messages.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from PIL import Image
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import getAscentDescent, stringWidth
from reportlab.pdfgen.canvas import Canvas

from chartroom.durable import fsync_dir
from chartroom.errors import OutputError
from scanner.types import GrayImage, Word

log = logging.getLogger(__name__)

JPEG_QUALITY = 75
TEXT_FONT = "Helvetica"  # never shown (render mode 3); reportlab falls back for non-Latin glyphs
INVISIBLE = 3  # PDF text render mode: neither fill nor stroke


class SearchablePdfWriter:
    """Write a searchable PDF page by page; use as a context manager."""

    def __init__(self, out_path: Path) -> None:
        self.out_path = Path(out_path)
        self.pages = 0
        self._closed = False
        try:
            fd, name = tempfile.mkstemp(
                prefix=".chartroom-", suffix=".pdf.part", dir=self.out_path.parent
            )
        except OSError as exc:
            raise OutputError(f"cannot create the output PDF ({type(exc).__name__})") from exc
        self._tmp_path = Path(name)
        self._file: IO[bytes] = os.fdopen(fd, "wb")
        self._canvas = Canvas(self._file, pageCompression=1, invariant=True)
        self._canvas.setCreator("chartroom")

    def __enter__(self) -> SearchablePdfWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def add_page(self, image: GrayImage, dpi: int, words: Sequence[Word]) -> None:
        """Add one page: `image` as scanned, `words` with boxes in its pixel coordinates."""
        if self._closed:
            raise ValueError("the PDF writer is closed")
        if image.ndim != 2 or image.dtype.name != "uint8" or image.size == 0:
            raise ValueError("expected a non-empty 2-D uint8 greyscale image")
        if dpi <= 0:
            raise ValueError("dpi must be positive")
        height_px, width_px = image.shape
        scale = 72.0 / dpi
        page_w, page_h = width_px * scale, height_px * scale
        jpeg = io.BytesIO()
        Image.fromarray(image).save(jpeg, format="JPEG", quality=JPEG_QUALITY, dpi=(dpi, dpi))
        jpeg.seek(0)
        c = self._canvas
        try:
            with _binary_streams():
                c.setPageSize((page_w, page_h))
                c.drawImage(ImageReader(jpeg), 0, 0, width=page_w, height=page_h)
                self._draw_words(words, scale, page_h)
                c.showPage()
        except (OSError, ValueError) as exc:
            raise OutputError(f"cannot write page {self.pages + 1} of the PDF") from exc
        self.pages += 1

    def close(self) -> None:
        """Finish the PDF and move it into place atomically."""
        if self._closed:
            return
        if self.pages == 0:
            self.abort()
            raise OutputError("no pages were added to the PDF")
        try:
            with _binary_streams():
                self._canvas.save()
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._tmp_path.replace(self.out_path)
            fsync_dir(self.out_path.parent)
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write the output PDF ({type(exc).__name__})") from exc
        self._closed = True
        log.debug("pdf: wrote %d pages", self.pages)

    def abort(self) -> None:
        """Drop everything written so far: no output file is left behind."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._file.close()
        self._tmp_path.unlink(missing_ok=True)

    def _draw_words(self, words: Sequence[Word], scale: float, page_h: float) -> None:
        c = self._canvas
        text = c.beginText()
        text.setTextRenderMode(INVISIBLE)
        ascent, descent = getAscentDescent(TEXT_FONT, 1.0)  # per point of font size
        for word in words:
            if not word.text or word.width <= 0 or word.height <= 0:
                continue
            # the font's ascent-to-descent span fills the box, so a viewer's selection covers it
            size = max(1.0, word.height * scale / (ascent - descent))
            natural = stringWidth(word.text, TEXT_FONT, size)
            if natural <= 0:
                continue
            text.setFont(TEXT_FONT, size)
            text.setHorizScale(100.0 * word.width * scale / natural)
            baseline = page_h - (word.top + word.height) * scale - descent * size
            text.setTextOrigin(word.left * scale, baseline)
            text.textOut(word.text)
        c.drawText(text)


@contextlib.contextmanager
def _binary_streams() -> Iterator[None]:
    """Turn off reportlab's ASCII85 stream encoding (on by default; +25% size) for our calls.

    It is a process-wide reportlab setting, read when images load and pages are formatted:
    set only around our own canvas calls, so other reportlab users keep their output.
    """
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved
