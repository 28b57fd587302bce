"""The index stays in step with the system of record through faults: a deleted or corrupted
index, a held index lock, an interrupted rebuild, a schema change. Real RecordStore (SQLite).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import index as windex

from chartroom.cli import main
from chartroom.errors import IndexUnavailable
from chartroom.settings import Settings
from indexer import index_rebuild, search_index
from indexer.journal import sync_index
from indexer.reindex import reindex
from indexer.search import Search
from indexer.search_index import VERSION_FILE, SearchIndex
from records.store import RecordStore
from tests._search_docs import Doc, archive, save

from models.types import DocumentType  # isort: skip


@pytest.fixture
def home(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordStore]:
    monkeypatch.setenv("CHARTROOM_HOME", str(settings.home))
    monkeypatch.setenv("CHARTROOM_INDEX_LOCK_TIMEOUT", "0.2")
    with RecordStore(settings) as store:
        archive(store)
        sync_index(settings, store)
        yield store


def _check(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = main(["check", "--json"])
    return code, json.loads(capsys.readouterr().out)


def _another(store: RecordStore, key: str) -> int:
    return save(
        store, Doc(key, (f"CONSULTATION\nSarcoidosis follow-up {key}.",), DocumentType.CONSULTATION)
    )


def test_a_fresh_index_agrees_with_the_database(
    home: RecordStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _check(capsys)
    assert code == 0 and report["ok"]
    assert report["index"] == {
        "ok": True, "unavailable": "", "documents": 5, "indexed": 5, "pending": 0,
        "missing": [], "stale": [], "differ": [],
    }  # fmt: skip


@pytest.mark.parametrize("damage", ["deleted", "corrupted", "other_version"])
def test_a_broken_index_is_reported_intake_goes_on_and_reindex_restores_it(
    home: RecordStore, settings: Settings, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    folder = settings.index_dir
    if damage == "deleted":
        for path in sorted(folder.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        folder.rmdir()
    elif damage == "corrupted":  # each segment's term table (or whole compound file)
        damaged = [*folder.glob("*.trm"), *folder.glob("*.seg")]
        assert damaged
        for path in damaged:
            path.write_bytes(b"\x00garbage" * 64)
    else:
        (folder / VERSION_FILE).write_text(json.dumps({"schema_version": 0}))

    with pytest.raises(IndexUnavailable), Search(settings) as search:
        search.search("heart")
    capsys.readouterr()
    assert main(["search", "--json", "heart"]) == 92
    assert json.loads(capsys.readouterr().out)["error"]["type"] == "IndexUnavailable"

    new_id = _another(home, "later")  # intake goes on: the change waits in the journal
    report = sync_index(settings, home)
    assert report.waiting and home.counts()["index_pending"] == 1
    code, check = _check(capsys)
    assert code == 90 and check["index"]["unavailable"]  # type: ignore[index]

    assert main(["reindex"]) == 0
    assert "6 documents, 7 pages" in capsys.readouterr().out
    code, check = _check(capsys)
    assert code == 0 and check["ok"], check
    assert home.counts()["index_pending"] == 0
    with Search(settings) as search:
        assert [h.document_id for h in search.search("sarcoidosis").hits] == [new_id]
        assert search.search("heart failure").total == 1


HOLD_LOCK = """
import sys
from whoosh import index
writer = index.open_dir(sys.argv[1]).writer()
print("locked", flush=True)
sys.stdin.read()
writer.cancel()
"""


def test_a_held_index_lock_leaves_the_change_in_the_journal_until_it_is_free(
    home: RecordStore, settings: Settings
) -> None:
    fast = settings.with_(index_lock_timeout=0.2)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(settings.index_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        new_id = _another(home, "while-locked")
        report = sync_index(fast, home)
        assert report.waiting and report.reason == "IndexBusy"
        assert home.counts()["index_pending"] == 1
        with Search(fast) as search:  # searching works meanwhile, without the change
            assert search.search("sarcoidosis").total == 0
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    report = sync_index(fast, home)
    assert not report.waiting and report.applied == 1
    assert home.counts()["index_pending"] == 0
    with Search(fast) as search:
        assert [h.document_id for h in search.search("sarcoidosis").hits] == [new_id]


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_rebuild_resumes_and_intake_waits_for_it(
    home: RecordStore, settings: Settings, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    small = settings.with_(index_batch_pages=1, index_workers=workers)
    calls = {"n": 0}
    original = index_rebuild.Rebuilder.add_chunk

    def crash_on_fourth(self: index_rebuild.Rebuilder, entries: list[object], last: int) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        original(self, entries, last)  # type: ignore[arg-type]

    monkeypatch.setattr(index_rebuild.Rebuilder, "add_chunk", crash_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        reindex(small, home)
    monkeypatch.setattr(index_rebuild.Rebuilder, "add_chunk", original)
    assert settings.index_dir.with_name("index.new").is_dir()
    with Search(settings) as search:  # the old index still serves searches meanwhile
        assert search.search("heart failure").total == 1

    report = reindex(small, home)
    assert report.resumed_after > 0
    if workers == 1:
        assert report.documents == 5 - 3  # the three chunks before the crash were kept
    else:  # chunks still being built by the workers are built again
        assert 5 - 3 <= report.documents < 5
    assert not settings.index_dir.with_name("index.new").exists()
    with Search(settings) as search:
        assert search.search("date:2019..2021").total == 6  # every page, none twice
    assert SearchIndex.for_settings(settings).needs_rebuild() == ""


def test_a_rebuild_killed_between_a_commit_and_its_record_indexes_nothing_twice(
    home: RecordStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = settings.with_(index_batch_pages=1, index_workers=1)
    original = index_rebuild.Rebuilder._record
    calls = {"n": 0}

    def crash_on_third_record(self: index_rebuild.Rebuilder, after: int) -> None:
        calls["n"] += 1
        if calls["n"] == 4:  # the start, two parts recorded, then the third part's commit
            raise KeyboardInterrupt
        original(self, after)

    monkeypatch.setattr(index_rebuild.Rebuilder, "_record", crash_on_third_record)
    with pytest.raises(KeyboardInterrupt):
        reindex(small, home)
    monkeypatch.setattr(index_rebuild.Rebuilder, "_record", original)
    work = settings.index_dir.with_name("index.new")
    ix = windex.open_dir(str(work))
    assert len(ix._segments()) == 3  # committed, one of them never recorded
    ix.close()

    report = reindex(small, home)
    assert report.resumed_after > 0 and report.documents == 5 - 2
    with Search(settings) as search:
        assert search.search("date:2019..2021").total == 6  # every page, none twice
    assert SearchIndex.for_settings(settings).needs_rebuild() == ""


@pytest.mark.parametrize("stop", ["after the merge", "while swapping"])
def test_a_rebuild_killed_while_finishing_keeps_its_work(
    home: RecordStore, settings: Settings, monkeypatch: pytest.MonkeyPatch, stop: str
) -> None:
    small = settings.with_(index_batch_pages=1, index_workers=1)
    if stop == "after the merge":  # merged, before the version and the record's removal
        original_write = index_rebuild._write_json

        def fail_on_version(path: Path, data: dict[str, object]) -> None:
            if path.name == search_index.VERSION_FILE:
                raise KeyboardInterrupt
            original_write(path, data)

        monkeypatch.setattr(index_rebuild, "_write_json", fail_on_version)
    else:  # complete, the old index moved aside, the new one not yet in place

        def half_swap(self: index_rebuild.Rebuilder) -> None:
            self.target.rename(self.target.with_name(self.target.name + ".old"))
            raise KeyboardInterrupt

        monkeypatch.setattr(index_rebuild.Rebuilder, "_swap", half_swap)
    with pytest.raises(KeyboardInterrupt):
        reindex(small, home)
    monkeypatch.undo()
    if stop == "while swapping":
        assert not settings.index_dir.exists()  # searches fail until the next rebuild starts
        with index_rebuild.Rebuilder(SearchIndex.for_settings(small)) as rebuild:
            assert rebuild.resume_after() == 0  # the finished index swapped in, a new start
        with Search(settings) as search:
            assert search.search("date:2019..2021").total == 6
        return

    report = reindex(small, home)
    assert report.documents == 0  # nothing built again: the merged parts were kept
    assert not settings.index_dir.with_name("index.new").exists()
    assert not settings.index_dir.with_name("index.old").exists()
    with Search(settings) as search:
        assert search.search("date:2019..2021").total == 6  # every page, none twice
    assert SearchIndex.for_settings(settings).needs_rebuild() == ""


def test_intake_leaves_changes_queued_while_a_rebuild_runs(
    home: RecordStore, settings: Settings
) -> None:
    with search_index.maintenance(settings.home):
        holder = subprocess.run(
            [sys.executable, "-c", "from indexer.search_index import maintenance_running as m;"
             f"import pathlib; print(m(pathlib.Path({str(settings.home)!r})))"],
            capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent,
        )  # fmt: skip
        assert holder.stdout.strip() == "True"
    _another(home, "after-rebuild")
    assert not sync_index(settings, home).waiting


def test_an_index_of_another_schema_version_is_rebuilt_by_intake(
    home: RecordStore, settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an upgrade that changes the index schema, the next `ingest` (or `watch`) rebuilds
    the index before taking files; nobody has to remember `chartroom reindex`."""
    (settings.index_dir / VERSION_FILE).write_text(json.dumps({"schema_version": 0}))
    assert SearchIndex.for_settings(settings).outdated()
    inbox = tmp_path / "nothing-new"
    inbox.mkdir()
    capsys.readouterr()
    assert main(["ingest", "--no-progress", str(inbox)]) == 0
    assert "search index was rebuilt" in capsys.readouterr().err
    assert not SearchIndex.for_settings(settings).outdated()
    code, check = _check(capsys)
    assert code == 0 and check["ok"], check
    with Search(settings) as search:
        assert search.search("heart failure").total == 1


def test_a_deleted_index_is_not_rebuilt_behind_anyones_back(
    home: RecordStore, settings: Settings, tmp_path: Path
) -> None:
    """A missing index is an incident (reported by `check`), not an upgrade: intake leaves it."""
    for path in sorted(settings.index_dir.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    settings.index_dir.rmdir()
    assert not SearchIndex.for_settings(settings).outdated()
    inbox = tmp_path / "nothing-new"
    inbox.mkdir()
    assert main(["ingest", "--no-progress", str(inbox)]) == 0
    assert not settings.index_dir.exists()
