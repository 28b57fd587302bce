"""One term's postings read once per search, and phrase positions checked in numpy.

A W3 postings block is one pickle of (ids, weights, values); unpickling it is most of what a
search over a common term costs. `term_postings` reads each term's blocks once per search
(`postings_memo`), keeping all three parts, so the match sets (indexer/index_docsets.py), the
phrase position check and the ranking (indexer/index_rank.py) share one read. The ids become
one numpy array at once (chartroom's blocks hold them as a uint32 array: index_postings.py),
and a phrase field's positions one array for the whole term (index_positions.py); blocks
written by Whoosh's own writer (tuples) are read too, more slowly.

`at_offsets` finds the pages where several terms sit at fixed offsets from one another (a
phrase): every candidate page's positions become keys page * 2**32 + position - offset, one
array per term, and the pages are those whose keys all arrays share (a sorted intersection in
numpy) instead of a Python loop over candidates and positions.
"""

from __future__ import annotations

import zlib
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from io import BytesIO
from itertools import chain
from pickle import load, loads
from struct import Struct
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermsReader
from whoosh.matching.wrappers import FilterMatcher

from indexer.index_positions import PackedPositions, chain_values, decoded_table, packed_table

_STRIDE = 1 << 32  # positions on a page stay below this
_MAGIC = len(WHOOSH3_HEADER_MAGIC)


