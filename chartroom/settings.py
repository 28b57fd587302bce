"""Configuration: read once from CHARTROOM_* environment variables into one frozen object.

Only `Settings.from_env` reads the environment; everything else is handed a `Settings`.
`docs/configuration.md` documents every field, and a test keeps the two in step.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from chartroom.errors import ConfigError

CLEANUP_STEPS = ("orient", "deskew", "upscale", "border", "denoise", "background", "blank")


def _default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


@dataclass(frozen=True)
class Settings:
    """Every tunable of chartroom. Field docs live in docs/configuration.md."""

    home: Path = field(default_factory=lambda: Path.home() / ".local" / "share" / "chartroom")
    log_level: str = "WARNING"
    workers: int = field(default_factory=_default_workers)
    # input limits
    max_file_mb: int = 1024
    max_pages: int = 2000
    max_page_megapixels: int = 60
    # rasterising and OCR
    pdf_dpi: int = 300
    default_dpi: int = 300
    ocr_language: str = "eng"
    ocr_timeout: int = 180
    tesseract_cmd: str = "tesseract"
    low_confidence: float = 60.0
    # cleanup
    cleanup: tuple[str, ...] = CLEANUP_STEPS
    upscale_below_dpi: int = 200
    upscale_target_dpi: int = 300
    # barcodes
    separator_prefix: str = "CHARTROOM-SEPARATOR"
    # system of record and intake
    database_url: str = ""  # empty: SQLite at HOME/chartroom.db; or postgresql+psycopg://...
    stable_seconds: float = 2.0  # a dropped file is taken once unchanged for this long
    poll_seconds: float = 1.0  # polling interval of the watch fallback (network shares)
    name_match_threshold: float = 0.92  # fuzzy name similarity (0-1) needed to file by name+DOB
    # clinical NLP
    mrn_pattern: str = r"[A-Z]{0,3}\d{6,10}"  # a site's MRN format (regular expression)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from CHARTROOM_<FIELD> variables (upper case); bad values raise."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f"CHARTROOM_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def with_(self, **changes: Any) -> Settings:
        """A copy with some fields changed (for tests and CLI flags)."""
        new = replace(self, **changes)
        new.validate()
        return new

    def validate(self) -> None:
        positive = (
            "workers",
            "max_file_mb",
            "max_pages",
            "max_page_megapixels",
            "pdf_dpi",
            "default_dpi",
            "ocr_timeout",
            "upscale_target_dpi",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"CHARTROOM_{name.upper()} must be a positive number")
        if not 0 <= self.low_confidence <= 100:
            raise ConfigError("CHARTROOM_LOW_CONFIDENCE must be between 0 and 100")
        unknown = sorted(set(self.cleanup) - set(CLEANUP_STEPS))
        if unknown:
            raise ConfigError(
                f"CHARTROOM_CLEANUP names unknown steps {unknown}; "
                f"known steps are {', '.join(CLEANUP_STEPS)}"
            )
        try:
            re.compile(self.mrn_pattern)
        except re.error as exc:
            raise ConfigError("CHARTROOM_MRN_PATTERN is not a valid regular expression") from exc
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ConfigError("CHARTROOM_LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")

    @property
    def max_page_pixels(self) -> int:
        return self.max_page_megapixels * 1_000_000

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024


def _parse(name: str, type_: Any, raw: str) -> Any:
    var = f"CHARTROOM_{name.upper()}"
    type_name = type_ if isinstance(type_, str) else getattr(type_, "__name__", str(type_))
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "Path":
            return Path(raw).expanduser()
        if type_name.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{var}={raw!r} is not a valid {type_name}") from exc
    return raw
