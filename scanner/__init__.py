"""Scanner: scanner output (PDF, TIFF, PNG, JPEG) -> cleaned, OCR'd pages with words and boxes."""

from __future__ import annotations
