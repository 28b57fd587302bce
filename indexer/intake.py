"""`chartroom watch`: take files dropped in a folder once they stop changing.

The folder is listed on every wake-up; file system events (watchdog's native observer, or its
PollingObserver for network shares, chosen with `poll=True` or when the native one cannot start)
only wake the loop early. A file is taken once its size, mtime and ctime have not changed for
`settings.stable_seconds`; temporary, partial and hidden files are never taken (folders.IGNORED).
Taken files go through `indexer.ingest.Ingestor`; afterwards each is in archive/ (stored or
duplicate) or failed/ (with a reason file). A transient failure (full disk, locked database)
leaves the file in the folder and retries it with exponential backoff. While idle, the loop
also applies index journal rows left waiting (a locked index, filing done in the web app).
"""

from __future__ import annotations

import logging
import os
import signal
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from chartroom.errors import ChartroomError, UsageError
from chartroom.settings import Settings
from indexer.folders import IntakeFolders, is_ignored, move_unique, remove_stale_partials
from indexer.ingest import Done, Ingestor, IntakeItem
from records.blobs import BlobStore
from records.types import IngestResult, Outcome, RecordStoreAPI

log = logging.getLogger(__name__)

FIRST_RETRY = 1.0  # seconds before a transient failure is retried; doubles up to MAX_RETRY
MAX_RETRY = 300.0
RELIST = 10.0  # list the folder at least this often, events or not

Signature = tuple[int, int, int]  # size, mtime_ns, ctime_ns


@dataclass
class StabilityTracker:
    """Which files have stopped changing: the same signature for `seconds`."""

    seconds: float
    seen: dict[Path, tuple[Signature, float]] = field(default_factory=dict)

    def update(self, current: dict[Path, Signature], now: float) -> list[Path]:
        for path in list(self.seen):
            if path not in current:
                del self.seen[path]
        ready: list[Path] = []
        for path, sig in current.items():
            known = self.seen.get(path)
            if known is None or known[0] != sig:
                self.seen[path] = (sig, now)
            elif now - known[1] >= self.seconds:
                ready.append(path)
        return sorted(ready)

    def next_deadline(self, now: float) -> float | None:
        waits = [since + self.seconds - now for _, since in self.seen.values()]
        return max(0.0, min(waits)) if waits else None


def list_candidates(directory: Path) -> dict[Path, Signature]:
    """Files (and links, which check_input refuses) directly in `directory`, not ignored ones."""
    found: dict[Path, Signature] = {}
    with os.scandir(directory) as entries:
        for entry in entries:
            if is_ignored(entry.name):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue
            found[Path(entry.path)] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return found


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.event.set()


def start_observer(
    directory: Path, wake: threading.Event, *, poll: bool, poll_seconds: float
) -> BaseObserver:
    """Native file events, or polling (asked for, or when native events are unavailable)."""
    handler = _Wake(wake)
    if not poll:
        observer: BaseObserver = Observer()
        try:
            observer.schedule(handler, str(directory), recursive=False)
            observer.start()
            log.info("watching with native file events")
            return observer
        except Exception as exc:  # inotify limits, unsupported file system...
            log.warning("native file events unavailable (%s); polling", type(exc).__name__)
    observer = PollingObserver(timeout=poll_seconds)
    observer.schedule(handler, str(directory), recursive=False)
    observer.start()
    log.info("watching by polling every %.1fs", poll_seconds)
    return observer


def archive_or_fail(folders: IntakeFolders) -> Callable[[IntakeItem, IngestResult], None]:
    """The watch finisher: stored/duplicate -> archive/, failed -> failed/ with a reason file."""

    def finish(item: IntakeItem, result: IngestResult) -> None:
        if result.outcome == Outcome.FAILED:
            move_unique(item.path, folders.failed, reason=result.reason)
        else:
            move_unique(item.path, folders.archive)

    return finish


