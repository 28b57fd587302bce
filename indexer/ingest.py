"""The intake pipeline shared by `chartroom watch` and `chartroom ingest`.

Per file, in this order: check the input (`scanner.filetypes.check_input`); copy the original into
the blob store (atomic, content-addressed); if an earlier run already recorded this file, report
that outcome and only finish it (move it, in watch mode); if a stored document has the same
SHA-256, record a duplicate; else OCR the stored copy (pages in worker processes through
`scanner.pipeline.scan_many`, one window of pages across files), run the NLP step on each
document segment and decide its filing, and record the file and its documents in ONE transaction
(`RecordStore.save_stored`), then apply the search index's journal (indexer/journal.py; a busy
or broken index leaves the changes queued). Only then is the file finished (watch mode: moved
to archive/).
The database is written by this process only; the NLP model is loaded once, on first need.

Transient failures (StorageFull, DatabaseBusy) record nothing and leave the file where it is:
the caller retries later. Any other failure of one file (a bad input, or a bug: InternalError)
is recorded as failed and the run goes on.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from chartroom.errors import (
    ChartroomError,
    DatabaseBusy,
    InputNotFound,
    InternalError,
    OutputError,
    StorageFull,
)
from chartroom.settings import Settings
from indexer.filing import decide_filing
from indexer.folders import key_text
from indexer.journal import sync_index
from models import Extractor
from records.blobs import BlobStore
from records.types import (
    IngestResult,
    NewDocument,
    Outcome,
    RecordStoreAPI,
    SourceFile,
    join_page_texts,
)
from scanner.filetypes import check_input
from scanner.pipeline import ScanOutcome, scan_many
from scanner.types import ScannedDocument, ScannedPage

log = logging.getLogger(__name__)

TRANSIENT = (StorageFull, DatabaseBusy)
"""Errors that say "not now" rather than "not this file": nothing is recorded, retry later."""


@dataclass(frozen=True)
class IntakeItem:
    """One file to take in. `bulk_key` is set in bulk mode (path + size + mtime_ns)."""

    path: Path
    bulk_key: str = ""

    @property
    def name(self) -> bytes:
        return os.fsencode(self.path.name)


@dataclass(frozen=True)
class Done:
    """What happened to one item. `result` is None when nothing was recorded (see `error`)."""

    item: IntakeItem
    result: IngestResult | None
    error: ChartroomError | None = None  # transient (retry later), or the file vanished
    pages: int = 0  # pages OCR'd in this run
    resumed: bool = False  # the outcome was recorded by an earlier run

    @property
    def deferred(self) -> bool:
        return self.error is not None and not isinstance(self.error, InputNotFound)


Finisher = Callable[[IntakeItem, IngestResult], None]


def _no_finish(_item: IntakeItem, _result: IngestResult) -> None:
    return None


@dataclass
class _Prepared:
    item: IntakeItem
    source: SourceFile
    waiters: list[tuple[IntakeItem, SourceFile]] = field(default_factory=list)


def watch_key(name: bytes, sha256: str) -> str:
    return f"inbox:{key_text(name)}:{sha256}"


def bulk_key(path: Path, size: int, mtime_ns: int) -> str:
    return f"path:{key_text(os.fsencode(path.absolute()))}:{size}:{mtime_ns}"


def as_chartroom_error(exc: BaseException, what: str) -> ChartroomError:
    if isinstance(exc, ChartroomError):
        return exc
    frames = "".join(traceback.format_tb(exc.__traceback__))  # no message: it may hold PHI
    log.error("%s: unexpected %s\n%s", what, type(exc).__name__, frames)
    return InternalError(f"Unexpected {type(exc).__name__}")


class Ingestor:
    """Runs items through the pipeline; `finish` is called after each outcome is recorded."""

    def __init__(
        self,
        settings: Settings,
        store: RecordStoreAPI,
        blobs: BlobStore,
        finish: Finisher = _no_finish,
    ) -> None:
        self.settings = settings
        self.store = store
        self.blobs = blobs
        self.finish = finish
        self._extractor: Extractor | None = None
        self._in_flight: dict[str, _Prepared] = {}

    @property
    def extractor(self) -> Extractor:
        if self._extractor is None:
            self._extractor = Extractor(self.settings)
        return self._extractor

    # --- the run -------------------------------------------------------------------------

    def run(
        self, items: Iterable[IntakeItem], stop: Callable[[], bool] = lambda: False
    ) -> Iterator[Done]:
        """Yield one Done per item (in about the order given). `stop()` ends the feed early:
        items already being scanned are finished, the rest are not touched."""
        ready: deque[Done] = deque()
        scanning: deque[_Prepared] = deque()

        def feed() -> Iterator[Path]:
            for item in items:
                if stop():
                    return
                prepared = self._guarded_prepare(item, ready)
                if prepared is not None:
                    scanning.append(prepared)
                    yield self.blobs.path_for(prepared.source.sha256)

        for outcome in scan_many(feed(), self.settings):
            while ready:
                yield ready.popleft()
            prepared = scanning.popleft()
            yield from self._complete(prepared, outcome)
        while ready:
            yield ready.popleft()

    def _guarded_prepare(self, item: IntakeItem, ready: deque[Done]) -> _Prepared | None:
        try:
            out = self._prepare(item)
        except Exception as exc:
            ready.append(self._failure(item, None, exc))
            return None
        if isinstance(out, Done):
            ready.append(out)
            return None
        return out

    def _failure(self, item: IntakeItem, source: SourceFile | None, exc: Exception) -> Done:
        """Record `exc` as the item's failure, unless it is transient or recording fails too."""
        error = as_chartroom_error(exc, "intake")
        if isinstance(error, (*TRANSIENT, InputNotFound)):
            return Done(item, None, error)
        try:
            if source is None:
                source = self._unread_source(item, "")
            return self._fail(item, source, error)
        except Exception as again:
            return Done(item, None, as_chartroom_error(again, "recording a failure"))

    # --- before the scan -------------------------------------------------------------------

    def _prepare(self, item: IntakeItem) -> _Prepared | Done | None:
        if item.bulk_key:
            prior = self.store.intake_outcome(item.bulk_key)
            if prior is not None:
                return self._resume(item, prior)
        try:
            file_type = check_input(item.path, self.settings)
        except InputNotFound as exc:
            return Done(item, None, exc)
        except ChartroomError as exc:
            source = self._unread_source(item, _hash_if_regular(item.path))
            prior = self.store.intake_outcome(source.key)
            if prior is not None:
                return self._resume(item, prior)
            return self._fail(item, source, exc)
        sha = self.blobs.put_file(item.path)
        size = self.blobs.path_for(sha).stat().st_size
        key = item.bulk_key or watch_key(item.name, sha)
        source = SourceFile(item.name, key, sha, size, file_type.value)
        if not item.bulk_key:
            prior = self.store.intake_outcome(key)
            if prior is not None:
                return self._resume(item, prior)
        first = self._in_flight.get(sha)
        if first is not None:  # the same content is being scanned for an earlier item
            first.waiters.append((item, source))
            return None
        if self.store.document_ids_for_sha(sha):
            result = self.store.save_duplicate(source)
            log.info("intake %s: duplicate of documents %s", sha[:12], result.document_ids)
            return self._finished(item, result)
        prepared = _Prepared(item, source)
        self._in_flight[sha] = prepared
        return prepared

    def _unread_source(self, item: IntakeItem, sha: str) -> SourceFile:
        try:
            size = item.path.lstat().st_size
        except OSError:
            size = 0
        key = item.bulk_key or watch_key(item.name, sha)
        return SourceFile(item.name, key, sha, size, "")

    def _resume(self, item: IntakeItem, prior: IngestResult) -> Done:
        log.info("intake: outcome %s already recorded; finishing only", prior.outcome)
        return self._finished(item, prior, resumed=True)

    def _fail(self, item: IntakeItem, source: SourceFile, error: ChartroomError) -> Done:
        result = self.store.save_failed(source, error.type_name, str(error))
        log.info("intake %s: failed (%s)", source.sha256[:12] or "-", error.type_name)
        return self._finished(item, result)

    def _finished(
        self, item: IntakeItem, result: IngestResult, pages: int = 0, resumed: bool = False
    ) -> Done:
        """Finish an item whose outcome is recorded; a failure to finish is retried later."""
        try:
            self.finish(item, result)
        except Exception as exc:
            if isinstance(exc, ChartroomError):
                error: ChartroomError = exc
            else:
                log.warning("finishing a recorded file failed: %s", type(exc).__name__)
                error = OutputError("the file could not be moved out of the intake folder")
            return Done(item, result, error, pages=pages, resumed=resumed)
        return Done(item, result, pages=pages, resumed=resumed)

    # --- after the scan --------------------------------------------------------------------

    def _complete(self, prepared: _Prepared, outcome: ScanOutcome) -> Iterator[Done]:
        self._in_flight.pop(prepared.source.sha256, None)
        item, source = prepared.item, prepared.source
        pages = len(outcome.document.pages) if outcome.document is not None else 0
        try:
            if outcome.error is not None:
                done = self._fail(item, source, outcome.error)
            else:
                assert outcome.document is not None
                documents = self.documents(outcome.document)
                result = self.store.save_stored(source, documents)
                log.info("intake %s: stored documents %s", source.sha256[:12], result.document_ids)
                self.sync_index()
                done = self._finished(item, result, pages=pages)
        except Exception as exc:
            done = self._failure(item, source, exc)
        yield done
        for waiter, wsource in prepared.waiters:
            yield self._settle_waiter(waiter, wsource, done)

    def _settle_waiter(self, item: IntakeItem, source: SourceFile, first: Done) -> Done:
        """A later item with the content of `first`: duplicate of it, or failed like it."""
        if first.result is None:  # transient: retry both later
            return Done(item, None, first.error)
        try:
            if first.result.outcome == Outcome.FAILED:
                error_type, _, message = first.result.reason.partition(": ")
                result = self.store.save_failed(source, error_type, message)
            else:
                result = self.store.save_duplicate(source)
        except Exception as exc:
            return self._failure(item, source, exc)
        return self._finished(item, result)

    def sync_index(self) -> None:
        """Apply the index journal after a commit. A busy or broken index leaves the changes
        waiting in the journal; nothing about it fails the intake."""
        try:
            sync_index(self.settings, self.store)
        except Exception as exc:
            log.warning("index journal not applied: %s", type(exc).__name__)

    def documents(self, scanned: ScannedDocument) -> list[NewDocument]:
        """The documents of one scanned file: NLP and filing per segment."""
        segments = scanned.segments() or [scanned.pages]
        cover = cover_pages(scanned)
        joined = [join_page_texts(segment) for segment in segments]
        findings = list(self.extractor.extract_many(text for text, _ in joined))
        out: list[NewDocument] = []
        for segment, (_, offsets), found in zip(segments, joined, findings, strict=True):
            numbers = {p.number for p in segment}
            extra = tuple(p for p in cover if p.number not in numbers)
            filing = decide_filing((*segment, *extra), found, self.store, self.settings)
            out.append(NewDocument(segment, found, filing, page_offsets=offsets))
        return out


def cover_pages(scanned: ScannedDocument) -> tuple[ScannedPage, ...]:
    """In a batch with separator sheets: the barcodes of the pages before the first separator.

    They name the patient of every document of the batch, so each segment's filing sees them.
    Only the barcodes are passed on (text and words are dropped).
    """
    if not any(p.separator for p in scanned.pages):
        return ()
    cover: list[ScannedPage] = []
    for page in scanned.pages:
        if page.separator:
            break
        if page.barcodes:
            cover.append(replace(page, text="", words=()))
    return tuple(cover)


def _hash_if_regular(path: Path) -> str:
    """The SHA-256 of a refused file when it can be read as a regular file, else ""."""
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return ""
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        return digest.hexdigest()
    except OSError:
        return ""
