"""One intake process per data folder: an exclusive lock on HOME/intake.lock.

`chartroom watch` and `chartroom ingest` both write the database and the blob store and move
files between the intake folders; two of them at once could take the same file twice. The lock
is advisory, taken without waiting (a second process is refused with `IntakeBusy`), and released
by the kernel when the process ends however it ends (`kill -9` included), so a crash never leaves
a stale lock behind. The file holds the owner's process id, for people only.

It is a POSIX record lock (`fcntl.lockf`, F_SETLK) rather than `flock`: `flock` locks belong to
the open file and are shared with forked children, so OCR worker processes orphaned by a
`kill -9` of the main process would keep the data folder locked; record locks belong to the
process that took them and are not inherited.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from types import TracebackType

from chartroom.errors import IntakeBusy, OutputError
from chartroom.settings import Settings

log = logging.getLogger(__name__)

LOCK_NAME = "intake.lock"


class IntakeLock:
    """`with IntakeLock(settings):` holds the data folder's intake lock, or raises IntakeBusy."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.home / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise OutputError("the data folder's intake lock file could not be opened") from exc
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            log.warning("intake lock held by another process")
            raise IntakeBusy("another intake process is using this data folder") from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        log.debug("intake lock taken by process %d", os.getpid())

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_UN)
        finally:
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> IntakeLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def lock_path(home: Path) -> Path:
    return home / LOCK_NAME
