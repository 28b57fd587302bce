"""`chartroom watch`: every dropped file ends in exactly one place, once, whole."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chartroom.errors import StorageFull
from chartroom.settings import Settings
from indexer.folders import IntakeFolders, move_unique, reason_path
from indexer.ingest import Done
from indexer.intake import StabilityTracker, WatchService
from indexer.lock import IntakeLock
from records.blobs import BlobStore
from records.store import RecordStore
from records.types import Outcome
from tests import _intake_files as files

pytestmark = [pytest.mark.tesseract, pytest.mark.poppler]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def quick(settings: Settings) -> Settings:
    return settings.with_(stable_seconds=0.3, poll_seconds=0.1)


@pytest.fixture
def store(quick: Settings) -> Iterator[RecordStore]:
    with RecordStore(quick) as s:
        yield s


def _watch_once(settings: Settings, store: RecordStore) -> list[Done]:
    seen: list[Done] = []
    WatchService(settings, store, store.blobs, once=True, report=seen.append).run()
    return seen


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def test_every_dropped_file_ends_in_exactly_one_place(
    tmp_path: Path, quick: Settings, store: RecordStore
) -> None:
    folders = IntakeFolders.create(quick)
    good = files.good_files(folders.inbox)
    (folders.inbox / "zcopy.png").write_bytes(good[0].read_bytes())  # a duplicate
    files.bad_files(folders.inbox, tmp_path / "scratch")
    ignored = files.ignored_files(folders.inbox)

    seen = _watch_once(quick, store)
    assert sorted(d.item.path.name for d in seen) == sorted(
        ["page0.png", "page1.png", "zcopy.png", *files.BAD]
    )
    assert all(d.result is not None and d.error is None for d in seen)
    assert _names(folders.inbox) == {p.name for p in ignored}  # only ignored files stay
    assert _names(folders.archive) == {"zcopy.png", "page0.png", "page1.png"}
    outcome = {d.item.path.name: d.result.outcome for d in seen if d.result}
    assert outcome["zcopy.png"] == Outcome.DUPLICATE
    assert outcome["page0.png"] == outcome["page1.png"] == Outcome.STORED
    expected_failed = set(files.BAD) | {f"{n}.reason.txt" for n in files.BAD}
    assert _names(folders.failed) == expected_failed
    for name, error_type in files.BAD.items():
        reason = reason_path(folders.failed / name).read_text()
        assert reason.startswith(f"{error_type}: ")
    assert store.counts()["documents"] == 2


def test_name_collisions_never_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "archive"
    target.mkdir()
    made = []
    for n in range(3):
        source = tmp_path / f"in{n}"
        source.mkdir()
        (source / "scan.pdf").write_text(f"content {n}")
        made.append(move_unique(source / "scan.pdf", target))
    assert [p.name for p in made] == ["scan.pdf", "scan.1.pdf", "scan.2.pdf"]
    assert [p.read_text() for p in made] == ["content 0", "content 1", "content 2"]
    # failed/: the reason file reserves the name too
    (tmp_path / "x.txt").write_text("bad")
    first = move_unique(tmp_path / "x.txt", target, reason="EmptyFile: no content")
    (tmp_path / "x.txt").write_text("bad again")
    second = move_unique(tmp_path / "x.txt", target, reason="DamagedFile: truncated")
    assert (first.name, second.name) == ("x.txt", "x.1.txt")
    assert reason_path(second).read_text() == "DamagedFile: truncated\n"


def test_a_move_interrupted_after_the_link_is_finished_without_a_copy(tmp_path: Path) -> None:
    target = tmp_path / "archive"
    target.mkdir()
    source = tmp_path / "scan.pdf"
    source.write_text("x")
    os.link(source, target / "scan.pdf")  # as if killed between link and unlink
    assert move_unique(source, target) == target / "scan.pdf"
    assert not source.exists() and _names(target) == {"scan.pdf"}


def test_stability_needs_an_unchanged_signature_for_the_whole_delay() -> None:
    tracker = StabilityTracker(1.0)
    path = Path("a.pdf")
    assert tracker.update({path: (1, 1, 1)}, 0.0) == []
    assert tracker.update({path: (2, 2, 2)}, 0.9) == []  # grew: the clock restarts
    assert tracker.update({path: (2, 2, 2)}, 1.5) == []
    assert tracker.update({path: (2, 2, 2)}, 1.95) == [path]


def test_a_file_still_being_written_is_taken_once_and_whole(
    tmp_path: Path, quick: Settings, store: RecordStore
) -> None:
    folders = IntakeFolders.create(quick)
    data = files.small_page(tmp_path / "whole.png", "Slow scanner").read_bytes()
    target = folders.inbox / "slow.png"

    def writer() -> None:
        with target.open("wb") as out:
            for start in range(0, len(data), len(data) // 8 + 1):
                out.write(data[start : start + len(data) // 8 + 1])
                out.flush()
                time.sleep(0.15)  # shorter than stable_seconds: never looks finished

    seen: list[Done] = []
    service = WatchService(quick, store, store.blobs, report=seen.append)
    thread = threading.Thread(target=writer)
    thread.start()
    runner = threading.Thread(target=service.run)
    runner.start()
    try:
        thread.join()
        deadline = time.monotonic() + 60
        while not seen and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # anything else it might (wrongly) take
    finally:
        service.stop()
        runner.join(timeout=30)
    assert len(seen) == 1 and seen[0].result is not None
    assert seen[0].result.outcome == Outcome.STORED
    assert (folders.archive / "slow.png").read_bytes() == data
    assert _names(folders.inbox) == set() and _names(folders.failed) == set()


def test_disk_full_keeps_the_file_in_the_inbox_until_a_retry_succeeds(
    quick: Settings, store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = IntakeFolders.create(quick)
    files.small_page(folders.inbox / "visit.png", "Disk full visit")

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(BlobStore, "_commit", full)
        seen = _watch_once(quick, store)
    assert len(seen) == 1 and seen[0].result is None
    assert isinstance(seen[0].error, StorageFull) and seen[0].deferred
    assert "visit" not in str(seen[0].error)  # no file names in messages
    assert _names(folders.inbox) == {"visit.png"}
    assert _names(folders.failed) == set() and store.counts()["intake_failed"] == 0

    seen = _watch_once(quick, store)  # space freed: the retry succeeds
    assert seen[0].result is not None and seen[0].result.outcome == Outcome.STORED
    assert _names(folders.inbox) == set() and _names(folders.archive) == {"visit.png"}


def test_a_second_intake_process_is_refused(tmp_path: Path, quick: Settings) -> None:
    env = {**os.environ, "CHARTROOM_HOME": str(quick.home)}
    with IntakeLock(quick):
        proc = subprocess.run(
            [sys.executable, "-m", "chartroom.cli", "ingest", "--no-progress", str(tmp_path)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    assert proc.returncode == 89, proc.stderr
    assert "IntakeBusy" in proc.stderr
    with IntakeLock(quick):  # released by the first holder: free again
        pass
