"""The index journal consumer: apply the system of record's outbox to the search index.

Every document change writes an `index_outbox` row in the same transaction as the change
(records/). `drain()` reads pending rows oldest first, in batches, re-reads each document's
CURRENT state from the record store, replaces its pages in the index in one commit, and only
then marks the rows done. Applying a row twice is harmless (an upsert is a replace), so a crash
between the index commit and the marking only repeats work. When the index is locked by another
writer (IndexBusy) or unavailable (IndexUnavailable), the rows stay pending and the next drain
(after the next commit, or `chartroom reindex`) applies them: updates wait, they are never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from chartroom.errors import IndexBusy, IndexUnavailable
from chartroom.settings import Settings
from indexer.index_schema import PageEntry
from indexer.search_index import SearchIndex
from records.types import IndexDocument, OutboxItem

log = logging.getLogger(__name__)


class IndexSource(Protocol):
    """What the index needs from the system of record (implemented by RecordStore)."""

    def index_outbox(self, limit: int = 500) -> list[OutboxItem]: ...
    def index_outbox_done(self, ids: Sequence[int]) -> int: ...
    def documents_for_index(
        self, ids: Sequence[int] | None = None, after_id: int = 0, limit: int = 500
    ) -> list[IndexDocument]: ...


def entries_for(item: IndexDocument) -> list[PageEntry]:
    """The index entries (one per page) of a document as stored."""
    document, patient = item.document, item.patient
    dates = [(role, value) for role, value in item.dates if value]
    if patient is not None and patient.dob is not None:
        dates.append(("birth", patient.dob.isoformat()))
    diagnoses = tuple(
        (code, assertion, f"{text}\n{description}")
        for code, assertion, text, description in item.diagnoses
        if code
    )
    name = f"{patient.last_name}, {patient.first_name}".strip(", ") if patient else ""
    return [
        PageEntry(
            document_id=document.id,
            page=page.number,
            page_count=document.page_count,
            text=page.text,
            document_type=document.document_type,
            patient_id=document.patient_id,
            mrn=patient.mrn if patient else "",
            patient_name=name,
            dates=tuple(dates),
            diagnoses=diagnoses,
            filed=document.status == "filed",
            source=document.source_name.decode("utf-8", errors="replace"),
            text_source=page.text_source,
            ingested=document.created_at.date().isoformat(),
            low_confidence=page.low_confidence,
        )
        for page in item.pages
    ]


@dataclass(frozen=True)
class DrainReport:
    applied: int  # outbox rows applied and marked done
    documents: int  # documents updated or removed in the index
    waiting: bool  # rows are still pending (index busy or unavailable)
    reason: str = ""  # why they wait


def drain(store: IndexSource, index: SearchIndex, *, batch: int = 500) -> DrainReport:
    """Apply pending outbox rows until none are left. Raises IndexBusy / IndexUnavailable."""
    applied = documents = 0
    while True:
        if not store.index_outbox(limit=1):  # nothing pending: the index is not even opened
            return DrainReport(applied, documents, False)
        with index.updating() as update:  # read the records under the index's write lock
            items = store.index_outbox(limit=batch)
            if not items:
                return DrainReport(applied, documents, False)
            ops: dict[int, str] = {}
            for item in items:  # oldest first: the last op per document wins
                ops[item.document_id] = item.op
            wanted = [d for d, op in ops.items() if op == "upsert"]
            found = store.documents_for_index(ids=wanted) if wanted else []
            upserts = {item.document.id: entries_for(item) for item in found}
            update.apply(upserts, [d for d in ops if d not in upserts])
        store.index_outbox_done([item.id for item in items])
        applied += len(items)
        documents += len(ops)
        log.info("index journal: %d change(s) applied to %d document(s)", len(items), len(ops))
        if len(items) < batch:
            return DrainReport(applied, documents, False)


def sync_index(settings: Settings, store: IndexSource) -> DrainReport:
    """Drain the journal after a commit; never raises for a busy or broken index (the rows
    wait in the journal, and intake goes on)."""
    index = SearchIndex.for_settings(settings)
    try:
        index.create_if_new()
        return drain(store, index, batch=max(1, settings.index_batch_pages))
    except (IndexBusy, IndexUnavailable) as exc:
        log.warning("index not updated (%s); changes wait in the journal", exc.type_name)
        return DrainReport(0, 0, True, exc.type_name)
