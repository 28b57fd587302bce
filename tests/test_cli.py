from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chartroom.cli import main
from tests._drawing import save_png, text_page

ROOT = Path(__file__).resolve().parent.parent


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("scan", "doctor", "extract"):
        assert command in out


def test_console_script_runs() -> None:
    exe = Path(sys.executable).parent / "chartroom"
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert result.stdout.startswith("chartroom ")


@pytest.mark.tesseract
@pytest.mark.poppler
def test_doctor_passes_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "All checks passed" in out
    assert "orientation (osd)" in out


def test_doctor_names_the_package_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHARTROOM_TESSERACT_CMD", "/nonexistent/tesseract")
    assert main(["doctor"]) == 69
    out = capsys.readouterr().out
    assert "FAIL tesseract" in out
    assert "apt-get install tesseract-ocr" in out


def test_bad_setting_is_reported_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CHARTROOM_WORKERS", "many")
    assert main(["doctor"]) == 78
    assert "CHARTROOM_WORKERS" in capsys.readouterr().err


@pytest.mark.tesseract
def test_scan_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = save_png(text_page(), tmp_path / "page.png")
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    code = main(["scan", "--json", "--workers", "1", str(good), str(empty)])
    captured = capsys.readouterr()
    assert code == 70  # EmptyFile: the exit code of the first failure
    assert "Traceback" not in captured.err
    first, second = (json.loads(line) for line in captured.out.splitlines())
    assert first["source"] == str(good)
    page = first["pages"][0]
    assert set(page) >= {
        "number",
        "text",
        "confidence",
        "blank",
        "low_confidence",
        "cleanup",
        "barcodes",
        "words",
    }
    assert page["number"] == 1 and not page["blank"] and not page["low_confidence"]
    assert "DISCHARGE" in page["text"]
    assert 0 <= page["confidence"] <= 100
    word = page["words"][0]
    assert set(word) == {"text", "left", "top", "width", "height", "confidence"}
    assert set(page["cleanup"]) == {"rotation", "deskew_angle", "scale", "steps"}
    assert second == {
        "source": str(empty),
        "error": {"type": "EmptyFile", "message": second["error"]["message"]},
    }
    assert "re-export" in second["error"]["message"]


@pytest.mark.tesseract
@pytest.mark.poppler
def test_scan_writes_searchable_pdf(tmp_path: Path) -> None:
    source = save_png(text_page(), tmp_path / "page.png")
    out = tmp_path / "out.pdf"
    assert main(["scan", "--workers", "1", "--pdf", str(out), str(source)]) == 0
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "furosemide" in text
