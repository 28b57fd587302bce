"""One term's postings read once per search, and phrase positions checked in numpy.

A W3 postings block is one pickle of (ids, weights, values); unpickling it is most of what a
search over a common term costs. `term_postings` reads each term's blocks once per search
(`postings_memo`), keeping all three parts, so the match sets (indexer/index_docsets.py), the
phrase position check and the ranking (indexer/index_rank.py) share one read.

`at_offsets` finds the pages where several terms sit at fixed offsets from one another (a
phrase): every candidate page's positions become keys page * 2**32 + position - offset, one
array per term, and the pages are those whose keys all arrays share (a sorted intersection in
numpy) instead of a Python loop over candidates and positions.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from io import BytesIO
from itertools import accumulate, chain, repeat
from pickle import load, loads
from struct import Struct
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermsReader
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher

_STRIDE = 1 << 32  # positions on a page stay below this
_MAGIC = len(WHOOSH3_HEADER_MAGIC)


class TermPostings:
    """One term's postings in one segment: ids ascending, a block's worth per list entry, with
    each block's weights (None: all 1.0; a float: all that; else one per posting) and encoded
    values (None for fields that keep none)."""

    def __init__(self) -> None:
        self.id_blocks: list[Sequence[int]] = []
        self.weight_blocks: list[Any] = []
        self.value_blocks: list[Sequence[Any] | None] = []

    def __len__(self) -> int:
        return sum(map(len, self.id_blocks))

    def id_set(self) -> set[int]:
        out: set[int] = set()
        for block in self.id_blocks:
            out.update(block)
        return out

    @cached_property
    def id_array(self) -> NDArray[np.int64]:
        return np.fromiter(chain.from_iterable(self.id_blocks), np.int64, count=len(self))

    @cached_property
    def weight_array(self) -> NDArray[np.float64]:
        blocks = map(_block_weights, self.id_blocks, self.weight_blocks)
        return np.fromiter(chain.from_iterable(blocks), np.float64, count=len(self))

    @cached_property
    def value_map(self) -> dict[int, Any]:
        """{document number: encoded value}."""
        out: dict[int, Any] = {}
        for ids, values in zip(self.id_blocks, self.value_blocks, strict=True):
            if values is not None:
                out.update(zip(ids, values, strict=True))
        return out


def _block_weights(ids: Sequence[int], weights: Any) -> Any:
    """A block's weights one per posting (stored as None when all are 1.0, as one float when
    all are the same)."""
    if weights is None:
        return repeat(1.0, len(ids))
    if isinstance(weights, float):
        return repeat(weights, len(ids))
    return weights


def _unwrap(matcher: Any) -> Any:
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return matcher


_BLOCK_LENGTH = Struct("!i")


def _read_postings(reader: Any, fieldname: str, btext: bytes) -> TermPostings | None:
    """All of a term's postings straight from a W3 segment: the term's whole posting region in
    one read, its blocks parsed from memory (W3LeafMatcher seeks and reads the file two or
    three times per block and unpickles each block's header from the file object). None when
    `reader` is not a W3 segment reader."""
    terms = getattr(reader, "_terms", None)
    if not isinstance(terms, W3TermsReader):
        return None
    info = terms.term_info(fieldname, btext)
    out = TermPostings()
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        out.id_blocks.append(tuple(ids))
        out.weight_blocks.append(tuple(weights))
        out.value_blocks.append(tuple(values))
        return out
    fixed = reader.schema[fieldname].format.fixed_value_size()
    keeps_values = fixed is None or fixed < 0
    offset, length = info._offset, info._length
    length = length[0] if isinstance(length, tuple) else length  # from_bytes leaves a 1-tuple
    region = terms._postfile.get(offset, length)
    if region[:_MAGIC] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("posting block header missing")
    stream = BytesIO(region)
    position = _MAGIC
    while position < length:
        (size,) = _BLOCK_LENGTH.unpack_from(region, position)
        start = position + 4
        stream.seek(start)
        # the index's own blocks, unpickled as Whoosh unpickles them: (count, last id, max
        # weight, compression, min/max length), then (ids, weights, values)
        head = load(stream)  # noqa: S301
        data = region[stream.tell() : start + abs(size)]
        block = loads(zlib.decompress(data) if head[3] else data)  # noqa: S301
        block_ids, block_weights, block_values = block
        out.id_blocks.append(tuple(accumulate(block_ids)))  # delta-coded ids, decoded in C
        out.weight_blocks.append(block_weights)
        out.value_blocks.append(block_values if keeps_values else None)
        if size < 0:  # the term's last block
            break
        position = start + size
    return out


def _read(matcher: Any) -> TermPostings:
    """All postings of a term's matcher, one at a time (deleted documents included: callers
    remove them): for segments `_read_postings` cannot parse."""
    out = TermPostings()
    matcher = _unwrap(matcher)
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    out.id_blocks.append(ids)
    out.weight_blocks.append(weights)
    out.value_blocks.append(values)
    return out


_MEMO: ContextVar[dict[tuple[int, str, bytes], TermPostings] | None] = ContextVar(
    "chartroom_postings_memo", default=None
)


@contextmanager
def postings_memo() -> Iterator[None]:
    """Within it (one search), a term's postings are read from the index once: matching,
    position checks and ranking share them. Per thread (a ContextVar), per search."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


