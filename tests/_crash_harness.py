"""Test-only entry point: `chartroom watch --once` that kills itself (SIGKILL) at a chosen stage.

Run as a script: `python tests/_crash_harness.py STAGE [chartroom arguments...]`, STAGE one of
after_copy, after_ocr, after_commit, before_move (or "none"). The stages are hooked here by
wrapping product functions; product code has no test hooks.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import indexer.ingest
import indexer.intake
from chartroom.cli import main
from records.blobs import BlobStore
from records.store import RecordStore


def _die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _after(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        _die()
        return result

    return wrapped


def _before(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        _die()
        return fn(*args, **kwargs)

    return wrapped


def install(stage: str) -> None:
    if stage == "after_copy":
        BlobStore.put_file = _after(BlobStore.put_file)  # type: ignore[method-assign]
    elif stage == "after_ocr":  # the pages are OCR'd; NLP and filing come next
        indexer.ingest.Ingestor.documents = _before(indexer.ingest.Ingestor.documents)  # type: ignore[method-assign]
    elif stage == "after_commit":
        RecordStore.save_stored = _after(RecordStore.save_stored)  # type: ignore[method-assign]
    elif stage == "before_move":
        indexer.intake.move_unique = _before(indexer.intake.move_unique)
    elif stage != "none":
        raise SystemExit(f"unknown stage {stage}")


if __name__ == "__main__":
    install(sys.argv[1])
    sys.exit(main(sys.argv[2:]))
