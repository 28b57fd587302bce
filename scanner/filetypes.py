"""Gatekeeping for input files: refuse bad paths early and decide the type from magic bytes.

`check_input` runs before anything decodes the file and takes well under a second: one
`lstat`, one `open` with `O_NOFOLLOW | O_NONBLOCK` and a 1 KiB read. The file type comes from
the first bytes only, never from the name's extension (a JPEG named `.pdf` is a JPEG).

Paths may be `str`, `Path` or `bytes`; bytes that are not valid UTF-8 (common on shared
drives fed by old scanners) are decoded with the file system's surrogateescape handler, so
the resulting `Path` still names the same file for `open` and for subprocesses.
"""

from __future__ import annotations

import errno
import os
import stat
import struct
from pathlib import Path
from typing import BinaryIO

from chartroom.errors import (
    DamagedFile,
    EmptyFile,
    FileTooLarge,
    InputNotFound,
    NotARegularFile,
    SymlinkRefused,
    UnsupportedFileType,
)
from chartroom.settings import Settings
from scanner.types import FileType

PathArg = Path | str | bytes
"""What the input functions accept as a path."""

SNIFF_BYTES = 1024
"""How much of the file is read to decide its type (a PDF header may follow junk bytes)."""

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
TIFF_MAGICS = (b"II*\x00", b"MM\x00*")
PDF_MAGIC = b"%PDF-"


def to_path(path: PathArg) -> Path:
    """A `Path` for `path`; bytes are decoded with surrogateescape (`os.fsdecode`)."""
    if isinstance(path, bytes):
        return Path(os.fsdecode(path))
    return Path(path)


def sniff(head: bytes) -> FileType | None:
    """The file type the leading bytes show, or None when it is not one chartroom reads."""
    if head.startswith(PNG_MAGIC):
        return FileType.PNG
    if head.startswith(JPEG_MAGIC):
        return FileType.JPEG
    if head.startswith(TIFF_MAGICS):
        return FileType.TIFF
    if PDF_MAGIC in head[:SNIFF_BYTES]:
        return FileType.PDF
    return None


def sniff_file(path: PathArg) -> FileType | None:
    """The type of an already-checked file from its first bytes (no other checks)."""
    with to_path(path).open("rb") as f:
        return sniff(f.read(SNIFF_BYTES))


def check_input(path: PathArg, settings: Settings) -> FileType:
    """Refuse a path that chartroom must not read, else return the file's type.

    Raises, in this order: InputNotFound, SymlinkRefused (even when the link points to a good
    file), NotARegularFile (directory, fifo, socket, device), EmptyFile (0 bytes),
    FileTooLarge (over `settings.max_file_bytes`), UnsupportedFileType (magic bytes are not
    PDF, TIFF, PNG or JPEG). Messages never name the file (PHI discipline).
    """
    p = to_path(path)
    try:
        st = p.lstat()
    except FileNotFoundError as exc:
        raise InputNotFound("input file not found") from exc
    except NotADirectoryError as exc:
        raise InputNotFound("input path does not exist (a parent is not a folder)") from exc
    except PermissionError as exc:
        raise InputNotFound(
            "input file cannot be reached (permission denied)",
            hint="Check the permissions of the file and of its folders",
        ) from exc
    except OSError as exc:
        raise InputNotFound(f"input path cannot be examined ({_errno_name(exc)})") from exc
    _check_stat(st, settings)
    head = _read_head(p, st)
    file_type = sniff(head)
    if file_type is None:
        raise UnsupportedFileType("the file is not a PDF, TIFF, PNG or JPEG (by its content)")
    return file_type


