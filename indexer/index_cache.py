"""What searches read whole from a segment, kept per process: columns, codes, field lengths.

A search reads some per-page data in full: the facet and sort columns (type, year, filed,
category, sort date, document id) and each text field's lengths for BM25. Read through Whoosh's
column readers that is one Python call per page: about 1.3 s per search at 100,000 pages. The
web app opens a new index reader for every request (a point-in-time view), so every search
paid it again.

Segments never change once written (deletions are recorded beside them), so what is read from
a segment's column is kept here, keyed by the index folder, the segment and the column file's
size and modification time (a rewritten or damaged file is read again; a missing one is not
cached). Entries are shared by every reader and thread of the process (read only: callers must
not change them) and the least recently used go first beyond `CACHE_ENTRIES`. Indexes not in a
folder (RamStorage) are not cached.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from whoosh.codec.whoosh3 import W3Codec

log = logging.getLogger(__name__)

T = TypeVar("T")
CACHE_ENTRIES = 96  # about 20 per segment and kind of index (columns, lengths, codes)

_LOCK = threading.Lock()
_CACHE: OrderedDict[Hashable, Any] = OrderedDict()


def _key(segment_reader: Any, column: str, kind: str) -> Hashable | None:
    storage = getattr(segment_reader, "_storage", None)
    segment = getattr(segment_reader, "_segment", None)
    folder = getattr(storage, "folder", None)
    if folder is None or segment is None:
        return None
    try:
        stat = (Path(folder) / W3Codec.column_filename(segment, column)).stat()
    except OSError:
        return None
    return (folder, segment.segid, column, kind, stat.st_size, stat.st_mtime_ns)


def segment_data(segment_reader: Any, column: str, kind: str, build: Callable[[], T]) -> T:
    """`build()`: something read whole from the column file `column` of one segment reader
    (`kind` tells apart what is made of the same column), built once per process while the
    file is unchanged."""
    key = _key(segment_reader, column, kind)
    if key is None:
        return build()
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found  # type: ignore[no-any-return]
    value = build()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > CACHE_ENTRIES:
            _CACHE.popitem(last=False)
    return value


def clear() -> None:
    with _LOCK:
        _CACHE.clear()
