"""Build test input files (good and bad) programmatically; no PHI, invented words only."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

# where `text_pdf` draws its words: (text, x, baseline y from the BOTTOM, font size), in points
TEXT_LINES = (
    ("Discharge summary follows", 72.0, 700.0, 20.0),
    ("Plan continue furosemide", 72.0, 640.0, 20.0),
)
PAGE_W_PT, PAGE_H_PT = letter


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims `width` x `height` (8-bit grey) with a tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + png_chunk(b"IEND", b"")
    )


def page_image(size: tuple[int, int] = (400, 300), mode: str = "L") -> Image.Image:
    """A white page with a black bar at the top left (to check orientation and content)."""
    img = Image.new("L", size, 255)
    ImageDraw.Draw(img).rectangle((10, 10, size[0] // 2, 30), fill=0)
    return img.convert(mode)


def save(img: Image.Image, path: Path, fmt: str, **params: object) -> Path:
    img.save(path, format=fmt, **params)
    return path


def multipage_tiff(path: Path, sizes: list[tuple[int, int]], dpi: int) -> Path:
    frames = [page_image(size) for size in sizes]
    frames[0].save(path, format="TIFF", save_all=True, append_images=frames[1:], dpi=(dpi, dpi))
    return path


def text_pdf(path: Path, pages: int = 1) -> Path:
    """A born-digital letter-size PDF with TEXT_LINES on each page (Helvetica)."""
    c = canvas.Canvas(str(path), pagesize=letter)
    for _ in range(pages):
        for text, x, y, size in TEXT_LINES:
            c.setFont("Helvetica", size)
            c.drawString(x, y, text)
        c.showPage()
    c.save()
    return path


def image_pdf(path: Path, sizes: list[tuple[int, int]], dpi: int) -> Path:
    """An image-only (scanned-like) PDF, one page per size, through Pillow's PDF writer."""
    frames = [page_image(size).convert("L") for size in sizes]
    frames[0].save(path, format="PDF", save_all=True, append_images=frames[1:], resolution=dpi)
    return path


def encrypted_pdf(source: Path, path: Path, user: str, owner: str) -> Path:
    writer = PdfWriter()
    for page in PdfReader(source).pages:
        writer.add_page(page)
    writer.encrypt(user_password=user, owner_password=owner)
    with path.open("wb") as f:
        writer.write(f)
    return path


def blank_pdf(path: Path, pages: int) -> Path:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=PAGE_W_PT, height=PAGE_H_PT)
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    return path


def tiff_ifds(data: bytes) -> list[tuple[int, int]]:
    """(offset, entry count) of each IFD of a little-endian TIFF, in chain order."""
    found: list[tuple[int, int]] = []
    (offset,) = struct.unpack("<I", data[4:8])
    while offset and len(found) < 100:
        (entries,) = struct.unpack("<H", data[offset : offset + 2])
        found.append((offset, entries))
        end = offset + 2 + 12 * entries
        (offset,) = struct.unpack("<I", data[end : end + 4])
    return found


def jpeg_bytes(img: Image.Image, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", **params)
    return buf.getvalue()
