"""The `chartroom` command line: one console script with subcommands."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from chartroom import __version__
from chartroom.errors import ChartroomError, ConfigError
from chartroom.logs import configure_logging
from chartroom.settings import Settings

log = logging.getLogger(__name__)

Command = Callable[[argparse.Namespace, Settings], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chartroom",
        description="Turn scanned paper medical records into a searchable archive.",
        epilog="Settings come from CHARTROOM_* environment variables (docs/configuration.md).",
    )
    parser.add_argument("--version", action="version", version=f"chartroom {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    scan = sub.add_parser(
        "scan",
        help="OCR scanner output (PDF, TIFF, PNG, JPEG) and print the pages",
        description="Clean up and OCR each FILE; print a summary per file, or JSON Lines.",
    )
    scan.add_argument("files", nargs="+", type=Path, metavar="FILE")
    scan.add_argument("--json", action="store_true", help="one JSON object per file (JSON Lines)")
    scan.add_argument(
        "--pdf",
        type=Path,
        metavar="OUT",
        help="write a searchable PDF: OUT is a .pdf path for one FILE, a folder for several",
    )
    scan.add_argument("--workers", type=int, help="worker processes (default CHARTROOM_WORKERS)")
    scan.set_defaults(func=_lazy("chartroom.scan_command", "run_scan"))

    doctor = sub.add_parser(
        "doctor",
        help="check the external programs chartroom needs",
        description="Check tesseract (version, languages, OSD data) and poppler; say what to install.",  # noqa: E501
    )
    doctor.set_defaults(func=_lazy("chartroom.doctor", "run_doctor"))

    extract = sub.add_parser(
        "extract",
        help="extract diagnoses, dates, identifiers and document type from text",
        description="Read each text FILE (or standard input with -) and print its findings.",
    )
    extract.add_argument("files", nargs="*", default=["-"], metavar="FILE")
    extract.add_argument("--json", action="store_true", help="JSON (JSON Lines for several FILEs)")
    extract.set_defaults(func=_lazy("chartroom.extract_command", "run_extract"))
    return parser


def _lazy(module: str, name: str) -> Command:
    """Import a command's module only when it runs (spaCy and OpenCV are slow to import)."""

    def run(args: argparse.Namespace, settings: Settings) -> int:
        import importlib

        func: Command = getattr(importlib.import_module(module), name)
        return func(args, settings)

    return run


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if getattr(args, "workers", None) is not None:
            settings = settings.with_(workers=args.workers)
    except ConfigError as exc:
        print(f"chartroom: {exc}", file=sys.stderr)
        return exc.exit_code
    configure_logging(settings)
    try:
        code: int = args.func(args, settings)
    except ChartroomError as exc:
        if getattr(args, "json", False):
            print(json.dumps({"error": exc.as_json()}))
        print(f"chartroom: {exc.type_name}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("chartroom: interrupted", file=sys.stderr)
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
