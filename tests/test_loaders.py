"""Good input loads as 8-bit greyscale pages with the right size and resolution."""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.constants import UserAccessPermissions

from chartroom.settings import Settings
from scanner import loaders, poppler
from scanner.filetypes import check_input, declared_size
from scanner.types import FileType, PageImage

try:  # medspacy-quickumls installs a top-level `tests` package that can shadow ours
    from tests import _inputs
except ImportError:
    import _inputs  # type: ignore[no-redef]


def _assert_page(page: PageImage, shape: tuple[int, int]) -> None:
    assert page.image.dtype == np.uint8
    assert page.image.ndim == 2
    assert page.image.shape == shape
    # the black bar drawn at the top left, on a white page
    assert page.image[20, 20] < 60
    assert page.image[shape[0] - 5, shape[1] - 5] > 200


@pytest.mark.parametrize(
    ("fmt", "file_type"),
    [("PNG", FileType.PNG), ("TIFF", FileType.TIFF), ("JPEG", FileType.JPEG)],
)
def test_single_image_with_dpi(
    tmp_path: Path, settings: Settings, fmt: str, file_type: FileType
) -> None:
    path = _inputs.save(_inputs.page_image(), tmp_path / "page", fmt, dpi=(200, 200))
    assert check_input(path, settings) is file_type
    assert declared_size(path, file_type) == (400, 300)
    assert loaders.page_count(path, file_type, settings) == 1
    page = loaders.load_page(path, file_type, 1, settings)
    _assert_page(page, (300, 400))
    assert (page.number, page.dpi, page.dpi_from_file) == (1, 200, True)


@pytest.mark.parametrize("dpi", [None, (20, 20)])
def test_missing_or_implausible_dpi_uses_default(
    tmp_path: Path, settings: Settings, dpi: tuple[int, int] | None
) -> None:
    params = {} if dpi is None else {"dpi": dpi}
    path = _inputs.save(_inputs.page_image(), tmp_path / "page.png", "PNG", **params)
    page = loaders.load_page(path, FileType.PNG, 1, settings.with_(default_dpi=240))
    assert (page.dpi, page.dpi_from_file) == (240, False)


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "LA", "CMYK", "I", "F"])
def test_image_modes_become_8bit_grey(tmp_path: Path, settings: Settings, mode: str) -> None:
    img = _inputs.page_image(mode="RGB").convert(mode)
    fmt = "JPEG" if mode == "CMYK" else "TIFF"
    path = _inputs.save(img, tmp_path / "page", fmt)
    page = loaders.load_page(path, check_input(path, settings), 1, settings)
    _assert_page(page, (300, 400))


def test_16bit_png(tmp_path: Path, settings: Settings) -> None:
    data = np.full((300, 400), 65535, dtype=np.uint16)
    data[10:31, 10:201] = 0
    data[100, 100] = 32896  # mid grey
    path = tmp_path / "deep.png"
    Image.fromarray(data).save(path)
    with Image.open(path) as probe:
        assert probe.mode.startswith("I")
    page = loaders.load_page(path, FileType.PNG, 1, settings)
    _assert_page(page, (300, 400))
    assert page.image[100, 100] == 128


def test_transparent_areas_become_white(tmp_path: Path, settings: Settings) -> None:
    img = _inputs.page_image(mode="RGBA")
    pixels = np.array(img)
    pixels[200:, :, 3] = 0  # bottom part fully transparent
    pixels[200:, :, :3] = 0  # ... with black colour underneath
    path = tmp_path / "alpha.png"
    Image.fromarray(pixels, "RGBA").save(path)
    page = loaders.load_page(path, FileType.PNG, 1, settings)
    assert page.image[250, 200] == 255


