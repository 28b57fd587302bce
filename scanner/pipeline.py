"""Scan files: check each input, then process its pages (in worker processes when asked).

`scan()` is the Python API for one file; `scan_many()` streams outcomes for many files and
keeps at most a few pages in flight per worker, so memory stays flat on huge batches.
"""

from __future__ import annotations

import hashlib
import logging
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from chartroom.errors import ChartroomError, InternalError
from chartroom.settings import Settings
from scanner import filetypes, loaders
from scanner.page_worker import PageJob, init_worker, process_page
from scanner.pdf_output import SearchablePdfWriter
from scanner.types import FileType, ScannedDocument, ScannedPage

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class ScanOutcome:
    """The result for one input file: a document, or the error that stopped it."""

    source: Path
    document: ScannedDocument | None = None
    error: ChartroomError | None = None

    @property
    def ok(self) -> bool:
        return self.document is not None


def scan(path: Path | str, settings: Settings, pdf_out: Path | None = None) -> ScannedDocument:
    """Scan one file; raise its ChartroomError if it cannot be read."""
    outcome = next(scan_many([Path(path)], settings, pdf_out=(lambda _p: pdf_out)))
    if outcome.error is not None:
        raise outcome.error
    assert outcome.document is not None
    return outcome.document


def scan_many(
    paths: Iterable[Path],
    settings: Settings,
    pdf_out: Callable[[Path], Path | None] | None = None,
) -> Iterator[ScanOutcome]:
    """Yield one ScanOutcome per path, in order. Never raises for a bad input file.

    Page jobs from consecutive files share one window of 2 x workers pages in flight, so
    single-page files keep every worker busy too, and memory stays flat on huge batches.
    """
    executor: Executor
    if settings.workers > 1:
        executor = ProcessPoolExecutor(max_workers=settings.workers, initializer=init_worker)
    else:
        init_worker()
        executor = _InlineExecutor()
    try:
        for work in _scan_windowed(paths, settings, executor):
            target = pdf_out(work.path) if pdf_out and work.error is None else None
            yield _finish(work, settings, target)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


@dataclass
class _FileWork:
    index: int
    path: Path
    file_type: FileType | None = None
    digest: str = ""
    count: int = 0
    submitted: int = 0
    futures: deque[Future[ScannedPage]] = field(default_factory=deque)
    pages: list[ScannedPage] = field(default_factory=list)
    error: ChartroomError | None = None


def _scan_windowed(
    paths: Iterable[Path], settings: Settings, executor: Executor
) -> Iterator[_FileWork]:
    limit = 2 * settings.workers
    queue: deque[_FileWork] = deque()
    source = enumerate(paths)
    outstanding = 0
    exhausted = False
    while True:
        while outstanding < limit:
            tail = queue[-1] if queue else None
            if tail is None or tail.error is not None or tail.submitted >= tail.count:
                if exhausted:
                    break
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    break
                queue.append(_start(nxt[0], Path(nxt[1]), settings))
                continue
            assert tail.file_type is not None
            tail.submitted += 1
            job = PageJob(tail.path, tail.file_type, tail.submitted, settings)
            tail.futures.append(executor.submit(process_page, job))
            outstanding += 1
        if not queue:
            return
        head = queue[0]
        if head.error is None and head.futures:
            future = head.futures.popleft()
            outstanding -= 1
            try:
                head.pages.append(future.result())
            except Exception as exc:  # the file fails; its other pages are dropped
                head.error = _as_chartroom_error(head.index, exc)
                outstanding -= len(head.futures)
                for other in head.futures:
                    other.cancel()
                head.futures.clear()
            continue
        if head.error is None and head.submitted < head.count:
            continue  # the head is the tail: the fill loop submits its next pages
        yield queue.popleft()


def _start(index: int, path: Path, settings: Settings) -> _FileWork:
    work = _FileWork(index, path)
    try:
        work.file_type = filetypes.check_input(path, settings)
        work.count = loaders.page_count(path, work.file_type, settings)
        work.digest = _sha256(path)
    except Exception as exc:
        work.error = _as_chartroom_error(index, exc)
    return work


def _as_chartroom_error(index: int, exc: BaseException) -> ChartroomError:
    if isinstance(exc, ChartroomError):
        log.info("input %d refused: %s", index, exc.type_name)
        return exc
    # A bug: never show a traceback to the user; log the frames without the message (PHI).
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("input %d: unexpected %s\n%s", index, type(exc).__name__, frames)
    return InternalError(f"Unexpected {type(exc).__name__}")


def _finish(work: _FileWork, settings: Settings, pdf_out: Path | None) -> ScanOutcome:
    if work.error is not None:
        return ScanOutcome(work.path, error=work.error)
    assert work.file_type is not None
    document = ScannedDocument(str(work.path), work.digest, work.file_type, tuple(work.pages))
    if pdf_out is not None:
        try:
            write_searchable_pdf(document, work.path, pdf_out, settings)
        except Exception as exc:
            return ScanOutcome(work.path, error=_as_chartroom_error(work.index, exc))
    log.info("input %d scanned: %d pages", work.index, len(document.pages))
    return ScanOutcome(work.path, document=document)


class _InlineExecutor(Executor):
    """Runs each job at submit time in this process (one worker: no pool to pay for)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def write_searchable_pdf(
    document: ScannedDocument, path: Path, out: Path, settings: Settings
) -> None:
    """Write the page images with an invisible text layer (pages reloaded one at a time)."""
    with SearchablePdfWriter(out) as writer:
        for page in document.pages:
            image = loaders.load_page(path, document.file_type, page.number, settings)
            writer.add_page(image.image, image.dpi, page.words)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
