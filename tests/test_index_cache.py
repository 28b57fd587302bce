"""Columns and field lengths read whole from a segment are kept per process
(indexer/index_cache.py): a new reader of the same index reuses them, a rewritten column file
is read again, and results do not change."""

from __future__ import annotations

import os

import pytest

from chartroom.settings import Settings
from indexer import index_cache
from indexer.journal import sync_index
from indexer.search import Search
from records.store import RecordStore
from tests._search_docs import archive


def test_a_new_reader_reuses_columns_and_a_changed_file_is_read_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from indexer import index_reader

    with RecordStore(settings) as store:
        archive(store)
        sync_index(settings, store)
    index_cache.clear()
    reads: list[str] = []
    original = index_reader._values

    def counted(segment: object, name: str) -> list[object]:
        reads.append(name)
        return original(segment, name)

    monkeypatch.setattr(index_reader, "_values", counted)
    query = "heart failure OR pneumonia"
    with Search(settings) as search:
        first = search.search(query)
    assert "type" in reads
    reads.clear()
    with Search(settings) as search:  # a new reader of the same index: nothing read again
        again = search.search(query)
    assert reads == []
    assert again.total == first.total and again.facets == first.facets
    assert [(h.document_id, h.page, h.score) for h in again.hits] == [
        (h.document_id, h.page, h.score) for h in first.hits
    ]

    files = sorted(settings.index_dir.glob("*.type.col"))
    stat = files[0].stat()
    os.utime(files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with Search(settings) as search:  # a changed column file is read again
        assert search.search(query).facets == first.facets
    assert reads == ["type"]


def test_indexes_outside_a_folder_are_not_cached() -> None:
    from whoosh import fields
    from whoosh.filedb.filestore import RamStorage

    from indexer.index_cache import segment_data

    index = RamStorage().create_index(fields.Schema(kind=fields.ID(sortable=True)))
    writer = index.writer()
    writer.add_document(kind="a")
    writer.commit()
    calls = []
    with index.reader() as reader:
        for _ in range(2):
            segment_data(reader, "kind", "values", lambda: calls.append(1))
    assert len(calls) == 2