def test_jpeg_exif_orientation_is_applied(tmp_path: Path, settings: Settings) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to view
    path = tmp_path / "sideways.jpg"
    path.write_bytes(_inputs.jpeg_bytes(_inputs.page_image(), exif=exif.tobytes()))
    page = loaders.load_page(path, FileType.JPEG, 1, settings)
    assert page.image.shape == (400, 300)
    # the bar at the stored top left is now at the top right
    assert page.image[20, 280] < 60


def test_multipage_tiff(tmp_path: Path, settings: Settings) -> None:
    sizes = [(400, 300), (500, 350), (300, 420)]
    path = _inputs.multipage_tiff(tmp_path / "batch.tif", sizes, dpi=150)
    assert loaders.page_count(path, FileType.TIFF, settings) == 3
    for number, (width, height) in enumerate(sizes, start=1):
        page = loaders.load_page(path, FileType.TIFF, number, settings)
        _assert_page(page, (height, width))
        assert (page.number, page.dpi, page.dpi_from_file) == (number, 150, True)
    pages = loaders.iter_pages(path, FileType.TIFF, settings)
    assert isinstance(pages, types.GeneratorType)
    got = [(p.number, p.image.shape, p.dpi) for p in pages]
    assert got == [(n, (h, w), 150) for n, (w, h) in enumerate(sizes, start=1)]