def _check_stat(st: os.stat_result, settings: Settings) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise SymlinkRefused("the input is a symbolic link")
    if stat.S_ISDIR(st.st_mode):
        raise NotARegularFile("the input is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise NotARegularFile("the input is not a regular file (pipe, socket or device)")
    if st.st_size == 0:
        raise EmptyFile("the file is empty (0 bytes)")
    if st.st_size > settings.max_file_bytes:
        raise FileTooLarge(
            f"the file is {st.st_size // (1024 * 1024)} MB, over the limit of "
            f"{settings.max_file_mb} MB"
        )


def _read_head(p: Path, st: os.stat_result) -> bytes:
    """The first bytes, opened without following links or blocking on a swapped-in pipe."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(p, flags)
    except FileNotFoundError as exc:
        raise InputNotFound("input file disappeared while being checked") from exc
    except PermissionError as exc:
        raise InputNotFound(
            "input file cannot be read (permission denied)",
            hint="Check the file's permissions",
        ) from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SymlinkRefused("the input became a symbolic link while being checked") from exc
        raise InputNotFound(f"input file cannot be opened ({_errno_name(exc)})") from exc
    try:
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino) or not stat.S_ISREG(now.st_mode):
            raise NotARegularFile("the input was replaced while being checked")
        return os.read(fd, SNIFF_BYTES)
    except OSError as exc:
        raise InputNotFound(f"input file cannot be read ({_errno_name(exc)})") from exc
    finally:
        os.close(fd)


def declared_size(path: PathArg, file_type: FileType) -> tuple[int, int] | None:
    """(width, height) an image's header claims, read without decoding any pixels.

    Covers PNG (IHDR), JPEG (first SOF marker) and TIFF (first IFD); None for PDF or when the
    header cannot be read (the decoder then decides). Lets the loader refuse a header that
    claims 0 or billions of pixels in milliseconds, before Pillow allocates anything.
    """
    try:
        with to_path(path).open("rb") as f:
            if file_type is FileType.PNG:
                return _png_size(f)
            if file_type is FileType.JPEG:
                return _jpeg_size(f)
            if file_type is FileType.TIFF:
                return _tiff_size(f)
    except (OSError, struct.error):
        return None
    return None


def _png_size(f: BinaryIO) -> tuple[int, int] | None:
    head = f.read(24)
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_NO_LENGTH = {0x01, 0xD8, *range(0xD0, 0xD8)}


def _jpeg_size(f: BinaryIO) -> tuple[int, int] | None:
    f.seek(2)
    for _ in range(1000):  # markers before the frame header; bounded against junk
        byte = f.read(1)
        if byte != b"\xff":
            return None
        while byte == b"\xff":  # the marker's 0xFF, then any fill bytes
            byte = f.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in _JPEG_NO_LENGTH:
            continue
        if marker in (0xD9, 0xDA):  # end of image / start of scan: no frame header seen
            return None
        length_bytes = f.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack(">H", length_bytes)
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            body = f.read(5)
            if len(body) < 5:
                return None
            height, width = struct.unpack(">HH", body[1:5])
            return int(width), int(height)
        f.seek(length - 2, os.SEEK_CUR)
    return None


def _tiff_size(f: BinaryIO) -> tuple[int, int] | None:
    head = f.read(8)
    if len(head) < 8:
        return None
    order = "<" if head[:2] == b"II" else ">"
    (offset,) = struct.unpack(order + "I", head[4:8])
    f.seek(offset)
    (count,) = struct.unpack(order + "H", f.read(2))
    found: dict[int, int] = {}
    for _ in range(min(count, 4096)):
        tag, kind, _n, value = struct.unpack(order + "HHI4s", f.read(12))
        if tag in (256, 257):
            if kind == 3:  # SHORT: the first two bytes of the value field
                found[tag] = struct.unpack(order + "H", value[:2])[0]
            elif kind == 4:  # LONG
                found[tag] = struct.unpack(order + "I", value)[0]
        if len(found) == 2:
            return found[256], found[257]
    return None


def tiff_page_count(path: PathArg, limit: int) -> int:
    """Pages in a TIFF by following its IFD chain (no tag or pixel is decoded).

    Stops counting at `limit + 1`. A chain that loops back ends there (as in Pillow); an IFD
    offset outside the file raises DamagedFile.
    """
    with to_path(path).open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        head = f.read(8)
        if len(head) < 8 or not head.startswith(TIFF_MAGICS):
            raise DamagedFile("the TIFF header cannot be read")
        order = "<" if head[:2] == b"II" else ">"
        (offset,) = struct.unpack(order + "I", head[4:8])
        seen: set[int] = set()
        while offset and offset not in seen and len(seen) <= limit:
            if offset + 2 > size:
                raise DamagedFile(f"page {len(seen) + 1} of the TIFF is missing (truncated file)")
            seen.add(offset)
            f.seek(offset)
            (entries,) = struct.unpack(order + "H", f.read(2))
            f.seek(offset + 2 + 12 * entries)
            pointer = f.read(4)
            if len(pointer) < 4:
                raise DamagedFile(f"page {len(seen)} of the TIFF is truncated")
            (offset,) = struct.unpack(order + "I", pointer)
        return len(seen)


def _errno_name(exc: OSError) -> str:
    """A short, file-name-free description of an OS error."""
    if exc.errno is not None and exc.errno in errno.errorcode:
        return errno.errorcode[exc.errno]
    return type(exc).__name__
