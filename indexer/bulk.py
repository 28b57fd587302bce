"""`chartroom ingest`: the intake pipeline over folder trees and files, read in place.

Sources are never moved or changed (only read: the original is copied into the blob store and
the copy is what gets scanned). Each file's intake key is its absolute path + size + mtime_ns, so
a second run after an interruption skips every file whose outcome is recorded, and reports that
outcome again; a file changed since (new size or mtime) is a new input.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from chartroom.errors import ChartroomError, InputNotFound
from chartroom.settings import Settings
from indexer.folders import is_ignored
from indexer.ingest import Done, Ingestor, IntakeItem, bulk_key
from records.blobs import BlobStore
from records.types import RecordStoreAPI

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Missing:
    """A path given on the command line that does not exist (nothing is recorded for it)."""

    path: Path
    error: ChartroomError


def walk(paths: Sequence[Path]) -> Iterator[Path | Missing]:
    """Files under `paths` in a stable order; hidden and temporary files and folders skipped.

    Symbolic links are listed (check_input refuses them) but never followed into folders.
    """
    for path in paths:
        try:
            st = path.lstat()
        except FileNotFoundError:
            yield Missing(path, InputNotFound("no such file or folder"))
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield path
            continue
        for top, dirs, files in os.walk(path, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not is_ignored(d))
            for name in sorted(files):
                if not is_ignored(name):
                    yield Path(top) / name
            # links to folders appear in `dirs` and are not descended into: list them as files
            for name in list(dirs):
                if Path(top, name).is_symlink():
                    dirs.remove(name)
                    yield Path(top) / name


def item_for(path: Path) -> IntakeItem | Missing:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return Missing(path, InputNotFound("the file disappeared"))
    return IntakeItem(path.absolute(), bulk_key(path, st.st_size, st.st_mtime_ns))


@dataclass
class Progress:
    """Files, pages, pages per minute and ETA on stderr (tqdm)."""

    total: int
    stream: TextIO = field(default_factory=lambda: sys.stderr)
    enabled: bool = True
    pages: int = 0
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.bar = tqdm(
            total=self.total,
            unit="file",
            file=self.stream,
            disable=not self.enabled,
            dynamic_ncols=True,
            smoothing=0.1,
        )

    def advance(self, pages: int) -> None:
        self.pages += pages
        minutes = max(time.monotonic() - self.started, 1e-6) / 60
        self.bar.set_postfix(pages=self.pages, pages_per_min=f"{self.pages / minutes:.0f}")
        self.bar.update(1)

    def write(self, line: str | None) -> None:
        if line is not None:
            self.bar.write(line, file=sys.stdout)

    def close(self) -> None:
        self.bar.close()


def run_bulk(
    settings: Settings,
    store: RecordStoreAPI,
    blobs: BlobStore,
    paths: Sequence[Path],
    report: Callable[[Done | Missing], str | None],
    *,
    progress: bool = True,
    stop: Callable[[], bool] = lambda: False,
) -> int:
    """Take every file under `paths`. `report` turns each outcome into a line for stdout
    (printed above the progress bar) or None. Returns the number of files listed."""
    listed = list(walk(paths))
    items: list[IntakeItem] = []
    bar = Progress(len(listed), enabled=progress)
    try:
        for entry in listed:
            found = entry if isinstance(entry, Missing) else item_for(entry)
            if isinstance(found, Missing):
                bar.write(report(found))
                bar.advance(0)
            else:
                items.append(found)
        ingestor = Ingestor(settings, store, blobs)
        for done in ingestor.run(items, stop=stop):
            bar.write(report(done))
            bar.advance(done.pages)
    finally:
        bar.close()
    return len(listed)
