"""Deterministic PDF output with reportlab: image-only scans and one born-digital letter.

`invariant=1` fixes the creation date and the document id, so the bytes depend only on the input.
"""

from __future__ import annotations

import io
from pathlib import Path

from _render import FOOTER, MARGIN_IN, PAGE_IN
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

POINTS = 72.0


def write_image_pdf(path: Path, pages: list[tuple[bytes, int, int, int]]) -> None:
    """One page per (JPEG bytes, width px, height px, dpi); the JPEG is embedded as DCTDecode."""
    rl_config.useA85 = 0  # raw binary streams: no ASCII85 inflation of the JPEG data
    c = canvas.Canvas(str(path), invariant=1, pageCompression=1)
    c.setTitle("Synthetic scanned chart document")
    c.setAuthor("chartroom sample generator")
    c.setCreator("chartroom sample_scans/generate.py")
    c.setProducer("chartroom sample_scans/generate.py")
    for jpeg, width, height, dpi in pages:
        w_pt, h_pt = width * POINTS / dpi, height * POINTS / dpi
        c.setPageSize((w_pt, h_pt))
        c.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, width=w_pt, height=h_pt)
        c.showPage()
    c.save()


def _wrap(text: str, font: str, size: float, room: float) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        trial = f"{line} {word}" if line else word
        if line and stringWidth(trial, font, size) > room:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    return lines


def write_text_pdf(path: Path, markup: str) -> list[str]:
    """Typeset a letter (markup subset: ^, ^^, ---, paragraphs, gaps); return the lines drawn."""
    rl_config.useA85 = 0
    w_pt, h_pt = PAGE_IN[0] * POINTS, PAGE_IN[1] * POINTS
    left, right = MARGIN_IN * POINTS, w_pt - MARGIN_IN * POINTS
    c = canvas.Canvas(str(path), pagesize=(w_pt, h_pt), invariant=1, pageCompression=1)
    c.setTitle("Referral letter (synthetic)")
    c.setAuthor("chartroom sample generator")
    c.setCreator("chartroom sample_scans/generate.py")
    c.setProducer("chartroom sample_scans/generate.py")
    drawn: list[str] = []
    y = h_pt - MARGIN_IN * POINTS

    def put(text: str, font: str, size: float, center: bool = False) -> None:
        nonlocal y
        y -= size * 1.3
        if y < MARGIN_IN * POINTS:
            raise ValueError("the letter does not fit on one page")
        c.setFont(font, size)
        if center:
            c.drawCentredString(w_pt / 2, y, text)
        else:
            c.drawString(left, y, text)
        drawn.append(text)

    for raw in markup.strip("\n").splitlines():
        line = raw.strip()
        if not line:
            y -= 7
        elif line.startswith("^^ "):
            put(line[3:], "Helvetica", 9, center=True)
        elif line.startswith("^ "):
            put(line[2:], "Times-Bold", 15, center=True)
        elif line == "---":
            y -= 5
            c.setLineWidth(0.8)
            c.line(left, y, right, y)
            y -= 5
        else:
            for part in _wrap(line, "Helvetica", 11, right - left):
                put(part, "Helvetica", 11)
    c.setFont("Helvetica", 7)
    c.drawCentredString(w_pt / 2, 0.45 * POINTS, FOOTER)
    drawn.append(FOOTER)
    c.showPage()
    c.save()
    return drawn
