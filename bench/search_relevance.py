"""Relevance sanity on the ingested sample_scans/: scripted clerk questions return the right
documents first.

    .venv/bin/python bench/search_relevance.py [--home DIR]

Imports sample_scans/roster.csv, ingests every sample scan through the real pipeline (OCR, NLP,
filing, journal), then asks each question below and compares the documents of the top hits with
what sample_scans/manifest.json says each file is. Prints one line per question and exits 1 if
any question fails. Expected answers are file names (a batch file holds several documents).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chartroom.cli import main as chartroom  # noqa: E402
from chartroom.settings import Settings  # noqa: E402
from indexer.search import Search  # noqa: E402

SAMPLES = REPO / "sample_scans"

# (question, query, files expected first (in any order), files that must not appear at all)
QUESTIONS: list[tuple[str, str, set[str], set[str]]] = [
    (
        "discharge summaries of patient Brindlemoor in 2019",
        "type:discharge_summary patient:brindlemoor date:2019",
        {"discharge_summary_brindlemoor.pdf"},
        {"lab_report_brindlemoor.png", "clinic_note_brindlemoor.jpg"},
    ),
    (
        "the same patient by MRN, any document dated in March 2019",
        "patient:00123456 date:2019-03",
        # the clinic note of June quotes an HbA1c of 2019-03-12: any document date counts
        {
            "discharge_summary_brindlemoor.pdf",
            "lab_report_brindlemoor.png",
            "clinic_note_brindlemoor.jpg",
        },
        set(),
    ),
    (
        "all breast cancer diagnoses (every mention is family history or negated: none)",
        "dx:C50",
        set(),
        {"history_physical_ashcombe_varro.tif", "pathology_report_tallowmere.png"},
    ),
    (
        'pages that mention "breast cancer"',
        '"breast cancer"',
        {"history_physical_ashcombe_varro.tif", "pathology_report_tallowmere.png"},
        set(),
    ),
    (
        "current atrial fibrillation diagnoses",
        "dx:I48",
        # the operative report lists it under past medical history (historical, not searched)
        {
            "history_physical_ashcombe_varro.tif",
            "batch_quellbrook.pdf",
            "cover_sheet_ashcombe_varro.pdf",
        },
        {"operative_report_quellbrook.pdf"},
    ),
    (
        "COPD of patient 00345678",
        "dx:J44 patient:00345678",
        {"progress_note_fenwhistle.tif", "letter_fenwhistle.pdf"},
        set(),
    ),
    (
        "pneumonia diagnoses (all negated: none)",
        "dx:J18",
        set(),
        {"discharge_summary_brindlemoor.pdf", "progress_note_fenwhistle.tif"},
    ),
    (
        "gallstones on imaging",
        "cholelithiasis type:radiology",
        {"radiology_report_quellbrook.jpg"},
        {"operative_report_quellbrook.pdf"},
    ),
    (
        "every page that names gallstones",
        "cholelithiasis",
        {"radiology_report_quellbrook.jpg", "operative_report_quellbrook.pdf"},
        set(),
    ),
    ("an OCR-misspelt search", "cholecystitus~", {"operative_report_quellbrook.pdf"}, set()),
    (
        "documents of June 2023",
        "date:2023-06",
        {"history_physical_ashcombe_varro.tif", "cover_sheet_ashcombe_varro.pdf"},
        set(),
    ),
]


def ingest(home: Path) -> dict[int, str]:
    """Ingest the samples into `home`; returns document id -> sample file name."""
    os.environ["CHARTROOM_HOME"] = str(home)
    out = StringIO()
    with redirect_stdout(out):
        chartroom(["patients", "import", str(SAMPLES / "roster.csv")])
    files = sorted(p for p in SAMPLES.iterdir() if p.suffix in {".pdf", ".tif", ".jpg", ".png"})
    out = StringIO()
    with redirect_stdout(out):
        chartroom(["ingest", "--json", "--no-progress", *map(str, files)])
    owner: dict[int, str] = {}
    for line in out.getvalue().splitlines():
        record = json.loads(line)
        for document_id in record.get("document_ids", []):
            owner[document_id] = Path(record["source"]).name
    return owner


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", type=Path, help="data folder (default: a temporary one)")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="chartroom-relevance-"))
    owner = ingest(home)
    print(f"# {len(owner)} documents from {len(set(owner.values()))} sample files in {home}")
    failures = 0
    with Search(Settings.from_env()) as search:
        for question, query, first, never in QUESTIONS:
            results = search.search(query, page_size=50)
            ranked: list[str] = []
            for hit in results.hits:
                name = owner.get(hit.document_id, "?")
                if name not in ranked:
                    ranked.append(name)
            top = set(ranked[: len(first)])
            ok = top == first and not (set(ranked) & never) and (first or not ranked)
            failures += not ok
            shown = ", ".join(ranked[:5]) or "(no hits)"
            print(f"{'PASS' if ok else 'FAIL'}  {question}\n      {query}  ->  {shown}")
    print(f"{len(QUESTIONS) - failures}/{len(QUESTIONS)} questions answered right")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
