"""Draw synthetic text pages for tests (no PHI: invented words only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

LINES = (
    "DISCHARGE SUMMARY",
    "Admission Date: 03/14/2019",
    "History of present illness: the patient presented",
    "with shortness of breath and chest pain.",
    "Assessment: congestive heart failure exacerbation.",
    "Plan: continue furosemide and follow up in clinic.",
)


def text_page(
    lines: tuple[str, ...] = LINES, dpi: int = 300, size: tuple[float, float] = (8.5, 11.0)
) -> np.ndarray:
    """A white letter page with lines of 12 pt text at `dpi`; greyscale uint8."""
    width, height = int(size[0] * dpi), int(size[1] * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, int(12 * dpi / 72))
    y = dpi  # one inch margin
    for line in lines:
        draw.text((dpi, y), line, fill=0, font=font)
        y += int(12 * dpi / 72 * 1.6)
    return np.asarray(image, dtype=np.uint8).copy()


def save_png(array: np.ndarray, path: Path, dpi: int = 300) -> Path:
    Image.fromarray(array).save(path, dpi=(dpi, dpi))
    return path
