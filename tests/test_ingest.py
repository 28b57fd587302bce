"""Bulk ingest (`chartroom ingest`): every file accounted for once, resumable, sources untouched.

Real scanner, real NLP, real SQLite; small drawn pages keep it quick.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from chartroom.cli import main
from chartroom.settings import Settings
from indexer.bulk import Missing, run_bulk
from indexer.folders import display
from indexer.ingest import Done, bulk_key, cover_pages
from records.store import RecordStore
from records.types import Outcome
from scanner.types import Barcode, CleanupRecord, FileType, ScannedDocument, ScannedPage
from tests import _intake_files as files

pytestmark = [pytest.mark.tesseract, pytest.mark.poppler]


@pytest.fixture
def store(settings: Settings) -> Iterator[RecordStore]:
    with RecordStore(settings) as s:
        yield s


def _archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive-in-place"
    sub = folder / "2019" / "box 7"
    sub.mkdir(parents=True)
    good = files.good_files(sub)
    (folder / "z-copies").mkdir()
    shutil.copy(good[0], folder / "z-copies" / "page0.png")  # a duplicate (walked after 2019/)
    files.bad_files(folder, tmp_path / "scratch")
    files.ignored_files(folder)
    return folder


def _run(settings: Settings, store: RecordStore, folder: Path) -> dict[str, Done]:
    seen: dict[str, Done] = {}

    def report(done: Done | Missing) -> str | None:
        assert isinstance(done, Done)
        name = str(done.item.path.relative_to(folder))
        assert name not in seen, "a file was reported twice"
        seen[name] = done
        return None

    run_bulk(settings, store, store.blobs, [folder], report, progress=False)
    return seen


def test_bulk_accounts_for_every_file_once_and_never_touches_sources(
    tmp_path: Path, settings: Settings, store: RecordStore
) -> None:
    folder = _archive(tmp_path)
    before = files.snapshot(folder)
    first = _run(settings, store, folder)

    assert set(first) == {
        "2019/box 7/page0.png",
        "2019/box 7/page1.png",
        "z-copies/page0.png",
        *files.BAD,
    }  # ignored (temporary, hidden) files are not taken
    outcomes = {name: d.result.outcome for name, d in first.items() if d.result}
    assert outcomes["2019/box 7/page0.png"] == Outcome.STORED
    assert outcomes["2019/box 7/page1.png"] == Outcome.STORED
    assert outcomes["z-copies/page0.png"] == Outcome.DUPLICATE
    original = first["2019/box 7/page0.png"].result
    duplicate = first["z-copies/page0.png"].result
    assert original is not None and duplicate is not None
    assert duplicate.document_ids == original.document_ids
    for name, error_type in files.BAD.items():
        result = first[name].result
        assert result is not None and result.outcome == Outcome.FAILED
        assert result.reason.startswith(f"{error_type}: "), result.reason
    assert files.snapshot(folder) == before  # nothing moved, changed or added

    counts = store.counts()
    assert counts["documents"] == 2
    assert counts["intake_stored"] == 2 and counts["intake_duplicate"] == 1
    assert counts["intake_failed"] == len(files.BAD)

    # A second run redoes nothing and reports the same outcomes.
    second = _run(settings, store, folder)
    assert set(second) == set(first)
    for name, done in second.items():
        assert done.resumed, name
        assert done.result == first[name].result
    assert store.counts() == counts
    assert files.snapshot(folder) == before


def test_a_changed_file_is_a_new_input(tmp_path: Path) -> None:
    path = files.small_page(tmp_path / "a.png", "Visit one")
    st = path.stat()
    key = bulk_key(path, st.st_size, st.st_mtime_ns)
    assert key != bulk_key(path, st.st_size + 1, st.st_mtime_ns)
    assert key != bulk_key(path, st.st_size, st.st_mtime_ns + 1)
    assert key != bulk_key(tmp_path / "b.png", st.st_size, st.st_mtime_ns)


def test_non_utf8_names_are_taken_and_displayed_escaped(
    tmp_path: Path, settings: Settings, store: RecordStore
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    raw = b"caf\xe9-visit.png"  # Latin-1, not UTF-8
    files.small_page(folder / os.fsdecode(raw), "Visit")
    seen: list[Done | Missing] = []

    def report(done: Done | Missing) -> None:
        seen.append(done)

    run_bulk(settings, store, store.blobs, [folder], report, progress=False)
    done = seen[0]
    assert len(seen) == 1 and isinstance(done, Done) and done.result is not None
    assert done.result.outcome == Outcome.STORED
    assert done.result.source.name == raw
    assert display(done.item.path).endswith("caf\\xe9-visit.png")


def test_cover_sheet_barcodes_reach_every_segment_of_a_batch() -> None:
    def page(n: int, barcodes: tuple[str, ...] = (), separator: bool = False) -> ScannedPage:
        codes = tuple(Barcode("Code128", t, 0, 0, 10, 10) for t in barcodes)
        return ScannedPage(
            n,
            10,
            10,
            300,
            f"text {n}",
            90.0,
            False,
            False,
            CleanupRecord(),
            codes,
            separator=separator,
        )

    batch = ScannedDocument(
        "b.pdf",
        "0" * 64,
        FileType.PDF,
        (page(1, ("MRN:00234567",)), page(2), page(3, ("CHARTROOM-SEPARATOR",), True), page(4)),
    )
    cover = cover_pages(batch)
    assert [p.number for p in cover] == [1]
    assert cover[0].text == "" and cover[0].barcodes[0].text == "MRN:00234567"
    single = ScannedDocument("s.pdf", "0" * 64, FileType.PDF, (page(1, ("MRN:1",)), page(2)))
    assert cover_pages(single) == ()  # no separators: the only segment has the cover already


@pytest.mark.slow
def test_cli_ingest_json_files_cover_sheet_batches_by_barcode(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHARTROOM_HOME", str(tmp_path / "home"))
    samples = root / "sample_scans"
    assert main(["patients", "import", str(samples / "roster.csv")]) == 0
    assert "5 created" in capsys.readouterr().out
    inputs = [samples / "batch_quellbrook.pdf", samples / "cover_sheet_ashcombe_varro.pdf"]
    assert main(["ingest", "--json", *map(str, inputs)]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    by_name = {Path(line["source"]).name: line for line in lines}
    batch = by_name["batch_quellbrook.pdf"]
    assert batch["outcome"] == "stored" and len(batch["document_ids"]) == 2
    assert batch["document_id"] == batch["document_ids"][0]
    assert batch["patients"] == ["00234567", "00234567"]  # the cover sheet files both
    assert by_name["cover_sheet_ashcombe_varro.pdf"]["patient"] == "00456789"
    assert "file" in captured.err  # the progress bar

    assert main(["ingest", "--json", "--no-progress", *map(str, inputs)]) == 0
    again = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["outcome"], a["document_ids"]) for a in again] == [
        (a["outcome"], a["document_ids"]) for a in lines
    ]
    assert all(a["resumed"] for a in again)

    assert main(["check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["stored_files"] == 2 and not report["unreferenced"]


def test_check_reports_missing_damaged_and_unreferenced_blobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHARTROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHARTROOM_WORKERS", "1")
    folder = tmp_path / "in"
    folder.mkdir()
    files.small_page(folder / "one.png", "Visit one")
    files.small_page(folder / "two.png", "Visit two")
    assert main(["ingest", "--no-progress", str(folder)]) == 0
    capsys.readouterr()
    assert main(["check"]) == 0
    with RecordStore(Settings.from_env()) as store:
        first, second = sorted(store.iter_stored_shas())
        stray = store.blobs.put_bytes(b"left by a crash")
        store.blobs.path_for(first).unlink()
        damaged = store.blobs.path_for(second)
        damaged.chmod(0o644)
        damaged.write_bytes(b"bit rot")
    capsys.readouterr()
    assert main(["check", "--json"]) == 90
    report = json.loads(capsys.readouterr().out)
    assert report["missing"] == [first] and report["damaged"] == [second]
    assert report["unreferenced"] == [stray] and not report["ok"]
