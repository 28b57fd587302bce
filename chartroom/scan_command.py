"""`chartroom scan`: print a summary per file, or one JSON object per file."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from chartroom.errors import UsageError
from chartroom.settings import Settings
from scanner.pipeline import ScanOutcome, scan_many
from scanner.types import ScannedDocument


def run_scan(args: argparse.Namespace, settings: Settings) -> int:
    files: list[Path] = args.files
    pdf_target = _pdf_targets(args.pdf, files)
    exit_code = 0
    for outcome in scan_many(files, settings, pdf_out=pdf_target):
        if outcome.error is not None and exit_code == 0:
            exit_code = outcome.error.exit_code
        if args.json:
            print(json.dumps(_as_json(outcome), ensure_ascii=False), flush=True)
        else:
            print(_summary(outcome), flush=True)
    return exit_code


def _pdf_targets(out: Path | None, files: list[Path]) -> Callable[[Path], Path | None] | None:
    if out is None:
        return None
    if len(files) == 1 and not out.is_dir():
        return lambda _path: out
    if not out.is_dir():
        raise UsageError(
            "--pdf must name an existing folder when several files are scanned",
            hint="Create the folder first, or scan one file at a time",
        )
    return lambda path: out / f"{path.stem}.pdf"


def _display(path: Path) -> str:
    # Non-UTF-8 file names are shown with escapes rather than crashing the terminal.
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def _as_json(outcome: ScanOutcome) -> dict[str, object]:
    if outcome.error is not None:
        return {"source": _display(outcome.source), "error": outcome.error.as_json()}
    assert outcome.document is not None
    data = outcome.document.as_json()
    data["source"] = _display(outcome.source)
    return data


def _summary(outcome: ScanOutcome) -> str:
    name = _display(outcome.source)
    if outcome.error is not None:
        return f"{name}: FAILED {outcome.error.type_name}: {outcome.error}"
    assert outcome.document is not None
    return f"{name}: {describe(outcome.document)}"


def describe(doc: ScannedDocument) -> str:
    pages = doc.pages
    read = [p for p in pages if not p.blank]
    mean = sum(p.confidence for p in read) / len(read) if read else 0.0
    parts = [
        f"{doc.file_type.value}, {len(pages)} page{'s' if len(pages) != 1 else ''}",
        f"{sum(len(p.words) for p in pages)} words",
        f"mean confidence {mean:.0f}",
    ]
    notes = []
    for p in pages:
        marks = []
        if p.blank:
            marks.append("blank")
        if p.low_confidence:
            marks.append("low confidence: re-scan")
        if p.separator:
            marks.append("separator sheet")
        if p.text_source == "pdf-text-layer":
            marks.append("text layer")
        if p.cleanup.rotation:
            marks.append(f"rotated {p.cleanup.rotation}")
        if abs(p.cleanup.deskew_angle) >= 0.1:
            marks.append(f"deskewed {p.cleanup.deskew_angle:+.1f}°")
        if p.cleanup.scale != 1.0:
            marks.append(f"upscaled x{p.cleanup.scale:.1f}")
        marks.extend(f"{b.format} barcode" for b in p.barcodes)
        if marks:
            notes.append(f"p{p.number}: " + ", ".join(marks))
    segments = doc.segments()
    if len(segments) > 1:
        spans = "; ".join(f"pages {s[0].number}-{s[-1].number}" for s in segments)
        parts.append(f"{len(segments)} documents ({spans})")
    text = ", ".join(parts)
    return text + ("\n    " + "\n    ".join(notes) if notes else "")


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use `chartroom scan`")
