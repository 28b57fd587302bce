"""Bad input is refused early, each with its own error type and exit code, never a traceback."""

from __future__ import annotations

import os
import shutil
import struct
import time
import warnings
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject

from chartroom.errors import (
    ChartroomError,
    DamagedFile,
    EmptyFile,
    EmptyImage,
    EncryptedPdf,
    FileTooLarge,
    ImageTooLarge,
    InputNotFound,
    MissingDependency,
    NotARegularFile,
    OcrTimeout,
    SymlinkRefused,
    TooManyPages,
    UnsupportedFileType,
)
from chartroom.settings import Settings
from scanner import loaders, poppler
from scanner.filetypes import check_input
from scanner.types import FileType

try:  # medspacy-quickumls installs a top-level `tests` package that can shadow ours
    from tests import _inputs
except ImportError:
    import _inputs  # type: ignore[no-redef]

# a file name that looks like PHI: it must never appear in an error message
NAME = "Doe-Jane-1970-01-01"


def _refused(
    exc_type: type[ChartroomError], exit_code: int, excinfo: pytest.ExceptionInfo[ChartroomError]
) -> None:
    assert type(excinfo.value) is exc_type
    assert excinfo.value.exit_code == exit_code
    assert NAME not in str(excinfo.value)
    assert excinfo.value.hint


def _check_fast(path: Path | bytes, settings: Settings) -> FileType:
    started = time.monotonic()
    try:
        return check_input(path, settings)
    finally:
        assert time.monotonic() - started < 1.0


# --- check_input -------------------------------------------------------------------------


