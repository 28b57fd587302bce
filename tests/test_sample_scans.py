"""The checked-in synthetic scans in sample_scans/ match their generator, manifest and budget."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader

SAMPLES = Path(__file__).resolve().parent.parent / "sample_scans"
BUDGET_BYTES = 4 * 1024 * 1024
FOOTER = "SYNTHETIC TEST DOCUMENT - NOT A REAL PATIENT"


def _data_files(folder: Path) -> dict[str, Path]:
    """Everything the generator writes (its own sources and caches excluded)."""
    return {
        p.name: p
        for p in folder.iterdir()
        if p.is_file() and p.suffix != ".py" and not p.name.startswith(".")
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def manifest() -> dict[str, object]:
    return json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def files(manifest: dict[str, object]) -> list[dict[str, object]]:
    entries = manifest["files"]
    assert isinstance(entries, list)
    return entries


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("regenerated")
    subprocess.run(
        [sys.executable, str(SAMPLES / "generate.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def test_regenerating_gives_byte_identical_files(regenerated: Path) -> None:
    committed, fresh = _data_files(SAMPLES), _data_files(regenerated)
    assert sorted(fresh) == sorted(committed), "run `make samples` and commit the result"
    changed = [name for name in committed if _sha256(committed[name]) != _sha256(fresh[name])]
    assert changed == [], f"stale sample files (run `make samples`): {changed}"


def test_manifest_lists_every_file_and_each_has_ground_truth(
    files: list[dict[str, object]],
) -> None:
    on_disk = _data_files(SAMPLES)
    names = {str(f["name"]) for f in files}
    truths = {str(f["ground_truth"]) for f in files}
    assert set(on_disk) == names | truths | {"manifest.json", "roster.csv"}
    for f in files:
        text = (SAMPLES / str(f["ground_truth"])).read_text(encoding="utf-8")
        pages = text.split("\f")
        assert len(pages) == f["page_count"], f["name"]
        assert all(FOOTER in page.splitlines() for page in pages), f["name"]


def test_whole_folder_stays_under_the_size_budget() -> None:
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file())
    assert total < BUDGET_BYTES, f"sample_scans/ is {total} bytes"


def test_roster_covers_every_patient_in_the_manifest(files: list[dict[str, object]]) -> None:
    rows = (SAMPLES / "roster.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "mrn,last_name,first_name,dob,sex"
    roster = {row.split(",")[0] for row in rows[1:]}
    assert all(len(mrn) == 8 and mrn.isdigit() for mrn in roster)
    for f in files:
        assert f["patient_mrn"] is None or f["patient_mrn"] in roster
        for doc in f["documents"]:  # type: ignore[attr-defined]
            assert doc["patient_mrn"] is None or doc["patient_mrn"] in roster


def test_page_counts_and_sizes_match_the_files(files: list[dict[str, object]]) -> None:
    for f in files:
        path, pages = SAMPLES / str(f["name"]), f["pages"]
        assert isinstance(pages, list)
        assert len(pages) == f["page_count"]
        if path.suffix == ".pdf":
            reader = PdfReader(path)
            assert len(reader.pages) == len(pages), path.name
            continue
        with Image.open(path) as im:
            assert getattr(im, "n_frames", 1) == len(pages), path.name
            for i, page in enumerate(pages):
                im.seek(i)
                assert im.size == (page["width"], page["height"]), (path.name, i + 1)
                assert round(float(im.info["dpi"][0])) == page["dpi"], (path.name, i + 1)


def _page_image(path: Path, number: int) -> np.ndarray:
    if path.suffix == ".pdf":
        page = str(number)
        png = subprocess.run(
            ["pdftoppm", "-r", "150", "-gray", "-png", "-f", page, "-l", page, str(path)],
            check=True,
            capture_output=True,
            timeout=60,
        ).stdout
        return np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    with Image.open(path) as im:
        im.seek(number - 1)
        return np.asarray(im.convert("L"))


@pytest.mark.poppler
def test_barcodes_in_the_manifest_decode(files: list[dict[str, object]]) -> None:
    checked = 0
    for f in files:
        for page in f["pages"]:  # type: ignore[attr-defined]
            expected = {(b["format"], b["text"]) for b in page["barcodes"]}
            if not expected:
                continue
            image = _page_image(SAMPLES / str(f["name"]), page["number"])
            found = {(r.format.name, r.text) for r in zxingcpp.read_barcodes(image)}
            assert expected <= found, (f["name"], page["number"], found)
            assert page["separator"] == any(
                text.startswith("CHARTROOM-SEPARATOR") for _, text in expected
            )
            checked += 1
    assert checked >= 4
