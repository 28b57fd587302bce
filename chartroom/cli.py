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
    _add_intake_commands(sub)
    _add_search_commands(sub)
    _lazy_web_commands(sub)
    return parser


def _add_search_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """search and reindex (docs/search.md)."""
    module = "chartroom.search_command"
    search = sub.add_parser(
        "search",
        help='search the archive (words, "phrases", patient:, type:, dx:, date:, filed:)',
        description="Search the archive with the clerk query language (docs/search.md).",
    )
    search.add_argument("query", nargs="*", metavar="QUERY")
    search.add_argument("--json", action="store_true", help="the results as one JSON object")
    search.add_argument("--page", type=int, default=1, metavar="N", help="page of results")
    search.add_argument("--sort", choices=("relevance", "date"), default="relevance")
    search.add_argument("--boxes", action="store_true", help="boxes of the hit words (viewer)")
    search.add_argument(
        "--like", type=int, metavar="DOCUMENT_ID", help="documents like this one instead"
    )
    search.set_defaults(func=_lazy(module, "run_search"))

    reindex = sub.add_parser(
        "reindex",
        help="rebuild the search index from the records (resumable)",
        description=(
            "Rebuild the search index from the system of record in chunks (an interrupted run"
            " resumes), swap it in, then apply the journal. --journal applies the journal only."
        ),
    )
    reindex.add_argument("--journal", action="store_true", help="apply pending changes only")
    reindex.add_argument("--json", action="store_true", help="the counts as one JSON object")
    reindex.set_defaults(func=_lazy(module, "run_reindex"))


def _add_intake_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """watch, ingest, check and patients import (docs/ingest.md)."""
    module = "chartroom.ingest_command"
    watch = sub.add_parser(
        "watch",
        help="take files dropped in a folder into the archive (runs until stopped)",
        description=(
            "Watch DIR (default HOME/inbox) and take each file once it stops changing: stored or"
            " duplicate files move to HOME/archive, unreadable ones to HOME/failed with a reason."
        ),
    )
    watch.add_argument("directory", nargs="?", type=Path, metavar="DIR")
    watch.add_argument("--poll", action="store_true", help="poll (network shares)")
    watch.add_argument("--once", action="store_true", help="take what is there, then exit")
    watch.add_argument("--json", action="store_true", help="one JSON object per file")
    watch.add_argument("--workers", type=int, help="OCR worker processes")
    watch.set_defaults(func=_lazy(module, "run_watch"))

    ingest = sub.add_parser(
        "ingest",
        help="take folder trees or files into the archive in bulk, in place (resumable)",
        description=(
            "Take every file under each PATH into the archive without moving or changing it."
            " A second run skips what is done; a progress bar goes to stderr."
        ),
    )
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    ingest.add_argument("--json", action="store_true", help="one JSON object per file")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument("--workers", type=int, help="OCR worker processes")
    ingest.set_defaults(func=_lazy(module, "run_ingest"))

    check = sub.add_parser(
        "check",
        help="verify the database against the stored files",
        description="Rehash every stored file and compare the database with the blob store.",
    )
    check.add_argument("--json", action="store_true", help="the report as one JSON object")
    check.add_argument("--strict", action="store_true", help="unreferenced files fail too")
    check.set_defaults(func=_lazy(module, "run_check"))

    patients = sub.add_parser("patients", help="the patient index")
    patients_sub = patients.add_subparsers(dest="patients_command", metavar="ACTION", required=True)
    imp = patients_sub.add_parser(
        "import",
        help="import a CSV roster or a FHIR R4 Patient bundle",
        description="Create or update patients from FILE (.csv roster or .json FHIR bundle).",
    )
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--json", action="store_true", help="the counts as one JSON object")
    imp.set_defaults(func=_lazy(module, "run_patients_import"))


def _lazy_web_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """serve and users (docs/web.md); the web app itself is imported only when they run."""
    from chartroom.web_command import add_commands

    add_commands(sub)


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
