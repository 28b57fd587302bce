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
from dataclasses import dataclass
from pathlib import Path

from chartroom.errors import ChartroomError, InternalError
from chartroom.settings import Settings
from scanner import filetypes, loaders
from scanner.page_worker import PageJob, init_worker, process_page
from scanner.pdf_output import SearchablePdfWriter
from scanner.types import FileType, ScannedDocument, ScannedPage

log = logging.getLogger(__name__)


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
    """Yield one ScanOutcome per path, in order. Never raises for a bad input file."""
    executor: Executor | None = None
    if settings.workers > 1:
        executor = ProcessPoolExecutor(max_workers=settings.workers, initializer=init_worker)
    else:
        init_worker()
    try:
        for index, path in enumerate(paths):
            target = pdf_out(path) if pdf_out else None
            yield _scan_one(index, Path(path), settings, executor, target)
    finally:
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _scan_one(
    index: int, path: Path, settings: Settings, executor: Executor | None, pdf_out: Path | None
) -> ScanOutcome:
    try:
        file_type = filetypes.check_input(path, settings)
        count = loaders.page_count(path, file_type, settings)
        digest = _sha256(path)
        pages = tuple(_run_pages(path, file_type, count, settings, executor))
        document = ScannedDocument(str(path), digest, file_type, pages)
        if pdf_out is not None:
            write_searchable_pdf(document, path, pdf_out, settings)
    except ChartroomError as exc:
        log.info("input %d refused: %s", index, exc.type_name)
        return ScanOutcome(path, error=exc)
    except Exception as exc:  # a bug: never show a traceback to the user, log it without PHI
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("input %d: unexpected %s\n%s", index, type(exc).__name__, frames)
        return ScanOutcome(path, error=InternalError(f"Unexpected {type(exc).__name__}"))
    log.info("input %d scanned: %d pages", index, len(document.pages))
    return ScanOutcome(path, document=document)


def _run_pages(
    path: Path, file_type: FileType, count: int, settings: Settings, executor: Executor | None
) -> Iterator[ScannedPage]:
    jobs = (PageJob(path, file_type, n, settings) for n in range(1, count + 1))
    if executor is None:
        yield from map(process_page, jobs)
        return
    window: deque[Future[ScannedPage]] = deque()
    limit = 2 * settings.workers
    try:
        for job in jobs:
            window.append(executor.submit(process_page, job))
            if len(window) >= limit:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        for future in window:
            future.cancel()


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