def test_fax_with_non_square_pixels_is_stretched(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "fax.tif"
    _inputs.page_image((408, 150), mode="1").save(path, format="TIFF", dpi=(204, 98))
    page = loaders.load_page(path, FileType.TIFF, 1, settings)
    assert page.dpi == 204
    assert page.image.shape == (round(150 * 204 / 98), 408)


@pytest.mark.poppler
def test_multipage_image_pdf(tmp_path: Path, settings: Settings) -> None:
    # 8.5 x 11 inch and 11 x 8.5 inch pages stored at 50 dpi, rendered at 100 dpi
    path = _inputs.image_pdf(tmp_path / "scan.pdf", [(425, 550), (550, 425)], dpi=50)
    low = settings.with_(pdf_dpi=100)
    assert check_input(path, low) is FileType.PDF
    assert loaders.page_count(path, FileType.PDF, low) == 2
    pages = list(loaders.iter_pages(path, FileType.PDF, low))
    assert [p.number for p in pages] == [1, 2]
    _assert_page(pages[0], (1100, 850))
    _assert_page(pages[1], (850, 1100))
    assert all(p.dpi == 100 and p.dpi_from_file for p in pages)
    assert loaders.pdf_text_layer(path, FileType.PDF, 1, low) is None


@pytest.mark.poppler
def test_born_digital_text_layer_boxes_match_the_drawing(
    tmp_path: Path, settings: Settings
) -> None:
    path = _inputs.text_pdf(tmp_path / "letter.pdf")
    dpi = 150
    low = settings.with_(pdf_dpi=dpi)
    layer = loaders.pdf_text_layer(path, FileType.PDF, 1, low)
    assert layer is not None
    assert layer.text.split("\n\n") == [line[0] for line in _inputs.TEXT_LINES]
    assert layer.confidence == 100.0
    assert [w.text for w in layer.words[:3]] == ["Discharge", "summary", "follows"]
    assert all(w.confidence == 100.0 for w in layer.words)
    scale = dpi / 72
    image = loaders.load_page(path, FileType.PDF, 1, low).image
    for (_text, x_pt, baseline_pt, _size), first in zip(
        _inputs.TEXT_LINES, [layer.words[0], layer.words[3]], strict=True
    ):
        baseline = (_inputs.PAGE_H_PT - baseline_pt) * scale
        assert abs(first.left - x_pt * scale) <= 3
        assert first.top < baseline < first.top + first.height
        # the ink inside the box starts at the box's left edge and stays inside the box
        box = image[first.top : first.top + first.height, first.left : first.left + first.width]
        ink_cols = np.nonzero((box < 128).any(axis=0))[0]
        assert ink_cols.size and ink_cols[0] <= 4 and ink_cols[-1] >= first.width - 5
        margin = image[first.top - 20 : first.top - 2, first.left : first.left + first.width]
        assert (margin > 200).all()


@pytest.mark.poppler
def test_text_layer_of_a_rotated_page_follows_the_rendering(
    tmp_path: Path, settings: Settings
) -> None:
    source = _inputs.text_pdf(tmp_path / "letter.pdf")
    writer = PdfWriter()
    writer.add_page(PdfReader(source).pages[0])
    writer.pages[0].rotate(90)
    path = tmp_path / "rotated.pdf"
    with path.open("wb") as f:
        writer.write(f)
    low = settings.with_(pdf_dpi=72)
    image = loaders.load_page(path, FileType.PDF, 1, low).image
    assert image.shape == (612, 792)
    layer = loaders.pdf_text_layer(path, FileType.PDF, 1, low)
    assert layer is not None
    for word in layer.words:
        box = image[word.top : word.top + word.height, word.left : word.left + word.width]
        assert box.size and (box < 128).any()


@pytest.mark.poppler
def test_text_layer_is_none_for_images_and_nearly_empty_pages(
    tmp_path: Path, settings: Settings
) -> None:
    png = _inputs.save(_inputs.page_image(), tmp_path / "page.png", "PNG")
    assert loaders.pdf_text_layer(png, FileType.PNG, 1, settings) is None
    blank = _inputs.blank_pdf(tmp_path / "blank.pdf", 1)
    assert loaders.pdf_text_layer(blank, FileType.PDF, 1, settings) is None
    two_words = '<block><line><word xMin="1" yMin="2" xMax="3" yMax="4">Page</word>'
    two_words += '<word xMin="5" yMin="2" xMax="7" yMax="4">2</word></line></block>'
    assert poppler.parse_bbox_layout(two_words, 300) is None


def test_parse_bbox_layout_scales_points_and_unescapes() -> None:
    xhtml = (
        "<title>A &lt;word xMin= trap&gt;</title><flow><block><line>"
        '<word xMin="72.0" yMin="36.0" xMax="144.0" yMax="54.0">R&amp;D</word>'
        '<word xMin="150.0" yMin="36.0" xMax="160.0" yMax="54.0">notes</word></line>'
        '<line><word xMin="72.0" yMin="60.0" xMax="100.0" yMax="70.0">seen</word></line>'
        '</block><block><line><word xMin="72" yMin="90" xMax="90" yMax="99">ok</word>'
        "</line></block></flow>"
    )
    result = poppler.parse_bbox_layout(xhtml, 144)
    assert result is not None
    assert result.text == "R&D notes\nseen\n\nok"
    first = result.words[0]
    assert (first.text, first.left, first.top, first.width, first.height) == (
        "R&D",
        144,
        72,
        144,
        36,
    )
    assert [(w.block, w.line) for w in result.words] == [(1, 1), (1, 1), (1, 2), (2, 1)]


@pytest.mark.poppler
def test_pdf_forbidding_copy_still_reads(tmp_path: Path, settings: Settings) -> None:
    writer = PdfWriter()
    writer.add_page(PdfReader(_inputs.text_pdf(tmp_path / "plain.pdf")).pages[0])
    writer.encrypt(
        user_password="", owner_password="o", permissions_flag=UserAccessPermissions.PRINT
    )
    path = tmp_path / "secured.pdf"
    with path.open("wb") as f:
        writer.write(f)
    low = settings.with_(pdf_dpi=72)
    assert loaders.load_page(path, FileType.PDF, 1, low).image.shape == (792, 612)
    # poppler >= 21 extracts the text anyway; older versions exit 3 and OCR is used instead
    layer = loaders.pdf_text_layer(path, FileType.PDF, 1, low)
    assert layer is None or "Discharge" in layer.text


@pytest.mark.poppler
def test_poppler_version(settings: Settings) -> None:
    found = poppler.version(settings)
    assert found is not None and found[0].isdigit()
