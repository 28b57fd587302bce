"""The search index facade: the only door to Whoosh (with index_schema.py and index_query.py).

    index = SearchIndex.for_settings(settings)
    index.needs_rebuild()                  # reason string, or "" when the index is usable
    index.apply(upserts, deletes)          # add/update/remove documents' pages: one commit
    with index.reader() as r: r.run(...)   # search (see indexer/search.py for the typed API)
    rebuild = index.rebuilder(); ...       # chunked, resumable rebuild into HOME/index.new/

The index lives in HOME/index/ with `chartroom-index.json` beside the segments: the schema
version it was built with. A missing folder, a missing or different version, or segments Whoosh
cannot read make the index "unavailable": searches raise IndexUnavailable, intake keeps its
changes in the journal, and `chartroom reindex` rebuilds it from the system of record.
One writer at a time: Whoosh's write lock, waited for up to `index_lock_timeout` (IndexBusy).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index as windex
from whoosh.writing import IndexWriter, LockError

from chartroom.errors import ChartroomError, IndexBusy, IndexUnavailable
from chartroom.settings import Settings
from indexer.index_reader import IndexReader
from indexer.index_schema import SCHEMA_VERSION, PageEntry, build_schema, fields_of
from indexer.index_writer import Writer

if TYPE_CHECKING:
    from indexer.index_rebuild import Rebuilder

log = logging.getLogger(__name__)

VERSION_FILE = "chartroom-index.json"
PROGRESS_FILE = "chartroom-rebuild.json"
MAINTENANCE_LOCK = "index.lock"
_HELD: set[Path] = set()  # maintenance locks this process holds (POSIX locks are per process)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


class SearchIndex:
    def __init__(self, directory: Path, *, lock_timeout: float = 2.0, memory_mb: int = 256):
        self.directory = directory
        self.lock_timeout = lock_timeout
        self.memory_mb = memory_mb

    @classmethod
    def for_settings(cls, settings: Settings) -> SearchIndex:
        return cls(
            settings.index_dir,
            lock_timeout=settings.index_lock_timeout,
            memory_mb=settings.index_memory_mb,
        )

    # --- state -------------------------------------------------------------------------

    def _built_version(self) -> Any:
        """The schema version recorded beside the index (None: no folder or no version file)."""
        if not self.directory.is_dir():
            return None
        return _read_json(self.directory / VERSION_FILE).get("schema_version")

    def outdated(self) -> bool:
        """True when the index on disk was built with another schema version: an upgrade
        changed the fields or analyzers, and intake rebuilds it (`rebuild_if_outdated`)."""
        version = self._built_version()
        return version is not None and version != SCHEMA_VERSION

    def needs_rebuild(self) -> str:
        """Why the index cannot be used ("" when it can): missing, other version, damaged."""
        if not self.directory.is_dir():
            return "the index folder is missing"
        version = self._built_version()
        if version is None:
            return "the index has no schema version file"
        if version != SCHEMA_VERSION:
            return f"the index schema is version {version}, this chartroom uses {SCHEMA_VERSION}"
        try:
            with self.reader() as reader:
                reader.check()
        except IndexUnavailable as exc:
            return exc.message
        return ""

    def _open(self) -> windex.Index:
        if not self.directory.is_dir():
            raise IndexUnavailable("the search index is missing")
        if self._built_version() != SCHEMA_VERSION:
            raise IndexUnavailable("the search index was built by another index schema version")
        try:
            return windex.open_dir(str(self.directory))
        except Exception as exc:
            log.warning("index open failed: %s", type(exc).__name__)
            raise IndexUnavailable("the search index cannot be read (damaged)") from exc

    @contextmanager
    def reader(self) -> Iterator[IndexReader]:
        """A point-in-time reader of the index (raises IndexUnavailable)."""
        ix = self._open()
        try:
            searcher = ix.searcher()
        except Exception as exc:
            log.warning("index searcher failed: %s", type(exc).__name__)
            raise IndexUnavailable("the search index cannot be read (damaged)") from exc
        try:
            yield IndexReader(searcher)
        finally:
            searcher.close()

    @property
    def marker(self) -> Path:
        """Beside the index: exists once an index has been created in this data folder."""
        return self.directory.with_name(self.directory.name + ".created")

    def create_if_new(self) -> bool:
        """Create an empty index in a data folder that never had one (a fresh install: the
        journal then holds every document). A folder whose index was created before and is
        now missing stays unavailable until `chartroom reindex`: nothing is silently lost."""
        if self.directory.exists() or self.marker.exists():
            return False
        work = self.directory.with_name(self.directory.name + ".new")
        if work.exists():
            return False  # a rebuild is in progress or was interrupted
        self.directory.mkdir(parents=True)
        windex.create_in(str(self.directory), build_schema()).close()
        _write_json(self.directory / VERSION_FILE, {"schema_version": SCHEMA_VERSION})
        self.marker.touch()
        log.info("empty search index created")
        return True

    # --- writing -----------------------------------------------------------------------

    def _writer(self, ix: windex.Index) -> IndexWriter:
        """Segments keep their files apart, not in one compound file: Whoosh reads a compound
        file's parts through a memory map copied whole into a BytesIO (a big segment sat in the
        searcher's memory twice), and index_cache.py keys what it keeps by the column files."""
        try:
            return Writer(
                ix,
                timeout=self.lock_timeout,
                delay=0.05,
                limitmb=self.memory_mb,
                compound=False,
            )
        except LockError as exc:
            log.info("index write lock busy after %.1fs", self.lock_timeout)
            raise IndexBusy("another process holds the search index's write lock") from exc

    @contextmanager
    def updating(self) -> Iterator[Update]:
        """Hold the write lock; what is applied inside is committed at the end, as one.

        Read the records' state INSIDE the block: two processes applying the journal at once
        then cannot commit an older state over a newer one.
        """
        if maintenance_running(self.directory.parent):
            raise IndexBusy("the search index is being rebuilt")
        ix = self._open()
        writer = self._writer(ix)
        try:
            yield Update(writer)
            writer.commit()
        except ChartroomError:
            _cancel(writer)
            raise
        except BaseException as exc:
            _cancel(writer)
            if not isinstance(exc, Exception):
                raise
            log.warning("index update failed: %s", type(exc).__name__)
            raise IndexUnavailable("the search index could not be updated (damaged)") from exc

    def apply(self, upserts: Mapping[int, Sequence[PageEntry]], deletes: Iterable[int]) -> None:
        """Replace the pages of each upserted document, remove deleted ones; one commit."""
        with self.updating() as update:
            update.apply(upserts, deletes)

    # --- rebuilding --------------------------------------------------------------------

    def rebuilder(self, workers: int = 1) -> Rebuilder:
        """A chunked, resumable rebuild building `workers` chunks at once (index_rebuild.py)."""
        from indexer.index_rebuild import Rebuilder  # it builds on this module

        return Rebuilder(self, workers)


