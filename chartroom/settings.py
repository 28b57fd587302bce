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
# On by default: the steps that measurably help (docs/benchmarks.md, OCR ablation). `denoise`
# (conditional median filter) is off: it lowered word recall on real ~100 dpi forms (FUNSD,
# 0.695 -> 0.669) and changed nothing on the bundled samples.
DEFAULT_CLEANUP = ("orient", "deskew", "upscale", "border", "background", "blank")


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
    cleanup: tuple[str, ...] = DEFAULT_CLEANUP
    upscale_below_dpi: int = 200
    upscale_target_dpi: int = 300
    # barcodes
    separator_prefix: str = "CHARTROOM-SEPARATOR"
    # system of record and intake
    database_url: str = ""  # empty: SQLite at HOME/chartroom.db; or postgresql+psycopg://...
    stable_seconds: float = 2.0  # a dropped file is taken once unchanged for this long
    poll_seconds: float = 1.0  # polling interval of the watch fallback (network shares)
    name_match_threshold: float = 0.92  # fuzzy name similarity (0-1) needed to file by name+DOB
    # search index
    search_max_query_chars: int = 1000  # longer queries are refused (QueryError)
    search_page_size: int = 20  # hits per page of results
    index_lock_timeout: float = 2.0  # seconds a writer waits for the index lock
    index_batch_pages: int = 10000  # pages per commit when rebuilding; documents per journal batch
    index_memory_mb: int = 256  # the index writer's in-memory buffer before it spills to disk
    index_workers: int = 2  # processes building a rebuild's chunks at once (each one's buffer)
    # clinical NLP
    mrn_pattern: str = r"[A-Z]{0,3}\d{6,10}"  # a site's MRN format (regular expression)
    # web app (docs/web.md)
    web_secret_key: str = ""  # required by the web app: 32+ random characters, never the example
    web_secure_cookies: bool = True  # Secure cookie flag; false only for plain-http local dev
    web_host: str = "127.0.0.1"  # `chartroom serve` listens here
    web_port: int = 8080
    web_threads: int = 8  # WSGI server worker threads
    web_idle_minutes: int = 15  # a session ends after this long without a request
    web_session_hours: int = 10  # ... and this long after sign-in, whatever the activity
    web_login_window_minutes: int = 15  # failed sign-ins counted over this window
    web_login_account_limit: int = 5  # failures per account name in the window before refusing
    web_login_address_limit: int = 20  # failures per client address in the window
    web_upload_mb: int = 50  # largest request body (uploads, roster imports)
    web_break_glass_minutes: int = 60  # how long emergency access lasts
    web_restricted_roles: tuple[str, ...] = ("records",)  # roles that see restricted documents
    web_trusted_proxies: int = 0  # reverse proxies in front that set X-Forwarded-For

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
            "search_max_query_chars",
            "search_page_size",
            "index_batch_pages",
            "index_memory_mb",
            "index_workers",
            "web_port",
            "web_threads",
            "web_idle_minutes",
            "web_session_hours",
            "web_login_window_minutes",
            "web_login_account_limit",
            "web_login_address_limit",
            "web_upload_mb",
            "web_break_glass_minutes",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"CHARTROOM_{name.upper()} must be a positive number")
        if self.index_lock_timeout < 0:
            raise ConfigError("CHARTROOM_INDEX_LOCK_TIMEOUT must not be negative")
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
    def index_dir(self) -> Path:
        return self.home / "index"

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
        if type_name == "bool":
            return _parse_bool(raw)
        if type_name == "Path":
            return Path(raw).expanduser()
        if type_name.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{var}={raw!r} is not a valid {type_name}") from exc
    return raw


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(raw)
