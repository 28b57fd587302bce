"""The intake folders under the data folder, and moving files into them without overwriting.

HOME/inbox (watched by default), HOME/archive (sources of stored and duplicate files, moved there
only after the database commit) and HOME/failed (files that could not be read, each with a
`<name>.reason.txt` beside it). Moves never overwrite: a name already taken gets a counter
("scan.pdf" -> "scan.1.pdf"). Moves are crash-safe: a hard link into the target then unlinking
the source on one file system (a crash in between leaves the same inode under both names, which
the next attempt recognises), a copy through a temporary name otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import hashlib
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chartroom.durable import fsync_dir
from chartroom.settings import Settings

log = logging.getLogger(__name__)

REASON_SUFFIX = ".reason.txt"
# Names scanners and copy tools use while a file is still being written, and system clutter.
IGNORED = ("*.tmp", "~$*", "._*", "*.filepart", "*.part", "*.crdownload", ".*")
_PARTIAL = ".partial-"


@dataclass(frozen=True)
class IntakeFolders:
    home: Path

    @property
    def inbox(self) -> Path:
        return self.home / "inbox"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def failed(self) -> Path:
        return self.home / "failed"

    @classmethod
    def create(cls, settings: Settings) -> IntakeFolders:
        folders = cls(settings.home)
        for path in (folders.inbox, folders.archive, folders.failed):
            path.mkdir(parents=True, exist_ok=True)
        return folders


def is_ignored(name: str) -> bool:
    """Temporary, partial and hidden files are never taken."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED)


def display(path: Path | str | bytes) -> str:
    """A printable form of a path whose bytes may not be UTF-8 (for the user's terminal only)."""
    raw = path if isinstance(path, bytes) else os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


def key_text(raw: bytes) -> str:
    """Raw name bytes as text for an intake key, one-to-one (backslashes doubled first)."""
    return raw.replace(b"\\", b"\\\\").decode("utf-8", "backslashreplace")


def _candidates(directory: Path, name: str) -> Iterator[Path]:
    yield directory / name
    stem, dot, ext = name.rpartition(".")
    if not stem:  # no extension (or a leading dot only)
        stem, dot, ext = name, "", ""
    for n in range(1, 1_000_000):
        yield directory / f"{stem}.{n}{dot}{ext}"


def _same(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def move_unique(source: Path, directory: Path, reason: str | None = None) -> Path:
    """Move `source` into `directory` under its name or the first free "name.N.ext".

    With `reason`, a `<target>.reason.txt` holding it is written first (a name is free only when
    both the file and its reason file are). Returns the final path; never overwrites.
    """
    try:
        return _move_by_link(source, directory, reason)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    return _move_by_copy(source, directory, reason)


def _claim(directory: Path, name: str, inode_of: Path, reason: str | None) -> Path:
    """Hard-link `inode_of` to the first free candidate name (or find it already linked)."""
    for target in _candidates(directory, name):
        if target.exists():
            if _same(inode_of, target):
                return target  # linked there by an attempt that crashed before unlinking
            continue
        if reason is not None and not _write_reason(target, reason):
            continue
        try:
            os.link(inode_of, target, follow_symlinks=False)
        except FileExistsError:
            continue
        fsync_dir(directory)
        return target
    raise OSError(errno.ENOSPC, "no free name")  # pragma: no cover - a million collisions


def _move_by_link(source: Path, directory: Path, reason: str | None) -> Path:
    target = _claim(directory, source.name, source, reason)
    source.unlink()
    fsync_dir(source.parent)
    return target


def _move_by_copy(source: Path, directory: Path, reason: str | None) -> Path:
    """Across file systems: copy to a temporary name fixed by the source, link, then unlink."""
    stat = source.stat()
    tag = hashlib.sha256(
        os.fsencode(source) + f":{stat.st_size}:{stat.st_mtime_ns}".encode()
    ).hexdigest()[:24]
    partial = directory / f"{_PARTIAL}{tag}"
    if not (partial.is_file() and partial.stat().st_size == stat.st_size):
        scratch = directory / f"{_PARTIAL}{tag}.{os.getpid()}"
        with source.open("rb") as src, scratch.open("wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
            dst.flush()
            os.fsync(dst.fileno())
        shutil.copystat(source, scratch)
        scratch.replace(partial)
    target = _claim(directory, source.name, partial, reason)
    source.unlink()
    fsync_dir(source.parent)
    partial.unlink()
    return target


def _write_reason(target: Path, reason: str) -> bool:
    """Create `<target>.reason.txt`; False when it exists with other content (name taken)."""
    path = target.with_name(target.name + REASON_SUFFIX)
    data = reason.rstrip("\n").encode() + b"\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        # Left by an attempt that crashed before moving the file: reuse it if it says the same.
        try:
            return path.read_bytes() == data
        except OSError:
            return False
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def reason_path(target: Path) -> Path:
    return target.with_name(target.name + REASON_SUFFIX)


def remove_stale_partials(directory: Path) -> None:
    """Temporary copies left by a crash during a cross-file-system move."""
    if not directory.is_dir():
        return
    for stale in directory.glob(f"{_PARTIAL}*.*"):
        with contextlib.suppress(OSError):
            stale.unlink()
            log.info("removed a stale partial copy")
