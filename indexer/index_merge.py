"""The rebuild's final merge by copying posting bytes (used by index_writer.py, search_index.py).

A rebuild commits its pages as several segments, then merges them into one (fastest to search).
A Whoosh merge reads every posting back and writes it again: each block unpickled, its document
numbers shifted, pickled and compressed again. That was half of a 100,000-page rebuild.

Here the shift is done when a rebuild segment is first written: its postings carry the document
numbers they will have in the merged index (`Writer(postings_base=...)`, the pages committed
before it). Such a segment is only a part of the rebuild, read by nothing but this merge (a
resumed rebuild drops uncommitted parts instead of deleting from them). The merge then copies
each term's posting bytes as they are: a term found in one part is copied whole; a term in
several parts gets their blocks one after another (the earlier parts' last-block marks cleared)
and one term info summing their statistics. Term infos holding their single posting (inlined)
are copied, or become a block when the term has postings in other parts too. Stored fields,
lengths and columns are copied document by document, as in any merge.

The merged index holds the same postings as Whoosh's own merge (tests/test_index_build.py); only
the block boundaries differ (a term's blocks end where each part's ended).
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterator, Sequence
from pickle import dumps
from struct import Struct
from typing import Any

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.reading import SegmentReader
from whoosh.system import (
    _INT_SIZE,
    _LONG_SIZE,
    pack_int,
    pack_long,
    pack_ushort,
    unpack_int,
    unpack_long,
)
from whoosh.util.numeric import length_to_byte

from indexer.index_postings import BLOCK_PROTOCOL, delta_ids

log = logging.getLogger(__name__)

_EXTENT = _LONG_SIZE + _INT_SIZE  # a term info's last bytes: postings offset and length
_BLOCK_LENGTH = Struct("!i")
_MAGIC = len(WHOOSH3_HEADER_MAGIC)


def _extent(value: bytes) -> tuple[int, int]:
    """A term info's postings offset and length (W3TermInfo.from_bytes leaves the length a
    1-tuple)."""
    return unpack_long(value[-_EXTENT:-_INT_SIZE])[0], unpack_int(value[-_INT_SIZE:])[0]


def _field_items(reader: SegmentReader, fieldname: str) -> Iterator[tuple[bytes, bytes]]:
    """(term, term info bytes) of one field of a segment, in term order."""
    terms = reader._terms
    number = terms._fieldmap.get(fieldname)
    if number is None:
        return
    prefix = pack_ushort(number)
    for key, value in terms._tindex.items_from(prefix):
        if key[:2] != prefix:
            return
        yield key[2:], value


def _ranked(items: Iterator[tuple[bytes, bytes]], rank: int) -> Iterator[tuple[bytes, int, bytes]]:
    for btext, value in items:
        yield btext, rank, value


def _merged_terms(
    readers: Sequence[SegmentReader], fieldname: str
) -> Iterator[tuple[bytes, list[tuple[int, bytes]]]]:
    """(term, [(part number, term info bytes), ...] in part order) over all parts."""
    streams = [_ranked(_field_items(r, fieldname), rank) for rank, r in enumerate(readers)]
    current: bytes | None = None
    sources: list[tuple[int, bytes]] = []
    for btext, rank, value in heapq.merge(*streams):
        if btext != current:
            if current is not None:
                yield current, sources
            current, sources = btext, []
        sources.append((rank, value))
    if current is not None:
        yield current, sources


def _without_last_mark(data: bytes) -> bytes:
    """A term's blocks (after the header) with the last block's length made positive (Whoosh
    marks a term's last block with a negative length)."""
    position = 0
    while True:
        (length,) = _BLOCK_LENGTH.unpack_from(data, position)
        if length < 0:
            return data[:position] + _BLOCK_LENGTH.pack(-length) + data[position + 4 :]
        position += 4 + length


def _inlined_block(info: Any, fmt: Any, last: bool) -> bytes:
    """A block holding a term info's inlined postings, as W3PostingsWriter writes one."""
    ids, weights, values = info.inlined_postings()
    fixed = fmt.fixed_value_size()
    if fixed is None or fixed < 0:  # one posting: a tuple (as BulkPostings' small blocks)
        mini_values: Any = tuple(values)
    elif fixed == 0:
        mini_values = None
    else:
        mini_values = b"".join(values)
    if all(w == 1.0 for w in weights):
        mini_weights: Any = None
    elif all(w == weights[0] for w in weights):
        mini_weights = weights[0]
    else:
        mini_weights = tuple(weights)
    data = dumps((delta_ids(ids), mini_weights, mini_values), BLOCK_PROTOCOL)
    head = dumps(
        (
            len(ids),
            ids[-1],
            max(weights),
            0,  # not compressed
            length_to_byte(info._minlength or 0),
            length_to_byte(info._maxlength),
        ),
        2,
    )
    size = len(head) + len(data)
    return _BLOCK_LENGTH.pack(-size if last else size) + head + data


def _combined(infos: list[Any]) -> Any:
    out = W3TermInfo()
    out._weight = sum(i._weight for i in infos)
    out._df = sum(i._df for i in infos)
    lows = [i._minlength for i in infos if i._minlength is not None]
    out._minlength = min(lows) if lows else None
    out._maxlength = max(i._maxlength for i in infos)
    out._maxweight = max(i._maxweight for i in infos)
    out._minid = infos[0]._minid
    out._maxid = infos[-1]._maxid
    return out


def copy_merge(writer: Any, segments: list[Any]) -> list[Any]:
    """Merge policy (`commit(mergetype=copy_merge)`) for a rebuild's parts, in order: every
    part into the writer's new segment, postings copied (`copy_terms`, called at flush)."""
    if writer.docnum or writer.pool.terms or any(s.has_deletions() for s in segments):
        raise ValueError("a copying merge takes whole rebuild parts into an empty writer")
    fieldnames = set(writer.schema.names())
    for segment in segments:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer._copying.append(reader)  # closed by the writer, whatever happens next
        writer.write_per_doc(fieldnames | set(reader.indexed_field_names()), reader)
        writer._added = True
    log.info("merging %d rebuild parts by copying their postings", len(segments))
    return []


def copy_terms(fieldwriter: Any, schema: Any, readers: Sequence[SegmentReader]) -> int:
    """Write every term of `readers` (parts written with their final document numbers, in
    order) into `fieldwriter` (a W3FieldWriter) by copying posting bytes. Returns terms."""
    out = fieldwriter._postfile
    table = fieldwriter._tindex
    postfiles = [r._terms._postfile for r in readers]
    names: set[str] = set()
    for reader in readers:
        names.update(reader.indexed_field_names())
    count = 0
    for name in sorted(names):
        if name not in schema:
            continue
        field = schema[name]
        fieldwriter.start_field(name, field)
        prefix = pack_ushort(fieldwriter._fieldid)
        for btext, sources in _merged_terms(readers, name):
            count += 1
            key = prefix + btext
            if len(sources) == 1:
                rank, value = sources[0]
                if value[0]:  # inlined: the term info is the whole posting list
                    table.add(key, value)
                    continue
                offset, length = _extent(value)
                start = out.tell()
                out.write(postfiles[rank].get(offset, length))
                table.add(key, value[:-_EXTENT] + pack_long(start) + pack_int(length))
                continue
            infos = [W3TermInfo.from_bytes(value) for _, value in sources]
            start = out.tell()
            out.write(WHOOSH3_HEADER_MAGIC)
            last = len(sources) - 1
            for k, ((rank, value), info) in enumerate(zip(sources, infos, strict=True)):
                if info.is_inlined():
                    out.write(_inlined_block(info, field.format, k == last))
                    continue
                offset, length = _extent(value)
                data = postfiles[rank].get(offset + _MAGIC, length - _MAGIC)
                out.write(data if k == last else _without_last_mark(data))
            merged = _combined(infos)
            merged.set_extent(start, out.tell() - start)
            table.add(key, merged.to_bytes())
        fieldwriter.finish_field()
    return count
