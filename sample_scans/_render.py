"""Lay out and rasterise one synthetic chart page (letter size, greyscale) with Pillow.

A page is written in a small line-based markup (one entry per line):

    ^ text         letterhead, large bold serif, centred
    ^^ text        letterhead sub-line, small, centred
    # text         document title, bold, centred
    ## text        section heading, bold
    * Label: text  a field: the label (up to the first colon) bold, the value regular
    | text         preformatted monospace line (tables), never wrapped
    @big text      very large bold text, centred (separator sheets)
    @barcodes F=T;F=T   barcodes side by side (zxing-cpp format name = text)
    @scribble      a pen signature (not text: not in the ground truth)
    ---            a horizontal rule (not in the ground truth)
    (empty)        a small vertical gap
    anything else  a paragraph, word-wrapped; "- " and "1. " items get a hanging indent

`render_page` returns the image and the ground-truth lines exactly as drawn.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

GrayImage = npt.NDArray[np.uint8]

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FAMILIES = {
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
}
FOOTER = "SYNTHETIC TEST DOCUMENT - NOT A REAL PATIENT"
PAGE_IN = (8.5, 11.0)
MARGIN_IN = 1.0
INK = 20
BARCODE_FORMATS = {
    "Code128": zxingcpp.BarcodeFormat.Code128,
    "QRCode": zxingcpp.BarcodeFormat.QRCode,
    "DataMatrix": zxingcpp.BarcodeFormat.DataMatrix,
}
_HANGING = re.compile(r"^(- |\d+\. )")


class LayoutError(Exception):
    """The markup does not fit on the page."""


@dataclass(frozen=True)
class PageStyle:
    family: str = "sans"
    body_pt: float = 11.0
    top_line: str = ""  # fax header printed above the top margin
    page_label: str = ""  # e.g. "Page 1 of 2", right-aligned above the footer


@dataclass(frozen=True)
class RenderedPage:
    image: GrayImage
    lines: tuple[str, ...]
    barcodes: tuple[tuple[str, str], ...]  # (format, text)


@cache
def _font(name: str, px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), px)


class _Painter:
    def __init__(self, dpi: int, style: PageStyle, seed: int) -> None:
        self.dpi = dpi
        self.style = style
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible scribble, not security
        self.width = round(PAGE_IN[0] * dpi)
        self.height = round(PAGE_IN[1] * dpi)
        self.left = round(MARGIN_IN * dpi)
        self.right = self.width - self.left
        self.bottom = self.height - round(0.8 * dpi)
        self.y = self.left
        self.img = Image.new("L", (self.width, self.height), 255)
        self.draw = ImageDraw.Draw(self.img)
        self.lines: list[str] = []
        self.barcodes: list[tuple[str, str]] = []

    def px(self, pt: float) -> int:
        return round(pt * self.dpi / 72)

    def font(self, pt: float, bold: bool = False, family: str = "") -> ImageFont.FreeTypeFont:
        regular, heavy = FAMILIES[family or self.style.family]
        return _font(heavy if bold else regular, self.px(pt))

    def advance(self, pt: float) -> int:
        """Move down one line of `pt`-point text and return its baseline."""
        self.y += round(self.px(pt) * 1.3)
        if self.y > self.bottom:
            raise LayoutError(f"page overflows at line {len(self.lines) + 1}")
        return self.y - round(self.px(pt) * 0.3)

    def text_line(self, text: str, pt: float, bold: bool = False, align: str = "left") -> None:
        font = self.font(pt, bold)
        base = self.advance(pt)
        x: float = self.left
        if align == "center":
            x = (self.width - self.draw.textlength(text, font=font)) / 2
        elif align == "right":
            x = self.right - self.draw.textlength(text, font=font)
        self.draw.text((x, base), text, font=font, fill=INK, anchor="ls")
        self.lines.append(text)

    def field(self, text: str) -> None:
        label, _, value = text.partition(":")
        bold, regular = self.font(self.style.body_pt, True), self.font(self.style.body_pt)
        base = self.advance(self.style.body_pt)
        self.draw.text((self.left, base), label + ":", font=bold, fill=INK, anchor="ls")
        x = self.left + self.draw.textlength(label + ":", font=bold)
        self.draw.text((x, base), value, font=regular, fill=INK, anchor="ls")
        self.lines.append(label + ":" + value)

    def paragraph(self, text: str) -> None:
        font = self.font(self.style.body_pt)
        match = _HANGING.match(text)
        indent = self.draw.textlength(match.group(1), font=font) if match else 0.0
        words, line, first = text.split(" "), "", True
        for word in words:
            trial = f"{line} {word}" if line else word
            room = self.right - self.left - (0 if first else indent)
            if line and self.draw.textlength(trial, font=font) > room:
                self._para_line(line, font, 0 if first else indent)
                line, first = word, False
            else:
                line = trial
        self._para_line(line, font, 0 if first else indent)

    def _para_line(self, text: str, font: ImageFont.FreeTypeFont, indent: float) -> None:
        base = self.advance(self.style.body_pt)
        self.draw.text((self.left + indent, base), text, font=font, fill=INK, anchor="ls")
        self.lines.append(text)

    def mono(self, text: str) -> None:
        font = self.font(self.style.body_pt - 1, family="mono")
        base = self.advance(self.style.body_pt - 1)
        self.draw.text((self.left, base), text, font=font, fill=INK, anchor="ls")
        self.lines.append(text.rstrip())

    def rule(self) -> None:
        y = self.y + self.px(4)
        self.draw.line([(self.left, y), (self.right, y)], fill=INK, width=max(1, self.px(0.8)))
        self.y += self.px(8)

    def barcodes_row(self, spec: str) -> None:
        x, tallest = self.left, 0
        for item in spec.split(";"):
            fmt, _, text = item.strip().partition("=")
            code = zxingcpp.create_barcode(text, BARCODE_FORMATS[fmt])
            module = max(2, round(self.dpi / 75)) if fmt == "Code128" else max(3, self.dpi // 30)
            arr = np.asarray(code.to_image(scale=module, add_quiet_zones=True, add_hrt=False))
            if fmt == "Code128":  # a linear code: stretch to a label-like height
                arr = np.repeat(arr[:1], round(0.45 * self.dpi), axis=0)
            self.img.paste(Image.fromarray(arr, "L"), (x, self.y + self.px(4)))
            x += arr.shape[1] + self.px(18)
            tallest = max(tallest, arr.shape[0])
            self.barcodes.append((fmt, text))
        self.y += tallest + self.px(6)
        if self.y > self.bottom:
            raise LayoutError("barcodes overflow the page")

    def scribble(self) -> None:
        pts, x = [], self.left + self.px(10)
        mid = self.y + self.px(14)
        for _ in range(28):
            x += self.rng.randint(self.px(3), self.px(9))
            pts.append((x, mid + self.rng.randint(-self.px(10), self.px(10))))
        self.draw.line(pts, fill=INK, width=max(1, self.px(1.2)), joint="curve")
        self.y += self.px(30)

    def finish(self) -> RenderedPage:
        small = self.font(7)
        if self.style.top_line:
            xy = (self.left // 2, self.px(20))
            self.draw.text(xy, self.style.top_line, font=small, fill=INK, anchor="ls")
            self.lines.insert(0, self.style.top_line)
        if self.style.page_label:
            y = self.height - round(0.62 * self.dpi)
            label = self.style.page_label
            self.draw.text((self.right, y), label, font=self.font(9), fill=INK, anchor="rs")
            self.lines.append(label)
        y = self.height - round(0.45 * self.dpi)
        self.draw.text((self.width / 2, y), FOOTER, font=small, fill=INK, anchor="ms")
        self.lines.append(FOOTER)
        image = np.asarray(self.img, dtype=np.uint8).copy()
        return RenderedPage(image, tuple(self.lines), tuple(self.barcodes))


def render_page(markup: str, dpi: int, style: PageStyle, seed: int = 0) -> RenderedPage:
    """Rasterise one page of markup at `dpi`; white paper, near-black ink."""
    p = _Painter(dpi, style, seed)
    for raw in markup.strip("\n").splitlines():
        line = raw.strip()
        if not line:
            p.y += p.px(style.body_pt * 0.6)
        elif line.startswith("^^ "):
            p.text_line(line[3:], 9, align="center")
        elif line.startswith("^ "):
            p.text_line(line[2:], 15, bold=True, align="center")
        elif line.startswith("## "):
            p.y += p.px(3)
            p.text_line(line[3:], style.body_pt, bold=True)
        elif line.startswith("# "):
            p.text_line(line[2:], 14, bold=True, align="center")
        elif line.startswith("* "):
            p.field(line[2:])
        elif line.startswith("|"):
            p.mono(raw.split("|", 1)[1][1:])
        elif line.startswith("@big "):
            p.text_line(line[5:], 40, bold=True, align="center")
        elif line.startswith("@barcodes "):
            p.barcodes_row(line[10:])
        elif line == "@scribble":
            p.scribble()
        elif line == "---":
            p.rule()
        else:
            p.paragraph(line)
    return p.finish()
