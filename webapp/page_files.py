"""Files the viewer serves, rendered from a stored original and cached beside it.

Page images and thumbnails (JPEG), the searchable PDF of a document (generated on demand) and the
original pages of a document (the document's page range cut out of the stored file, so a batch
holding other patients' documents is never handed out whole). Everything is written atomically
under the blob's derived folder (`BlobStore.derived_path`); names hold ids and page numbers only.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

from PIL import Image
from pypdf import PdfReader, PdfWriter

from chartroom.errors import DamagedFile, OutputError
from chartroom.settings import Settings
from records.charts import DocumentInfo
from records.store import RecordStore
from scanner.loaders import load_page
from scanner.pdf_output import SearchablePdfWriter
from scanner.types import FileType

log = logging.getLogger(__name__)

PAGE_WIDTH = 1400  # pixels: page images are scaled down to this width (never up)
THUMB_WIDTH = 200
JPEG_QUALITY = 70
MEDIA_TYPES = {
    FileType.PDF: "application/pdf",
    FileType.TIFF: "image/tiff",
    FileType.PNG: "image/png",
    FileType.JPEG: "image/jpeg",
}
EXTENSIONS = {FileType.PDF: "pdf", FileType.TIFF: "tif", FileType.PNG: "png", FileType.JPEG: "jpg"}


def page_image(
    store: RecordStore, settings: Settings, doc: DocumentInfo, number: int, *, thumb: bool = False
) -> Path:
    """A JPEG of page `number` of the stored file (a page of `doc`), rendered once and cached."""
    if number not in doc.page_numbers:
        raise ValueError("the page is not in the document")
    name = f"{'thumb' if thumb else 'page'}-{number:05d}.jpg"
    path = store.blobs.derived_path(doc.sha256, name)
    if path.is_file():
        return path
    loaded = load_page(store.blobs.path_for(doc.sha256), FileType(doc.file_type), number, settings)
    image = Image.fromarray(loaded.image)
    width = THUMB_WIDTH if thumb else PAGE_WIDTH
    if image.width > width:
        image = image.resize((width, max(1, round(image.height * width / image.width))))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    log.debug("rendered %s of document %d page %d", "thumb" if thumb else "page", doc.id, number)
    return store.blobs.write_derived(doc.sha256, name, out.getvalue())


def searchable_pdf(store: RecordStore, settings: Settings, doc: DocumentInfo) -> Path:
    """The document's searchable PDF (page images with the OCR text layer), made once."""
    path = store.blobs.derived_path(doc.sha256, f"searchable-{doc.first_page}-{doc.last_page}.pdf")
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    source = store.blobs.path_for(doc.sha256)
    pages = {p.number: p for p in store.document_pages(doc.id)}
    with SearchablePdfWriter(path) as writer:
        for number in doc.page_numbers:
            loaded = load_page(source, FileType(doc.file_type), number, settings)
            stored = pages.get(number)
            writer.add_page(loaded.image, loaded.dpi, stored.words if stored else ())
    log.info("searchable PDF made for document %d (%d pages)", doc.id, doc.page_count)
    return path


def original(store: RecordStore, doc: DocumentInfo) -> tuple[Path, str, str]:
    """The document's pages as scanned: (path, media type, file extension).

    Single-image files are the blob itself; PDF and TIFF pages are cut out of the stored file
    (cached), so only this document's pages are handed out.
    """
    file_type = FileType(doc.file_type)
    media, ext = MEDIA_TYPES[file_type], EXTENSIONS[file_type]
    blob = store.blobs.path_for(doc.sha256)
    if file_type in (FileType.PNG, FileType.JPEG):
        return blob, media, ext
    path = store.blobs.derived_path(doc.sha256, f"original-{doc.first_page}-{doc.last_page}.{ext}")
    if path.is_file():
        return path, media, ext
    out = io.BytesIO()
    try:
        if file_type is FileType.PDF:
            reader = PdfReader(blob)
            writer = PdfWriter()
            for number in doc.page_numbers:
                writer.add_page(reader.pages[number - 1])
            writer.write(out)
        else:
            frames = []
            with Image.open(blob) as img:
                for number in doc.page_numbers:
                    img.seek(number - 1)
                    frames.append(img.copy())
            frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    except (OSError, ValueError, IndexError, EOFError) as exc:
        raise DamagedFile(f"the stored file of document {doc.id} cannot be read") from exc
    except Exception as exc:  # pypdf's own errors
        raise OutputError(f"the pages of document {doc.id} could not be extracted") from exc
    return store.blobs.write_derived(doc.sha256, path.name, out.getvalue()), media, ext