class TermPostings:
    """One term's postings in one segment: document numbers ascending (`ids`), and per block
    of postings its length, its weights (None: all 1.0; a float: all that; else one per
    posting) and its encoded values (None for fields that keep none). `fmt` is the field's
    Format (it decodes the values)."""

    def __init__(
        self,
        ids: NDArray[np.int64],
        block_lengths: Sequence[int],
        weight_blocks: Sequence[Any],
        value_blocks: Sequence[Sequence[Any] | None],
        fmt: Any = None,
    ) -> None:
        ids.flags.writeable = False  # shared by every use in a search (postings_memo)
        self.ids = ids
        self.block_lengths = block_lengths
        self.weight_blocks = weight_blocks
        self.value_blocks = value_blocks
        self.format = fmt

    def __len__(self) -> int:
        return int(self.ids.size)

    @cached_property
    def weight_array(self) -> NDArray[np.float64]:
        parts = list(map(_block_weights, self.block_lengths, self.weight_blocks))
        if not parts:
            return np.zeros(0, dtype=np.float64)
        return np.concatenate(parts)

    def values(self) -> list[Any]:
        """Every posting's encoded value, in document order."""
        return list(chain_values(self.value_blocks))

    @cached_property
    def _positions(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """Each posting's number of positions and where they start in the third array, which
        holds every posting's positions one after another."""
        if type(self.format) is PackedPositions:
            counts, flat = packed_table(self.value_blocks, len(self))
        else:
            counts, flat = decoded_table(chain_values(self.value_blocks), len(self), self.format)
        return counts, np.cumsum(counts) - counts, flat

    def keys(self, docs: NDArray[np.int64], offset: int) -> NDArray[np.int64]:
        """page * 2**32 + position - offset for every position of the term on `docs` (pages
        that hold the term, ascending), ascending."""
        counts, starts, flat = self._positions
        where = np.searchsorted(self.ids, docs)
        count, start = counts[where], starts[where]
        ends = np.cumsum(count)
        total = int(ends[-1]) if ends.size else 0
        gather = np.arange(total) + np.repeat(start - ends + count, count)
        keys: NDArray[np.int64] = np.repeat(docs, count) * _STRIDE + (flat[gather] - offset)
        if keys.size > 1 and not bool(np.all(keys[1:] > keys[:-1])):
            keys = np.unique(keys)  # a format whose positions are not in order
        return keys


def _ids_of(
    delta_blocks: Sequence[Any], block_lengths: Sequence[int], lasts: Sequence[int]
) -> NDArray[np.int64]:
    """Document numbers from a term's blocks of W3 delta-coded ids (each block starts with its
    first id itself): one cumulative sum, each block's first id made relative to the previous
    block's last (`lasts`: each block's last id, from its header)."""
    lengths = np.asarray(block_lengths, dtype=np.int64)
    if all(type(b) is array and b.itemsize == 4 for b in delta_blocks):
        deltas = np.frombuffer(b"".join(delta_blocks), dtype=np.uint32).astype(np.int64)
    else:  # blocks written by Whoosh's own writer: tuples
        deltas = np.fromiter(chain.from_iterable(delta_blocks), np.int64, count=int(lengths.sum()))
    if len(delta_blocks) > 1:
        firsts = np.cumsum(lengths[:-1])
        deltas[firsts] -= np.asarray(lasts[:-1], dtype=np.int64)
    ids: NDArray[np.int64] = np.cumsum(deltas)
    return ids


def _block_weights(count: int, weights: Any) -> NDArray[np.float64]:
    """A block's weights one per posting (stored as None when all are 1.0, as one float when
    all are the same, else a tuple or an array of float32)."""
    if weights is None:
        return np.ones(count, dtype=np.float64)
    if isinstance(weights, float):
        return np.full(count, weights, dtype=np.float64)
    return np.asarray(weights, dtype=np.float64)


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
    fmt = reader.schema[fieldname].format
    if info.is_inlined():
        ids, weights, values = info.inlined_postings()
        return TermPostings(np.asarray(ids, dtype=np.int64), [len(ids)], [weights], [values], fmt)
    fixed = fmt.fixed_value_size()
    keeps_values = fixed is None or fixed < 0
    offset, length = info._offset, info._length
    length = length[0] if isinstance(length, tuple) else length  # from_bytes leaves a 1-tuple
    region = terms._postfile.get(offset, length)
    if region[:_MAGIC] != WHOOSH3_HEADER_MAGIC:
        raise ValueError("posting block header missing")
    stream = BytesIO(region)
    position = _MAGIC
    id_blocks: list[Any] = []
    lasts: list[int] = []
    weight_blocks: list[Any] = []
    value_blocks: list[Any] = []
    while position < length:
        (size,) = _BLOCK_LENGTH.unpack_from(region, position)
        start = position + 4
        stream.seek(start)
        # the index's own blocks, unpickled as Whoosh unpickles them: (count, last id, max
        # weight, compression, min/max length), then (ids, weights, values)
        head = load(stream)  # noqa: S301
        data = region[stream.tell() : start + abs(size)]
        block_ids, block_weights, block_values = loads(  # noqa: S301
            zlib.decompress(data) if head[3] else data
        )
        id_blocks.append(block_ids)
        lasts.append(head[1])
        weight_blocks.append(block_weights)
        value_blocks.append(block_values if keeps_values else None)
        if size < 0:  # the term's last block
            break
        position = start + size
    lengths = list(map(len, id_blocks))
    ids = _ids_of(id_blocks, lengths, lasts)
    return TermPostings(ids, lengths, weight_blocks, value_blocks, fmt)


def _read(matcher: Any, fmt: Any) -> TermPostings:
    """All postings of a term's matcher, one at a time (deleted documents included: callers
    remove them): for segments `_read_postings` cannot parse."""
    matcher = _unwrap(matcher)
    ids: list[int] = []
    weights: list[float] = []
    values: list[Any] = []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        values.append(matcher.value())
        matcher.next()
    return TermPostings(np.asarray(ids, dtype=np.int64), [len(ids)], [weights], [values], fmt)


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


_EMPTY = TermPostings(np.zeros(0, dtype=np.int64), [], [], [])


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
        found = _read(reader.postings(fieldname, btext), reader.schema[fieldname].format)
    if memo is not None:
        memo[key] = found
    return found


# --- phrases ------------------------------------------------------------------------------


def _in(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.bool_]:
    """For each value of `a`, whether ascending `b` (not empty) holds it."""
    where = np.searchsorted(b, a)
    where[where == b.size] = 0
    found: NDArray[np.bool_] = b[where] == a
    return found


def shared(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """The values in both of two ascending arrays of distinct values."""
    if a.size > b.size:
        a, b = b, a
    if not a.size:
        return a
    found: NDArray[np.int64] = a[_in(a, b)]
    return found


def minus(a: NDArray[np.int64], b: NDArray[np.int64]) -> NDArray[np.int64]:
    """The values of `a` not in `b` (both ascending)."""
    if not a.size or not b.size:
        return a
    kept: NDArray[np.int64] = a[~_in(a, b)]
    return kept


def at_offsets(
    docs: NDArray[np.int64], terms: Sequence[tuple[TermPostings, int]]
) -> NDArray[np.int64]:
    """The pages of `docs` (ascending, each holding every term) where every term (its
    postings, its offset in the phrase) occurs at a position that is the phrase start plus its
    offset, ascending. Each further term is looked at on the pages still matching only."""
    none = np.zeros(0, dtype=np.int64)
    if not docs.size or not terms:
        return none
    base = terms[0][1]
    found: NDArray[np.int64] | None = None
    for postings, offset in terms:
        keys = postings.keys(docs, offset - base)
        if found is not None:
            keys = shared(found, keys)
            if not keys.size:
                return none
            pages = np.unique(keys // _STRIDE)
            if pages.size < docs.size:
                docs = pages
        found = keys
    assert found is not None
    matched: NDArray[np.int64] = np.unique(found // _STRIDE)
    return matched
