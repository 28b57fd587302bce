"""End to end: small drawn pages through the real ingest service (OCR, NLP, filing, commit,
journal) are found by `chartroom search`. Invented words only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chartroom.cli import main
from tests._drawing import save_png, text_page

pytestmark = [pytest.mark.tesseract, pytest.mark.poppler]


def test_ingested_pages_are_found_by_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHARTROOM_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHARTROOM_WORKERS", "1")
    folder = tmp_path / "scans"
    folder.mkdir()
    pages = {
        "a.png": ("Progress note", "Sarcoidosis is stable.", "Plan: continue prednisone."),
        "b.png": ("Radiology report", "Chest film shows cardiomegaly.", "No effusion seen."),
    }
    for name, lines in pages.items():
        save_png(text_page(lines, dpi=200, size=(4.5, 2.5)), folder / name, dpi=200)
    assert main(["ingest", "--json", "--no-progress", str(folder)]) == 0
    stored = {
        Path(r["source"]).name: r["document_id"]
        for r in map(json.loads, capsys.readouterr().out.splitlines())
    }
    assert main(["search", "--json", "sarcoidosis"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [h["document_id"] for h in result["hits"]] == [stored["a.png"]]
    assert "<mark>Sarcoidosis</mark>" in result["hits"][0]["snippet"]
    assert main(["search", "--json", "--boxes", "cardiomegaly"]) == 0
    (hit,) = json.loads(capsys.readouterr().out)["hits"]
    assert hit["document_id"] == stored["b.png"] and hit["page"] == 1
    assert [b["text"].rstrip(".") for b in hit["boxes"]] == ["cardiomegaly"]
    assert main(["check", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["index"]["indexed"] == 2