class Update:
    """Changes inside `SearchIndex.updating()`."""

    def __init__(self, writer: IndexWriter) -> None:
        self._writer = writer

    def apply(self, upserts: Mapping[int, Sequence[PageEntry]], deletes: Iterable[int]) -> None:
        for document_id in [*upserts, *deletes]:
            self._writer.delete_by_term("document_id", str(document_id))
        for entries in upserts.values():
            for entry in entries:
                self._writer.add_document(**fields_of(entry))


def _cancel(writer: IndexWriter) -> None:
    try:
        writer.cancel()
    except Exception as exc:  # the writer is broken already; its lock goes with the process
        log.debug("cancel failed: %s", type(exc).__name__)


# --- the maintenance lock: a rebuild in progress ------------------------------------------


def maintenance_running(home: Path) -> bool:
    """True while a `chartroom reindex` holds HOME/index.lock (intake leaves changes queued)."""
    path = home / MAINTENANCE_LOCK
    if path.absolute() in _HELD or not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


@contextmanager
def maintenance(home: Path) -> Iterator[None]:
    """Hold HOME/index.lock for a rebuild; a second rebuild is refused with IndexBusy."""
    home.mkdir(parents=True, exist_ok=True)
    path = (home / MAINTENANCE_LOCK).absolute()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            raise IndexBusy("another `chartroom reindex` is running") from exc
        _HELD.add(path)
        yield
    finally:
        _HELD.discard(path)
        os.close(fd)
