"""Input files for the intake tests: small drawn pages (quick to OCR) and the scanner's bad inputs.

No PHI: invented words and numbers only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

try:  # medspacy-quickumls installs a top-level `tests` package that can shadow ours
    from tests import _inputs
    from tests._drawing import save_png, text_page
except ImportError:  # pragma: no cover
    import _inputs  # type: ignore[no-redef]
    from _drawing import save_png, text_page  # type: ignore[no-redef]

# What each bad input is refused with.
BAD = {
    "empty.pdf": "EmptyFile",
    "truncated.pdf": "DamagedFile",
    "locked.pdf": "EncryptedPdf",
    "nopixels.png": "EmptyImage",
    "notes.txt": "UnsupportedFileType",
}
IGNORED = ("scan.pdf.tmp", "~$draft.png", "._scan.png", "big.pdf.filepart", "x.part", ".hidden.png")


def small_page(path: Path, title: str) -> Path:
    """A small page (4 x 2.5 in at 200 dpi) with a few lines of text: OCR takes about a second."""
    lines = (title, "Progress note", "Plan: continue furosemide.")
    return save_png(text_page(lines, dpi=200, size=(4.0, 2.5)), path, dpi=200)


def good_files(folder: Path, count: int = 2) -> list[Path]:
    return [small_page(folder / f"page{n}.png", f"Clinic visit number {n}") for n in range(count)]


def bad_files(folder: Path, scratch: Path) -> list[Path]:
    scratch.mkdir(parents=True, exist_ok=True)
    whole = _inputs.text_pdf(scratch / "whole.pdf")
    data = whole.read_bytes()
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    _inputs.encrypted_pdf(whole, folder / "locked.pdf", user="u", owner="o")
    (folder / "nopixels.png").write_bytes(_inputs.png_with_header(0, 0))
    (folder / "notes.txt").write_text("not a scan\n")
    return [folder / name for name in BAD]


def ignored_files(folder: Path) -> list[Path]:
    for name in IGNORED:
        (folder / name).write_bytes(b"partial")
    return [folder / name for name in IGNORED]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """name -> (sha256, size, mtime_ns) of every file under `folder`."""
    return {
        str(p.relative_to(folder)): (sha256(p), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
