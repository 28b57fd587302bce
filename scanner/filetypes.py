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
from pathlib import Path

from chartroom.errors import (
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


def _errno_name(exc: OSError) -> str:
    """A short, file-name-free description of an OS error."""
    if exc.errno is not None and exc.errno in errno.errorcode:
        return errno.errorcode[exc.errno]
    return type(exc).__name__
