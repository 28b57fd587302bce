"""Content-addressed blob store: layout, atomic writes, full disks, verification."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from chartroom.errors import InputNotFound, OutputError, StorageFull
from records import blobs as blobs_module
from records.blobs import BlobStore

DATA = b"%PDF-1.4 pretend scan\n" * 1000
SHA = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "home" / "store")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "Brindlemoor Orla discharge.pdf"
    path.write_bytes(DATA)
    return path


def leftovers(blobs: BlobStore) -> list[Path]:
    return list(blobs.tmp.glob("*")) if blobs.tmp.exists() else []


def test_put_file_stores_by_content_under_a_generated_name(blobs: BlobStore, source: Path) -> None:
    sha = blobs.put_file(source)
    assert sha == SHA
    path = blobs.path_for(sha)
    assert path == blobs.root / SHA[:2] / SHA[2:4] / SHA
    assert path.read_bytes() == DATA and blobs.exists(sha)
    assert "Brindlemoor" not in str(path)  # never the source name
    assert blobs.put_file(source) == sha  # again: same blob, nothing new
    assert list(blobs.iter_shas()) == [sha]
    assert blobs.verify(sha)
    assert leftovers(blobs) == []
    assert blobs.put_bytes(b"other") == hashlib.sha256(b"other").hexdigest()
    assert len(list(blobs.iter_shas())) == 2


def test_verify_detects_corruption_and_put_repairs_a_damaged_blob(
    blobs: BlobStore, source: Path
) -> None:
    sha = blobs.put_file(source)
    path = blobs.path_for(sha)
    path.write_bytes(DATA[:-1] + b"X")  # same size, different content
    assert not blobs.verify(sha)
    path.write_bytes(DATA[:100])  # truncated: a new put replaces it
    blobs.put_file(source)
    assert blobs.verify(sha)
    path.unlink()
    assert not blobs.verify(sha) and not blobs.exists(sha)


def test_a_failure_mid_copy_leaves_no_partial_blob_and_no_temporary(
    blobs: BlobStore, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(self: Path, target: Any) -> Path:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(Path, "replace", broken_replace)
    with pytest.raises(OutputError):
        blobs.put_file(source)
    monkeypatch.undo()
    assert not blobs.exists(SHA) and leftovers(blobs) == []
    assert list(blobs.iter_shas()) == []


def test_interrupted_copy_leaves_nothing(
    blobs: BlobStore, source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        blobs.put_file(source)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert not blobs.exists(SHA) and leftovers(blobs) == []


class FullDisk:
    """A file object that accepts a few writes, then fails like a full disk."""

    def __init__(self, real: Any, fail_after: int, code: int) -> None:
        self.real, self.left, self.code = real, fail_after, code

    def write(self, data: bytes) -> int:
        if self.left <= 0:
            raise OSError(self.code, os.strerror(self.code))
        self.left -= 1
        return int(self.real.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __enter__(self) -> FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.close()


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_full_disk_raises_storage_full_and_leaves_no_temporary(
    blobs: BlobStore, source: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(blobs_module, "CHUNK", 1024)
    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FullDisk(real_fdopen(fd, mode), 3, code))
    with pytest.raises(StorageFull) as info:
        blobs.put_file(source)
    assert info.value.exit_code == 84 and "disk is full" in str(info.value)
    monkeypatch.undo()
    assert not blobs.exists(SHA) and leftovers(blobs) == []


def test_missing_source_is_input_not_found(blobs: BlobStore, tmp_path: Path) -> None:
    with pytest.raises(InputNotFound):
        blobs.put_file(tmp_path / "gone.pdf")


def test_derived_files_live_beside_the_blob(blobs: BlobStore, source: Path) -> None:
    sha = blobs.put_file(source)
    path = blobs.write_derived(sha, "page-0001.png", b"png")
    assert path == blobs.root / sha[:2] / sha[2:4] / f"{sha}.d" / "page-0001.png"
    assert path.read_bytes() == b"png"
    assert list(blobs.iter_shas()) == [sha]  # derived folders are not blobs
    for bad in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            blobs.derived_path(sha, bad)
    with pytest.raises(ValueError):
        blobs.path_for("../../etc/passwd")


def test_stale_temporaries_are_removed_on_open(blobs: BlobStore) -> None:
    blobs.tmp.mkdir(parents=True)
    (blobs.tmp / "blob-crashed.tmp").write_bytes(b"partial")
    assert leftovers(BlobStore(blobs.root)) == []