def test_missing_file(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(InputNotFound) as info:
        _check_fast(tmp_path / f"{NAME}.pdf", settings)
    _refused(InputNotFound, 66, info)


def test_zero_byte_file(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / f"{NAME}.pdf"
    path.write_bytes(b"")
    with pytest.raises(EmptyFile) as info:
        _check_fast(path, settings)
    _refused(EmptyFile, 70, info)


def test_symlink_to_a_good_file_is_refused(tmp_path: Path, settings: Settings) -> None:
    target = _inputs.save(_inputs.page_image(), tmp_path / "good.png", "PNG")
    assert check_input(target, settings) is FileType.PNG
    link = tmp_path / f"{NAME}.png"
    link.symlink_to(target)
    with pytest.raises(SymlinkRefused) as info:
        _check_fast(link, settings)
    _refused(SymlinkRefused, 68, info)


def test_dangling_symlink_is_refused_as_a_link(tmp_path: Path, settings: Settings) -> None:
    link = tmp_path / f"{NAME}.png"
    link.symlink_to(tmp_path / "nowhere.png")
    with pytest.raises(SymlinkRefused) as info:
        _check_fast(link, settings)
    _refused(SymlinkRefused, 68, info)


def test_directory(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / f"{NAME}.pdf"
    folder.mkdir()
    with pytest.raises(NotARegularFile) as info:
        _check_fast(folder, settings)
    _refused(NotARegularFile, 67, info)


def test_fifo_is_refused_without_blocking(tmp_path: Path, settings: Settings) -> None:
    fifo = tmp_path / f"{NAME}.tif"
    os.mkfifo(fifo)
    with pytest.raises(NotARegularFile) as info:
        _check_fast(fifo, settings)
    _refused(NotARegularFile, 67, info)


def test_device(settings: Settings) -> None:
    with pytest.raises(NotARegularFile) as info:
        _check_fast(Path("/dev/null"), settings)
    _refused(NotARegularFile, 67, info)


def test_file_too_large(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / f"{NAME}.png"
    path.write_bytes(_inputs.png_with_header(10, 10))
    with path.open("ab") as f:
        f.truncate(1024 * 1024 + 1)  # sparse: no real megabyte written
    with pytest.raises(FileTooLarge) as info:
        _check_fast(path, settings.with_(max_file_mb=1))
    _refused(FileTooLarge, 71, info)


def test_text_file_named_png_is_unsupported(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / f"{NAME}.png"
    path.write_text("Patient notes, typed\n")
    with pytest.raises(UnsupportedFileType) as info:
        _check_fast(path, settings)
    _refused(UnsupportedFileType, 72, info)


def test_jpeg_named_pdf_is_read_as_jpeg(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / f"{NAME}.pdf"
    path.write_bytes(_inputs.jpeg_bytes(_inputs.page_image(), dpi=(200, 200)))
    file_type = _check_fast(path, settings)
    assert file_type is FileType.JPEG
    page = loaders.load_page(path, file_type, 1, settings)
    assert page.image.shape == (300, 400)
    assert page.dpi == 200


@pytest.mark.poppler
def test_non_utf8_file_names_load(tmp_path: Path, settings: Settings) -> None:
    folder = os.fsencode(tmp_path)
    png = folder + b"/scan-\xff\xfe-" + NAME.encode() + b".png"
    pdf = folder + b"/scan-\xff-" + NAME.encode() + b".pdf"
    with open(png, "wb") as f:
        _inputs.page_image().save(f, format="PNG")
    built = _inputs.image_pdf(tmp_path / "plain.pdf", [(170, 220)], dpi=20)
    with open(pdf, "wb") as f:
        f.write(built.read_bytes())
    assert _check_fast(png, settings) is FileType.PNG
    assert loaders.load_page(png, FileType.PNG, 1, settings).image.shape == (300, 400)
    assert _check_fast(pdf, settings) is FileType.PDF
    low = settings.with_(pdf_dpi=72)
    assert loaders.page_count(pdf, FileType.PDF, low) == 1
    assert loaders.load_page(pdf, FileType.PDF, 1, low).image.shape == (792, 612)


# --- damaged, encrypted, oversized -----------------------------------------------------


@pytest.mark.poppler
@pytest.mark.parametrize("keep", [0.5, 0.05])
def test_truncated_pdf(tmp_path: Path, settings: Settings, keep: float) -> None:
    whole = _inputs.text_pdf(tmp_path / "whole.pdf").read_bytes()
    path = tmp_path / f"{NAME}.pdf"
    path.write_bytes(whole[: int(len(whole) * keep)])
    assert check_input(path, settings) is FileType.PDF
    with pytest.raises(DamagedFile) as info:
        loaders.page_count(path, FileType.PDF, settings)
    _refused(DamagedFile, 73, info)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "TIFF"])
def test_truncated_image(tmp_path: Path, settings: Settings, fmt: str) -> None:
    whole = _inputs.save(_inputs.page_image((600, 800)), tmp_path / "whole", fmt)
    data = whole.read_bytes()
    path = tmp_path / f"{NAME}.img"
    path.write_bytes(data[: len(data) // 2] if fmt != "TIFF" else data[:300])
    file_type = check_input(path, settings)
    with pytest.raises(DamagedFile) as info:
        loaders.page_count(path, file_type, settings)
        loaders.load_page(path, file_type, 1, settings)
    _refused(DamagedFile, 73, info)


@pytest.mark.poppler
def test_pdf_with_user_password(tmp_path: Path, settings: Settings) -> None:
    source = _inputs.text_pdf(tmp_path / "plain.pdf")
    path = _inputs.encrypted_pdf(source, tmp_path / f"{NAME}.pdf", user="u", owner="o")
    assert check_input(path, settings) is FileType.PDF
    with pytest.raises(EncryptedPdf) as info:
        loaders.page_count(path, FileType.PDF, settings)
    _refused(EncryptedPdf, 74, info)
    with pytest.raises(EncryptedPdf):
        loaders.load_page(path, FileType.PDF, 1, settings)
    with pytest.raises(EncryptedPdf):
        loaders.pdf_text_layer(path, FileType.PDF, 1, settings)


@pytest.mark.poppler
def test_pdf_with_only_an_owner_password_reads(tmp_path: Path, settings: Settings) -> None:
    source = _inputs.text_pdf(tmp_path / "plain.pdf")
    path = _inputs.encrypted_pdf(source, tmp_path / f"{NAME}.pdf", user="", owner="o")
    low = settings.with_(pdf_dpi=72)
    assert loaders.page_count(path, FileType.PDF, low) == 1
    assert loaders.load_page(path, FileType.PDF, 1, low).image.shape == (792, 612)
    layer = loaders.pdf_text_layer(path, FileType.PDF, 1, low)
    assert layer is not None and "Discharge" in layer.text


@pytest.mark.parametrize("size", [(0, 0), (0, 10), (10, 0)])
def test_png_without_pixels(tmp_path: Path, settings: Settings, size: tuple[int, int]) -> None:
    path = tmp_path / f"{NAME}.png"
    path.write_bytes(_inputs.png_with_header(*size))
    assert check_input(path, settings) is FileType.PNG
    with pytest.raises(EmptyImage) as info:
        loaders.load_page(path, FileType.PNG, 1, settings)
    _refused(EmptyImage, 77, info)


def test_jpeg_zero_wide(tmp_path: Path, settings: Settings) -> None:
    data = bytearray(_inputs.jpeg_bytes(_inputs.page_image()))
    sof = data.index(b"\xff\xc0")
    data[sof + 7 : sof + 9] = b"\x00\x00"  # width field of the frame header
    path = tmp_path / f"{NAME}.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(EmptyImage) as info:
        loaders.load_page(path, check_input(path, settings), 1, settings)
    _refused(EmptyImage, 77, info)


def test_tiff_zero_wide(tmp_path: Path, settings: Settings) -> None:
    data = bytearray(_inputs.save(_inputs.page_image(), tmp_path / "ok.tif", "TIFF").read_bytes())
    ifd, entries = _inputs.tiff_ifds(bytes(data))[0]
    for entry in range(ifd + 2, ifd + 2 + 12 * entries, 12):
        if struct.unpack("<H", data[entry : entry + 2])[0] == 256:  # ImageWidth
            data[entry + 8 : entry + 12] = bytes(4)
    path = tmp_path / f"{NAME}.tif"
    path.write_bytes(bytes(data))
    with pytest.raises(EmptyImage) as info:
        loaders.page_count(path, check_input(path, settings), settings)
    _refused(EmptyImage, 77, info)


def test_multipage_tiff_cut_short(tmp_path: Path, settings: Settings) -> None:
    whole = _inputs.multipage_tiff(tmp_path / "whole.tif", [(400, 300)] * 3, dpi=200)
    data = whole.read_bytes()
    path = tmp_path / f"{NAME}.tif"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DamagedFile) as info:
        count = loaders.page_count(path, FileType.TIFF, settings)
        for number in range(1, count + 1):
            loaders.load_page(path, FileType.TIFF, number, settings)
    _refused(DamagedFile, 73, info)


def test_tiff_with_a_looping_page_chain_ends(tmp_path: Path, settings: Settings) -> None:
    path = _inputs.multipage_tiff(tmp_path / "loop.tif", [(40, 30)] * 2, dpi=200)
    data = bytearray(path.read_bytes())
    (first, _), (second, entries) = _inputs.tiff_ifds(bytes(data))
    end = second + 2 + 12 * entries
    data[end : end + 4] = struct.pack("<I", first)  # page 2 points back at page 1
    path.write_bytes(bytes(data))
    assert loaders.page_count(path, FileType.TIFF, settings) == 2
    assert len(list(loaders.iter_pages(path, FileType.TIFF, settings))) == 2


def test_png_header_claiming_50000_squared_is_refused_fast(
    tmp_path: Path, settings: Settings
) -> None:
    path = tmp_path / f"{NAME}.png"
    path.write_bytes(_inputs.png_with_header(50_000, 50_000))
    started = time.monotonic()
    with pytest.raises(ImageTooLarge) as info:
        loaders.page_count(path, check_input(path, settings), settings)
    with pytest.raises(ImageTooLarge):
        loaders.load_page(path, FileType.PNG, 1, settings)
    assert time.monotonic() - started < 1.0
    _refused(ImageTooLarge, 75, info)


def test_decompression_bomb_warning_is_an_error(tmp_path: Path, settings: Settings) -> None:
    # 100 MP is under this limit but over Pillow's warning threshold (~89 MP)
    path = tmp_path / f"{NAME}.png"
    path.write_bytes(_inputs.png_with_header(10_000, 10_000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the loader must not rely on the caller's filters
        with pytest.raises(ImageTooLarge) as info:
            loaders.load_page(path, FileType.PNG, 1, settings.with_(max_page_megapixels=150))
    _refused(ImageTooLarge, 75, info)


def test_real_image_over_the_pixel_limit(tmp_path: Path, settings: Settings) -> None:
    path = _inputs.save(_inputs.page_image((1200, 1000)), tmp_path / f"{NAME}.tif", "TIFF")
    with pytest.raises(ImageTooLarge) as info:
        loaders.load_page(path, FileType.TIFF, 1, settings.with_(max_page_megapixels=1))
    _refused(ImageTooLarge, 75, info)


@pytest.mark.poppler
def test_pdf_page_over_the_pixel_limit_is_refused_before_rendering(
    tmp_path: Path, settings: Settings
) -> None:
    path = _inputs.blank_pdf(tmp_path / f"{NAME}.pdf", 1)  # letter: 8.4 MP at 300 dpi
    with pytest.raises(ImageTooLarge) as info:
        loaders.load_page(path, FileType.PDF, 1, settings.with_(max_page_megapixels=8))
    _refused(ImageTooLarge, 75, info)


@pytest.mark.poppler
def test_small_crop_box_does_not_hide_a_large_page(tmp_path: Path, settings: Settings) -> None:
    writer = PdfWriter()
    writer.add_page(PdfReader(_inputs.blank_pdf(tmp_path / "letter.pdf", 1)).pages[0])
    writer.pages[0].cropbox = RectangleObject([0, 0, 72, 72])  # 1 inch shown, letter rendered
    path = tmp_path / f"{NAME}.pdf"
    with path.open("wb") as f:
        writer.write(f)
    with pytest.raises(ImageTooLarge) as info:
        loaders.load_page(path, FileType.PDF, 1, settings.with_(max_page_megapixels=8))
    _refused(ImageTooLarge, 75, info)


@pytest.mark.poppler
def test_5000_page_pdf_is_refused_fast(tmp_path: Path, settings: Settings) -> None:
    path = _inputs.blank_pdf(tmp_path / f"{NAME}.pdf", 5000)
    assert settings.max_pages == 2000
    started = time.monotonic()
    with pytest.raises(TooManyPages) as info:
        loaders.page_count(path, check_input(path, settings), settings)
    assert time.monotonic() - started < 2.0
    _refused(TooManyPages, 76, info)
    assert "5000" in str(info.value)


def test_tiff_over_the_page_limit(tmp_path: Path, settings: Settings) -> None:
    path = _inputs.multipage_tiff(tmp_path / f"{NAME}.tif", [(50, 40)] * 4, dpi=200)
    with pytest.raises(TooManyPages) as info:
        loaders.page_count(path, FileType.TIFF, settings.with_(max_pages=3))
    _refused(TooManyPages, 76, info)
    assert loaders.page_count(path, FileType.TIFF, settings.with_(max_pages=4)) == 4


def test_page_number_out_of_range(tmp_path: Path, settings: Settings) -> None:
    path = _inputs.multipage_tiff(tmp_path / "three.tif", [(50, 40)] * 3, dpi=200)
    with pytest.raises(loaders.PageNumberError):
        loaders.load_page(path, FileType.TIFF, 4, settings)
    with pytest.raises(loaders.PageNumberError):
        loaders.load_page(path, FileType.TIFF, 0, settings)


# --- poppler failure paths (fakes) ------------------------------------------------------


def test_missing_poppler(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _inputs.text_pdf(tmp_path / f"{NAME}.pdf")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(MissingDependency) as info:
        loaders.page_count(path, FileType.PDF, settings)
    _refused(MissingDependency, 69, info)
    assert "poppler-utils" in info.value.hint
    assert poppler.version(settings) is None


def test_hanging_poppler_times_out(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _inputs.text_pdf(tmp_path / f"{NAME}.pdf")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pdfinfo"
    fake.write_text(f"#!/bin/sh\nexec {shutil.which('sleep')} 30\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    started = time.monotonic()
    with pytest.raises(OcrTimeout) as info:
        loaders.page_count(path, FileType.PDF, settings.with_(ocr_timeout=1))
    assert time.monotonic() - started < 5.0
    _refused(OcrTimeout, 81, info)
