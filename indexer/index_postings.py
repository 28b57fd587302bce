"""The W3 codec's postings writer fed a term's postings in blocks (used by index_writer.py).

Whoosh's W3PostingsWriter takes one posting per call (type asserts, running statistics) and
compresses every block with zlib, even a block of one posting. `BulkPostings` writes the same
on-disk format from lists, keeps a term's single posting in its term info (Whoosh's own inlining
never runs: it calls a misspelt method), and leaves blocks of a few bytes uncompressed (each
block records its compression; readers follow it). Its blocks are pickled with a newer
protocol than Whoosh's (`BLOCK_PROTOCOL`), which Whoosh's reader reads as well.
"""

from __future__ import annotations

import zlib
from array import array
from operator import sub
from pickle import dumps
from typing import Any

from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.util.numeric import byte_to_length, length_to_byte

from indexer.index_positions import PackedPositions, PackedValues

INLINE = True  # terms with one posting keep it in the term table
SMALL_BLOCK = 80  # bytes of a block's pickle below which it is stored uncompressed
# A block's (ids, weights, values) pickle. Whoosh pickles it with protocol 2, which stores every
# bytes value (a posting's encoded positions) as a call to codecs.encode: unpickling a block of
# ~110 postings with positions took 105 us. Protocol 4 stores bytes as bytes: 9 us, and the block
# compresses to a third of the size. Whoosh's reader unpickles either (pickle reads the protocol
# from the data), so segments of both kinds can sit in one index and be merged.
BLOCK_PROTOCOL = 4
# Postings per block (Whoosh: 128). chartroom reads a term's blocks whole; each block costs its
# header's unpickling, a zlib call and a few numpy calls on top of its postings, so fewer,
# larger blocks read faster and compress better. Whoosh's own matcher reads any block size.
BLOCK_POSTINGS = 512
# Postings from which a phrase field's block holds its values as one PackedValues; shorter
# blocks (most terms are rare) keep Whoosh's tuple, which reads as fast at that size.
PACKED_BLOCK_MIN = 16


_LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]


def column_lengths(perdoc: Any, fieldname: str) -> tuple[int, ...] | None:
    """Every document's length in `fieldname` from a segment's per-document reader, decoded from
    its lengths column in one pass (0 where none was recorded); None when the segment has no
    such column. Whoosh's doc_field_length reads one document at a time and, for a field
    without lengths, looks for the column file again on every call."""
    if not hasattr(perdoc, "_cached_reader"):
        return None
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    # a tuple: read only, and untracked by Python's garbage collector (lists are scanned)
    return None if column is None else tuple(map(_LENGTH_OF_BYTE.__getitem__, column))


def delta_ids(ids: Any) -> array[int]:
    """Ascending ids as the W3 codec stores them in a block: the first, then the differences;
    as 4-byte unsigned integers (Whoosh's writer makes a tuple, which Whoosh's reader and
    indexer/index_term_postings.py read as well), which numpy reads without a call per id."""
    return array("I", (ids[0], *map(sub, ids[1:], ids[:-1])) if len(ids) else ())


if array("I").itemsize != 4:  # index_term_postings.py reads block ids as uint32
    raise ImportError("chartroom's index needs 4-byte unsigned ints (array typecode 'I')")


class BulkPostings(W3PostingsWriter):  # type: ignore[misc]
    """W3PostingsWriter taking a term's postings as lists, a block at a time."""

    _terminfo: Any
    _maxweight: float
    _minlength: int | None
    _maxlength: int

    def add_many(self, ids: Any, weights: Any, values: Any, lengths: list[int]) -> None:
        limit = self._blocklimit
        start, end = 0, len(ids)
        while start < end:
            if len(self._ids) >= limit:
                self._write_block()
            stop = min(end, start + limit - len(self._ids))
            self._ids.extend(ids[start:stop])
            block_weights = weights[start:stop]
            self._weights.extend(block_weights)
            self._maxweight = max(self._maxweight, max(block_weights))
            self._values.extend([v for v in values[start:stop] if v])
            nonzero = [n for n in lengths[start:stop] if n]
            if nonzero:
                low = min(nonzero)
                if self._minlength is None or low < self._minlength:
                    self._minlength = low
                self._maxlength = max(self._maxlength, max(nonzero))
            start = stop

    def finish_postings(self) -> Any:
        """A term with a single posting keeps it in its term info (no block in the postings
        file): W3PostingsWriter's own inlining never runs (it calls a misspelt method); the W3
        reader serves inlined postings through a ListMatcher."""
        ids, values = self._ids, self._values
        if INLINE and not self._blockcount and len(ids) == 1 and len(values) == 1:
            terminfo = self._terminfo
            terminfo.add_block(self)
            terminfo.set_inlined(ids, self._weights, values)
            self._terminfo = None
            return terminfo
        return super().finish_postings()

    def _mini_ids(self) -> Any:
        """W3PostingsWriter._mini_ids (ids as deltas) without a generator call per id."""
        return tuple(self._ids) if self._byteids else delta_ids(self._ids)

    def _mini_weights(self) -> Any:
        """W3PostingsWriter._mini_weights, but weights that differ as the block's array of
        float32 itself (the writer keeps them as one; Whoosh's writer makes a tuple of them)."""
        weights = self._weights
        first = weights[0]
        if all(w == first for w in weights):
            return None if first == 1.0 else first
        return weights

    def _mini_values(self) -> Any:
        """W3PostingsWriter._mini_values; a PackedPositions field's as one PackedValues when
        the block is long enough to gain by it (its pickle names the class: ~50 bytes)."""
        if type(self._format) is PackedPositions and len(self._values) >= PACKED_BLOCK_MIN:
            return PackedValues.of(self._values)
        return super()._mini_values()

    def _write_block(self, last: bool = False) -> None:
        """W3PostingsWriter._write_block, but a block whose pickle is small is not compressed
        (zlib costs more than it saves on a posting or two; readers follow the block's flag)."""
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        databytes = dumps(
            (self._mini_ids(), self._mini_weights(), self._mini_values()), BLOCK_PROTOCOL
        )
        comp = self._compression if len(databytes) >= SMALL_BLOCK else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                comp,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        size = len(infobytes) + len(databytes)
        self._postfile.write_int(-size if last else size)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class BulkCodec(W3Codec):  # type: ignore[misc]
    """The W3 codec whose postings writer is BulkPostings with `BLOCK_POSTINGS` per block.
    Given to a segment's field writer only (index_writer.Writer): the segment itself records
    Whoosh's W3Codec, whose reader reads these blocks."""

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> BulkPostings:
        return BulkPostings(
            dbfile,
            blocklimit=max(self._blocklimit, BLOCK_POSTINGS),
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


def bulk_codec(codec: Any) -> BulkCodec:
    """`codec`'s settings (a W3Codec's) with BulkPostings as its postings writer."""
    return BulkCodec(codec._blocklimit, codec._compression, codec._inlinelimit)
