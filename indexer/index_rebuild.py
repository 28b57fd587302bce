"""A chunked, resumable, parallel rebuild into HOME/index.new/ (used by reindex.py).

    rebuild = index.rebuilder()
    after = rebuild.resume_after()        # 0, or the last document id a crashed rebuild recorded
    rebuild.add_chunk(entries, last_id)   # whole documents; built by a worker process
    rebuild.finish()                      # merge the parts, swap the new index in

Each chunk is built into parts (segments) by a worker process in its own folder
(index.new/parts/RUN-N/, where no other writer's clean-up can touch its files; workers end with
the rebuild process), with the document
numbers the pages will have once merged (`Writer(postings_base=...)`): a chunk's base is the
pages of every chunk before it, known when it is handed out. Up to `workers` chunks are built
at once. Finished chunks are taken in order: their files move into index.new/, their segments
join its table of contents, and the progress file records them (segment ids, pages, the last
document id). `finish` merges all parts by copying posting bytes (index_merge.py).

A crash anywhere loses nothing and indexes nothing twice: unfinished chunk folders are
discarded on resume; a part that joined the table of contents but was not recorded is dropped
(its pages are indexed again); a merge that finished before its record is recognised as the
parts it merged; a swap that was interrupted is completed (or the old index put back). With
one worker the chunks are built in this process.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import resource
import secrets
import shutil
import signal
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh import index as windex

from indexer.index_merge import copy_merge
from indexer.index_schema import SCHEMA_VERSION, PageEntry, build_schema, fields_of
from indexer.index_writer import Writer
from indexer.search_index import (
    PROGRESS_FILE,
    VERSION_FILE,
    SearchIndex,
    _cancel,
    _read_json,
    _write_json,
)

log = logging.getLogger(__name__)

PARTS_DIR = "parts"
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class BuiltPart:
    """One segment a worker committed: its id, pages and the last document id in it."""

    segment_id: str
    pages: int
    last_document_id: int


@dataclass(frozen=True)
class BuiltChunk:
    directory: str
    parts: tuple[BuiltPart, ...]
    peak_rss_mb: float  # the building process's peak resident memory


def build_chunk(
    directory: str, entries: Sequence[PageEntry], base: int, memory_mb: int
) -> BuiltChunk:
    """Index `entries` (whole documents) into a new index at `directory`, committing a part
    whenever the writer's postings near `memory_mb` (at a document boundary). Runs in a worker
    process (or in the caller's, with one worker)."""
    shutil.rmtree(directory, ignore_errors=True)
    Path(directory).mkdir(parents=True)
    ix = windex.create_in(directory, build_schema())
    ix.storage.supports_mmap = False
    parts: list[BuiltPart] = []
    start = 0
    try:
        while start < len(entries):
            writer = Writer(ix, postings_base=base + start, limitmb=memory_mb, compound=False)
            end = len(entries)
            try:
                for i in range(start, len(entries)):
                    writer.add_document(**fields_of(entries[i]))
                    at_boundary = (
                        i + 1 < end and entries[i + 1].document_id != entries[i].document_id
                    )
                    if at_boundary and writer.nearly_full():
                        end = i + 1
                        break
                writer.commit(merge=False)
            except BaseException:
                writer.cancel()
                raise
            segment_id = writer.newsegment.segid
            parts.append(BuiltPart(segment_id, end - start, entries[end - 1].document_id))
            start = end
    finally:
        ix.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return BuiltChunk(directory, tuple(parts), peak)


def _end_with_parent(parent: int) -> None:
    """Worker initializer: the worker is killed when the rebuild process ends, however it ends
    (Linux PR_SET_PDEATHSIG; a worker orphaned by a killed rebuild would otherwise wait for
    chunks forever, holding its memory)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: orphans end when their queue breaks
        log.debug("no parent-death signal on this system")
    if os.getppid() != parent:  # the rebuild ended before the signal was set
        os._exit(1)


class Rebuilder:
    """Builds a fresh index in HOME/index.new/ a chunk at a time; resumable (module doc)."""

    def __init__(self, index: SearchIndex, workers: int = 1) -> None:
        self.index = index
        self.workers = max(1, workers)
        self.target = index.directory
        self.work = index.directory.with_name(index.directory.name + ".new")
        self._ix: windex.Index | None = None
        self._parts: list[list[Any]] = []  # [segment id, pages] per recorded part, in order
        self._handed_out = 0  # pages in chunks recorded or being built
        self._chunks = 0
        self._pending: deque[Future[BuiltChunk]] = deque()
        self._pool: ProcessPoolExecutor | None = None
        self._run = secrets.token_hex(4)  # chunk folders are this run's own
        self.peak_rss_mb = 0.0  # the largest worker's peak (the workers' total is at most x n)

    def __enter__(self) -> Rebuilder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (chunks not yet recorded are discarded; a resume redoes them)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._pending.clear()

    # --- starting and resuming ---------------------------------------------------------

    def resume_after(self) -> int:
        self._recover_swap()
        progress = _read_json(self.work / PROGRESS_FILE)
        if (
            progress.get("schema_version") == SCHEMA_VERSION
            and isinstance(progress.get("parts"), list)
            and windex.exists_in(str(self.work))
        ):
            try:
                self._ix = windex.open_dir(str(self.work))
                self._ix.storage.supports_mmap = False  # see below
                self._parts = [list(p) for p in progress["parts"]]
                after = int(progress.get("after_document_id", 0))
                self._reconcile(after)
                shutil.rmtree(self.work / PARTS_DIR, ignore_errors=True)
                self._handed_out = self._pages()
                log.info("index rebuild resumes after document %d", after)
                return after
            except Exception as exc:
                log.warning("partial rebuild unreadable (%s); starting over", type(exc).__name__)
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self._ix = windex.create_in(str(self.work), build_schema())
        # segments read by plain file reads: the final merge reads every part, and mapped
        # files count in the rebuild's resident memory (the whole index at the end)
        self._ix.storage.supports_mmap = False
        self._parts, self._handed_out = [], 0
        self._record(0)
        return 0

    def _pages(self) -> int:
        return sum(int(p[1]) for p in self._parts)

    @property
    def _old(self) -> Path:
        """Where the index being replaced waits while the new one is swapped in."""
        return self.target.with_name(self.target.name + ".old")

    def _recover_swap(self) -> None:
        """A rebuild killed while swapping its index in: finish the swap (index.new/ complete:
        its version written, its progress file gone), or put the old index back."""
        old = self._old
        if (self.work / VERSION_FILE).exists() and not (self.work / PROGRESS_FILE).exists():
            log.warning("a finished rebuild was interrupted while swapping in: completing it")
            self._swap()
        elif not self.target.exists() and old.is_dir():
            log.warning("the index was interrupted while being swapped: old index put back")
            old.rename(self.target)

    def _reconcile(self, after_document_id: int) -> None:
        """Make index.new/ hold exactly the recorded parts. A part that joined the table of
        contents before a crash, but was not recorded, is dropped (its pages are indexed
        again). A single segment holding all the recorded pages is the finished merge of
        the parts (killed before the progress file went): it becomes the one part."""
        assert self._ix is not None
        recorded = [p[0] for p in self._parts]
        segments = self._ix._segments()
        present = [s.segid for s in segments]
        merged = (
            len(present) == 1
            and len(recorded) > 1
            and present[0] not in recorded
            and segments[0].doc_count_all() == self._pages()
            and not segments[0].has_deletions()
        )
        if merged:
            log.info("the rebuild's parts were already merged")
            self._parts = [[present[0], self._pages()]]
            self._record(after_document_id)
            return
        if present[: len(recorded)] != recorded:
            raise ValueError("the partial rebuild's segments are not the recorded parts")
        if len(present) > len(recorded):
            log.info("dropping %d unrecorded rebuild part(s)", len(present) - len(recorded))
            self._commit_segments(lambda segments: segments[: len(recorded)])

    def _commit_segments(self, change: Any) -> None:
        """A new table of contents for index.new/: `change(segments)` (no pages added)."""
        self._commit(lambda _writer, segments: change(segments))

    def _commit(self, mergetype: Any) -> None:
        """A commit of index.new/ whose segments `mergetype(writer, segments)` decides."""
        assert self._ix is not None
        writer = self.index._writer(self._ix)
        try:
            writer.commit(mergetype=mergetype)
        except BaseException:
            _cancel(writer)
            raise

    def _record(self, after_document_id: int) -> None:
        _write_json(
            self.work / PROGRESS_FILE,
            {
                "schema_version": SCHEMA_VERSION,
                "after_document_id": after_document_id,
                "pages": self._pages(),
                "parts": self._parts,
            },
        )

    # --- building ----------------------------------------------------------------------

    def add_chunk(self, entries: Sequence[PageEntry], last_document_id: int) -> None:
        """Hand `entries` (whole documents, ending with `last_document_id`) to a worker; take
        in the finished chunks, in order, while `workers` are busy."""
        assert self._ix is not None, "call resume_after() first"
        if not entries:
            return
        directory = str(self.work / PARTS_DIR / f"{self._run}-{self._chunks}")
        base = self._handed_out
        self._chunks += 1
        self._handed_out += len(entries)
        memory = self.index.memory_mb
        if self.workers == 1:
            self._take(build_chunk(directory, list(entries), base, memory))
            return
        if self._pool is None:  # spawned: a forked child could inherit a lock held mid-use
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_end_with_parent,
                initargs=(os.getpid(),),
            )
        job = self._pool.submit(build_chunk, directory, list(entries), base, memory)
        self._pending.append(job)
        while len(self._pending) >= self.workers + 1 or (self._pending and self._pending[0].done()):
            self._take(self._pending.popleft().result())

    def _take(self, chunk: BuiltChunk) -> None:
        """Move a built chunk's parts into index.new/, list them, record them."""
        assert self._ix is not None
        self.peak_rss_mb = max(self.peak_rss_mb, chunk.peak_rss_mb)
        source = Path(chunk.directory)
        built = windex.open_dir(str(source))
        by_id = {s.segid: s for s in built._segments()}
        built.close()
        segments = [by_id[p.segment_id] for p in chunk.parts]
        prefixes = tuple(f"{s.segment_id()}." for s in segments)
        for path in source.iterdir():
            if path.name.startswith(prefixes):
                path.replace(self.work / path.name)
        self._commit_segments(lambda current: [*current, *segments])
        self._parts.extend([p.segment_id, p.pages] for p in chunk.parts)
        self._record(chunk.parts[-1].last_document_id)
        shutil.rmtree(source, ignore_errors=True)

    def finish(self) -> None:
        """Take in every chunk, merge the parts into one segment, swap index.new/ in."""
        assert self._ix is not None, "call resume_after() first"
        try:
            while self._pending:
                self._take(self._pending.popleft().result())
        finally:
            self.close()
        segments = [s.segid for s in self._ix._segments()]
        if segments != [p[0] for p in self._parts]:
            raise ValueError("the rebuild's segments are not the recorded parts")
        if len(segments) > 1:  # one merge of all the parts: fastest to search
            self._commit(copy_merge)
        self._ix.close()
        shutil.rmtree(self.work / PARTS_DIR, ignore_errors=True)
        _write_json(self.work / VERSION_FILE, {"schema_version": SCHEMA_VERSION})
        (self.work / PROGRESS_FILE).unlink(missing_ok=True)  # from here on: complete
        self._swap()
        log.info("index rebuilt and swapped in")

    def _swap(self) -> None:
        """index.new/ becomes index/ (the old index moved aside, then deleted)."""
        old = self._old
        shutil.rmtree(old, ignore_errors=True)
        if self.target.exists():
            self.target.rename(old)
        self.work.rename(self.target)
        shutil.rmtree(old, ignore_errors=True)
        self.index.marker.touch()
