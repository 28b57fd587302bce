"""Logging set-up for the command line: one stderr handler, level from settings.

PHI discipline: chartroom's own log messages carry record ids, page numbers, counts and
timings, never OCR text, names or file names. Third-party loggers known to log document
text at debug level are held at WARNING whatever the level.
"""

from __future__ import annotations

import logging

from chartroom.settings import Settings

_CHATTY = ("PIL", "pytesseract", "pdf2image", "spacy", "medspacy", "PyRuSH", "urllib3")


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    level = getattr(logging, settings.log_level.upper())
    if not any(getattr(h, "_chartroom", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._chartroom = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