_EMPTY = TermPostings()


def term_postings(reader: Any, fieldname: str, btext: bytes) -> TermPostings:
    """One term's postings in `reader` (a segment); empty when the term is not there."""
    if fieldname not in reader.schema or (fieldname, btext) not in reader:
        return _EMPTY
    memo = _MEMO.get()
    key = (id(reader), fieldname, btext)
    if memo is not None and (found := memo.get(key)) is not None:
        return found
    found = _read_postings(reader, fieldname, btext)
    if found is None:
        found = _read(reader.postings(fieldname, btext))
    if memo is not None:
        memo[key] = found
    return found


# --- positions ---------------------------------------------------------------------------

DECODED_LIMIT = 100_000  # distinct position values remembered (~13 MB at most); then start over


class _DecodedPositions(dict[bytes, Sequence[int]]):
    """Encoded Positions values -> positions. Values repeat across pages (one word at position
    12 is the same bytes on every page), so each is decoded once."""

    def __missing__(self, value: bytes) -> Sequence[int]:
        if len(self) >= DECODED_LIMIT:
            self.clear()
        # Whoosh's Positions.decode_positions (frequency, then pickled deltas) without its
        # loop; the index's own postings, which Whoosh unpickles the same way
        raw = value[4:] if value.endswith(b".") else value[4:] + b"."
        # a tuple of ints: the collector stops tracking it (an array would be scanned by
        # every full collection, ~100,000 of them)
        found = self[value] = tuple(accumulate(loads(raw)))  # noqa: S301
        return found


_DECODED = _DecodedPositions()


def decoder(reader: Any, fieldname: str) -> Callable[[Any], Sequence[int]]:
    """The function turning `fieldname`'s encoded values into positions."""
    fmt = reader.schema[fieldname].format
    if type(fmt) is Positions:
        return _DECODED.__getitem__
    return fmt.decode_positions  # type: ignore[no-any-return]


def _keys(
    docs: list[int], values: dict[int, Any], decode: Callable[[Any], Sequence[int]], offset: int
) -> NDArray[np.int64]:
    """page * 2**32 + position - offset for every position of the term on `docs` (ascending:
    `docs` are, and so are a page's positions)."""
    lists = list(map(decode, map(values.__getitem__, docs)))
    lengths = np.fromiter(map(len, lists), np.int64, count=len(lists))
    positions = np.fromiter(chain.from_iterable(lists), np.int64, count=int(lengths.sum()))
    pages = np.repeat(np.asarray(docs, dtype=np.int64), lengths)
    keys: NDArray[np.int64] = pages * _STRIDE + (positions - offset)
    if keys.size > 1 and not bool(np.all(keys[1:] > keys[:-1])):
        keys = np.unique(keys)  # a format whose positions are not in order
    return keys


def _shared(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """The values in both of two ascending arrays of distinct values."""
    if a.size > b.size:
        a, b = b, a
    if not a.size:
        return a
    where = np.searchsorted(b, a)
    where[where == b.size] = 0
    found: NDArray[np.int64] = a[b[where] == a]
    return found


def at_offsets(
    candidates: set[int],
    terms: Sequence[tuple[dict[int, Any], Callable[[Any], Sequence[int]], int]],
) -> set[int]:
    """The candidate pages where every term (its {page: encoded positions}, their decoder, its
    offset in the phrase) occurs at a position that is the phrase start plus its offset. Each
    further term is decoded on the pages still matching only."""
    if not candidates or not terms:
        return set()
    docs = sorted(candidates)
    base = terms[0][2]
    shared: NDArray[np.int64] | None = None
    for values, decode, offset in terms:
        keys = _keys(docs, values, decode, offset - base)
        if shared is not None:
            keys = _shared(shared, keys)
            if not keys.size:
                return set()
            pages = np.unique(keys // _STRIDE)
            if pages.size < len(docs):
                docs = pages.tolist()
        shared = keys
    assert shared is not None
    return set((shared // _STRIDE).tolist())
