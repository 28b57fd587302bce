"""`chartroom reindex`: rebuild the search index from the system of record, or apply the journal.

The rebuild reads documents by id in pages and hands every `index_batch_pages` pages to one of
`index_workers` processes that build them into HOME/index.new/ (index_rebuild.py), recording the
last document id taken in, so memory stays bounded (per worker: one chunk plus the index
writer's buffer, `index_memory_mb`) and an interrupted rebuild resumes where it stopped. While
it runs, HOME/index.lock is held: intake leaves its changes in the journal, and the rebuild
applies them after swapping the new index in.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from chartroom.settings import Settings
from indexer.index_schema import PageEntry
from indexer.journal import DrainReport, IndexSource, drain, entries_for
from indexer.search_index import SearchIndex, maintenance

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReindexReport:
    documents: int  # documents indexed in this run
    pages: int
    resumed_after: int  # 0, or the document id an interrupted rebuild had reached
    seconds: float
    journal: DrainReport
    worker_peak_rss_mb: float = 0.0  # the largest chunk builder's peak resident memory


def reindex(
    settings: Settings,
    store: IndexSource,
    *,
    progress: Callable[[int, int], None] = lambda _docs, _pages: None,
) -> ReindexReport:
    """Rebuild the index from `store` (resumable), swap it in, then apply the journal."""
    started = time.monotonic()
    index = SearchIndex.for_settings(settings)
    with maintenance(settings.home), index.rebuilder(settings.index_workers) as rebuild:
        after = rebuild.resume_after()
        chunk: list[PageEntry] = []
        documents = pages = 0
        last = after
        while batch := store.documents_for_index(after_id=last, limit=200):
            for item in batch:
                chunk.extend(entries_for(item))
                documents += 1
                last = item.document.id
                if len(chunk) >= settings.index_batch_pages:
                    rebuild.add_chunk(chunk, last)
                    pages += len(chunk)
                    chunk = []
                    progress(documents, pages)
        if chunk:
            rebuild.add_chunk(chunk, last)
            pages += len(chunk)
            progress(documents, pages)
        rebuild.finish()
        journal = drain(store, index, batch=max(1, settings.index_batch_pages))
        worker_peak = rebuild.peak_rss_mb
    seconds = time.monotonic() - started
    log.info("reindex: %d documents, %d pages in %.1fs", documents, pages, seconds)
    return ReindexReport(documents, pages, after, seconds, journal, worker_peak)


def rebuild_if_outdated(
    settings: Settings,
    store: IndexSource,
    *,
    progress: Callable[[int, int], None] = lambda _docs, _pages: None,
) -> ReindexReport | None:
    """Rebuild the index when it was built by another schema version (after an upgrade).

    Called by intake (`chartroom ingest` / `watch`) before it takes new files, so a schema
    change rebuilds the index without anyone running `chartroom reindex`; searches report the
    index unavailable meanwhile. A missing or damaged index is left for `chartroom reindex`
    (that is an incident to look at, not an upgrade). None when nothing had to be done.
    """
    if not SearchIndex.for_settings(settings).outdated():
        return None
    log.warning("search index built by another schema version: rebuilding it now")
    return reindex(settings, store, progress=progress)


def apply_journal(settings: Settings, store: IndexSource) -> DrainReport:
    """Apply the pending journal only (raises IndexBusy / IndexUnavailable)."""
    return drain(store, SearchIndex.for_settings(settings), batch=settings.index_batch_pages)