class WatchService:
    """Runs until `stop()` (signals), or with `once` until what was there has been handled."""

    def __init__(
        self,
        settings: Settings,
        store: RecordStoreAPI,
        blobs: BlobStore,
        directory: Path | None = None,
        *,
        poll: bool = False,
        once: bool = False,
        report: Callable[[Done], None] = lambda _done: None,
    ) -> None:
        self.settings = settings
        self.folders = IntakeFolders.create(settings)
        self.directory = (directory or self.folders.inbox).absolute()
        self._check_directory()
        self.poll = poll
        self.once = once
        self.report = report
        self.ingestor = Ingestor(settings, store, blobs, finish=archive_or_fail(self.folders))
        self.tracker = StabilityTracker(settings.stable_seconds)
        self.retry: dict[Path, tuple[float, float]] = {}  # path -> (not before, last delay)
        self.wake = threading.Event()
        self.stopping = False
        self.first_error: ChartroomError | None = None

    def _check_directory(self) -> None:
        if not self.directory.is_dir():
            raise UsageError("the folder to watch does not exist or is not a folder")
        home = self.folders.home.absolute()
        for own in (home, self.folders.archive.absolute(), self.folders.failed.absolute()):
            if self.directory == own or own.is_relative_to(self.directory):
                raise UsageError("watch the inbox or a scanner folder, not the data folder")

    def stop(self) -> None:
        self.stopping = True
        self.wake.set()

    def run(self) -> None:
        for folder in (self.folders.archive, self.folders.failed):
            remove_stale_partials(folder)
        observer = None
        if not self.once:
            observer = start_observer(
                self.directory, self.wake, poll=self.poll, poll_seconds=self.settings.poll_seconds
            )
        try:
            self._loop()
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)

    def _loop(self) -> None:
        attempted: set[Path] = set()
        while not self.stopping:
            self.wake.clear()
            now = time.monotonic()
            current = list_candidates(self.directory)
            ready = [p for p in self.tracker.update(current, now) if self._due(p, now)]
            if self.once:
                ready = [p for p in ready if p not in attempted]
                attempted.update(ready)
            if ready:
                self._process(ready)
                continue
            if self.once and all(p in attempted for p in current):
                return
            self.ingestor.sync_index()  # idle: changes left waiting (index locked, web filing)
            self.wake.wait(self._timeout(now))

    def _due(self, path: Path, now: float) -> bool:
        entry = self.retry.get(path)
        return entry is None or entry[0] <= now

    def _timeout(self, now: float) -> float:
        waits = [RELIST]
        deadline = self.tracker.next_deadline(now)
        if deadline is not None:
            waits.append(deadline + 0.01)
        waits.extend(max(0.0, at - now) for at, _ in self.retry.values())
        return max(0.01, min(waits))

    def _process(self, paths: list[Path]) -> None:
        items = (IntakeItem(path) for path in paths)
        for done in self.ingestor.run(items, stop=lambda: self.stopping):
            path = done.item.path
            self.tracker.seen.pop(path, None)  # observed afresh if it is still there
            if done.deferred:
                assert done.error is not None
                _, last = self.retry.get(path, (0.0, FIRST_RETRY / 2))
                delay = min(MAX_RETRY, last * 2)
                self.retry[path] = (time.monotonic() + delay, delay)
                log.warning("intake deferred (%s); retry in %.0fs", done.error.type_name, delay)
                self.first_error = self.first_error or done.error
            else:
                self.retry.pop(path, None)
            self.report(done)


@contextmanager
def stop_on_signals(service: WatchService) -> Iterator[None]:
    """SIGTERM/SIGINT: stop taking new files, finish those in progress; a second one abandons
    them (safe: nothing is moved before its commit). Only this process reacts (OCR workers,
    which inherit the handler, ignore it)."""
    owner = os.getpid()

    def handler(signum: int, _frame: FrameType | None) -> None:
        if os.getpid() != owner:
            return
        if service.stopping:
            raise KeyboardInterrupt
        log.info("signal %d: stopping after the files in progress", signum)
        service.stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
