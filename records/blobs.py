"""Content-addressed storage of original files: HOME/store/ab/cd/<sha256>.

Names are generated from the content, never taken from the source file (names may hold PHI).
Every write is atomic: copy into a temporary file in HOME/store/.tmp (same file system), flush and
fsync it, `os.replace` it into place, fsync the directory. A crash or a full disk leaves either the
whole blob or nothing (a stale temporary file at worst, removed on the next open).
Derived files (page images, searchable PDF) live beside their blob in <sha256>.d/.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from chartroom.durable import fsync_dir
from chartroom.errors import InputNotFound, OutputError, StorageFull

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
_SHA = re.compile(r"[0-9a-f]{64}")
_DERIVED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
_FULL = {errno.ENOSPC, errno.EDQUOT}


def _check_sha(sha: str) -> str:
    if not _SHA.fullmatch(sha):
        raise ValueError("not a lower-case hex SHA-256")
    return sha


class BlobStore:
    """Originals by SHA-256 under `root` (normally settings.home / "store")."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / ".tmp"
        self._remove_stale_temporaries()

    # --- paths -------------------------------------------------------------------------------

    def path_for(self, sha: str) -> Path:
        sha = _check_sha(sha)
        return self.root / sha[:2] / sha[2:4] / sha

    def derived_path(self, sha: str, name: str) -> Path:
        """Where a file derived from the blob lives (e.g. "page-0001.png", "searchable.pdf")."""
        if not _DERIVED_NAME.fullmatch(name) or ".." in name:
            raise ValueError("a derived file name is a plain name: letters, digits, . _ -")
        blob = self.path_for(sha)
        return blob.with_name(blob.name + ".d") / name

    def exists(self, sha: str) -> bool:
        return self.path_for(sha).is_file()

    # --- writing -----------------------------------------------------------------------------

    def put_file(self, path: Path) -> str:
        """Store a copy of `path` and return its SHA-256 (hashed while copying).

        When the blob exists with the same size the copy is dropped; a blob of another size
        (damaged) is replaced. Raises StorageFull on a full disk, InputNotFound when `path`
        is gone, OutputError for other write failures; no temporary file is left behind.
        """
        try:
            source = path.open("rb")
        except FileNotFoundError as exc:
            raise InputNotFound("the file disappeared before it could be stored") from exc
        except OSError as exc:
            raise OutputError("the file could not be read to store it") from exc
        with source:
            digest = hashlib.sha256()
            with self._temporary() as (tmp_path, out):
                size = 0
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                sha = digest.hexdigest()
                target = self.path_for(sha)
                if target.is_file() and target.stat().st_size == size:
                    log.debug("blob %s already stored", sha[:12])
                    return sha
                self._commit(tmp_path, out, target)
        log.info("stored blob %s (%d bytes)", sha[:12], size)
        return sha

    def put_bytes(self, data: bytes) -> str:
        """Store `data` as a blob; returns its SHA-256."""
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if target.is_file() and target.stat().st_size == len(data):
            return sha
        with self._temporary() as (tmp_path, out):
            out.write(data)
            self._commit(tmp_path, out, target)
        return sha

    def write_derived(self, sha: str, name: str, data: bytes) -> Path:
        """Write (atomically, replacing any old one) a file derived from blob `sha`."""
        target = self.derived_path(sha, name)
        with self._temporary() as (tmp_path, out):
            out.write(data)
            self._commit(tmp_path, out, target)
        return target

    @contextlib.contextmanager
    def _temporary(self) -> Iterator[tuple[Path, BinaryIO]]:
        """A temporary file in the store; removed unless it was moved into place."""
        try:
            self.tmp.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.tmp, prefix="blob-", suffix=".tmp")
        except OSError as exc:
            raise _write_error(exc) from exc
        tmp_path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                yield tmp_path, out
        except OSError as exc:
            raise _write_error(exc) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()

    def _commit(self, tmp_path: Path, out: BinaryIO, target: Path) -> None:
        """Flush and fsync the temporary file, move it to `target`, fsync the directories."""
        out.flush()
        os.fsync(out.fileno())
        new_dirs = [p for p in (target.parent.parent, target.parent) if not p.is_dir()]
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_path.replace(target)
        fsync_dir(target.parent)
        for directory in new_dirs:
            fsync_dir(directory.parent)

    def _remove_stale_temporaries(self) -> None:
        if not self.tmp.is_dir():
            return
        for stale in self.tmp.glob("blob-*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
                log.info("removed a stale temporary blob")

    # --- reading and checking ----------------------------------------------------------------

    def verify(self, sha: str) -> bool:
        """Rehash the blob: False when it is missing or its content no longer matches."""
        path = self.path_for(sha)
        digest = hashlib.sha256()
        try:
            with path.open("rb") as f:
                while chunk := f.read(CHUNK):
                    digest.update(chunk)
        except FileNotFoundError:
            return False
        return digest.hexdigest() == sha

    def iter_shas(self) -> Iterator[str]:
        """Every stored blob's SHA-256 (in no particular order)."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                if not second.is_dir():
                    continue
                for blob in sorted(second.iterdir()):
                    if _SHA.fullmatch(blob.name) and blob.is_file():
                        yield blob.name


def _write_error(exc: OSError) -> StorageFull | OutputError:
    log.error("blob write failed: %s", errno.errorcode.get(exc.errno or 0, type(exc).__name__))
    if exc.errno in _FULL:
        return StorageFull("the file could not be stored: the disk is full")
    return OutputError("the file could not be written to the store")
