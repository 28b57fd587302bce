"""Whoosh's segment writer with the per-posting Python work taken out (used by search_index.py).

Whoosh 2.7 indexes a page in ~8 ms of pure Python: the text is analysed once per field through
generator filters, every posting becomes a tuple in a PostingPool (sorted, pickled to temporary
runs and merged back), and the codec's postings writer takes them one call at a time. A rebuild's
final merge then reads every posting back one at a time and does it all again. `Writer` keeps the
same files and formats (the W3 codec writes them) and changes how postings get there:

- fields whose analyzer is one of index_schema's folding chains (`index_analysis.fast_kind`)
  with the stock Frequency or Positions format get their terms from one shared tokenisation
  pass per value (`text`, `exact` and `pairs` all index the page text);
- postings are grouped by field and term in memory as they arrive (docnums only grow), so a flush
  sorts terms, not postings, and hands each term's postings to the codec in blocks
  (indexer/index_postings.py); `nearly_full()` tells a rebuild to commit before `limitmb`, past
  which the pool falls back to Whoosh's sorted runs on disk (slower, same result);
- `merge_all` (a merge policy for `commit(mergetype=...)`) merges segments without deletions by
  copying each term's posting blocks in segment order with their docnums shifted, instead of
  pooling and re-sorting every posting.

The result is the same index, posting for posting (tests/test_index_build.py). What is left per
page is mostly per TERM: the codec's term table (an md5-hashed table, a pickled term info per
term) and a pickled block per term, written once per segment and again by the final merge.
"""

from __future__ import annotations

import heapq
import itertools
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pickle import dumps
from typing import Any

from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Frequency, Positions
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint
from whoosh.writing import PostingPool, SegmentWriter

from indexer.index_analysis import analyse, fast_kind, frequencies, positions
from indexer.index_postings import BulkPostings

# What the pool's memory grows by, in resident bytes (the estimate `limitmb` is checked against).
# The objects themselves (sys.getsizeof over the pool: a term's bytes, dict slot and 3-item list
# ~160 bytes; a posting's 3 list slots with the list's over-allocation ~28; an unshared value
# its length + 33) are what the old constants counted; resident memory grows 1.55-1.6 times that
# (allocator rounding, lists reallocated as they grow), measured by RSS deltas over 4,000 bench
# pages (estimate 70 MB: 110 MB resident). The constants below are those objects' sizes x 1.6.
TERM_BYTES = 256
POSTING_BYTES = 45
VALUE_BYTES = 53
_WEIGHTS = [float(n) for n in range(256)]
_FREQS: list[bytes] = [pack_uint(n) for n in range(256)]
_ONE_POSITION: list[bytes] = [pack_uint(1) + dumps([n], 2) for n in range(4096)]


def _weight(n: int) -> float:
    return _WEIGHTS[n] if n < 256 else float(n)


def _freq_bytes(n: int) -> bytes:
    """Whoosh's Frequency encoding of a count."""
    return _FREQS[n] if n < 256 else bytes(pack_uint(n))


def _position_bytes(poses: list[int]) -> bytes:
    """Whoosh's Positions.encode: the count, then the pickled position deltas."""
    if len(poses) == 1 and poses[0] < 4096:
        return _ONE_POSITION[poses[0]]
    deltas = [poses[0]] + [b - a for a, b in itertools.pairwise(poses)]
    return bytes(pack_uint(len(deltas))) + dumps(deltas, 2)


class _LengthCache:
    """Field lengths of the segment being written, read once per (document, field)."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._count = int(reader.doc_count_all())
        self._fields: dict[str, list[int]] = {}

    def lengths(self, fieldname: str) -> list[int]:
        found = self._fields.get(fieldname)
        if found is None:
            read = self._reader.doc_field_length
            found = [read(d, fieldname) for d in range(self._count)]
            self._fields[fieldname] = found
        return found

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.lengths(fieldname)
        return lengths[docnum] if 0 <= docnum < self._count else default


class _MemoryPool(PostingPool):  # type: ignore[misc]
    """Postings grouped as {field: {term bytes: [docnum, weight, value, docnum, ...]}}."""

    def __init__(self, tempstore: Any, segment: Any, limitmb: int) -> None:
        super().__init__(tempstore, segment, limitmb=limitmb)
        self.terms: dict[str, dict[bytes, list[Any]]] = {}
        self.spilled = False

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        if self.spilled:
            super().add(item)
            return
        fieldname, btext, docnum, weight, value = item
        self.add_many(fieldname, docnum, [(btext, weight, value)])

    def add_many(
        self, fieldname: str, docnum: int, items: Sequence[tuple[bytes, float, bytes | None]]
    ) -> None:
        if not items:
            return
        if self.spilled:
            for btext, weight, value in items:
                super().add((fieldname, btext, docnum, weight, value))
            return
        self.fieldnames.add(fieldname)
        terms = self.terms.get(fieldname)
        if terms is None:
            terms = self.terms[fieldname] = {}
        size = 0
        for btext, weight, value in items:
            postings = terms.get(btext)
            if postings is None:
                terms[btext] = [docnum, weight, value]
                size += TERM_BYTES + len(btext)
            else:
                postings += (docnum, weight, value)
            # values of one posting or a small count are shared (_ONE_POSITION, _FREQS)
            size += POSTING_BYTES + (len(value) + VALUE_BYTES if value and len(value) > 14 else 0)
        self.currentsize += size
        if self.currentsize > self.limit:
            self._spill()

    def _sorted(self) -> Iterator[tuple[str, bytes, int, float, bytes | None]]:
        for fieldname in sorted(self.terms):
            terms = self.terms[fieldname]
            for btext in sorted(terms):
                p = terms[btext]
                for i in range(0, len(p), 3):
                    yield (fieldname, btext, p[i], p[i + 1], p[i + 2])

    def _spill(self) -> None:
        """Too big for memory: hand everything to Whoosh's sorted runs from now on."""
        self.current = list(self._sorted())
        self.terms = {}
        self.spilled = True
        self.save()

    def iter_postings(self) -> Any:
        if self.spilled:
            self.current.extend(self._sorted())
            self.terms = {}
            return self.items()
        return self._sorted()


class Writer(SegmentWriter):  # type: ignore[misc]
    """SegmentWriter with shared fast analysis, a grouped in-memory pool and bulk flushing."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool = _MemoryPool(self._tempstorage, self.newsegment, kwargs.get("limitmb", 128))
        self._fast: dict[str, tuple[str, str, bool]] = {}  # field: (pattern, kind, positions)
        if any(f.vector or f.separate_spelling() for _, f in self.schema.items()):
            return  # features the fast add_document leaves out: Whoosh's add_document for all
        for name, field in self.schema.items():
            fmt = type(getattr(field, "format", None))
            if fmt not in (Frequency, Positions) or field.format.field_boost != 1.0:
                continue
            kind = fast_kind(getattr(field, "analyzer", None))
            if kind is not None:
                self._fast[name] = (kind[0], kind[1], fmt is Positions)
        self._merging: list[tuple[SegmentReader, int]] = []

    def nearly_full(self) -> bool:
        """The in-memory postings are near `limitmb` (commit before they spill to disk)."""
        pool = self.pool
        return bool(pool.spilled or pool.currentsize > 0.85 * pool.limit)

    def add_document(self, **fields: Any) -> None:
        fast = self._fast
        if not fast or any(name.startswith("_") or name not in self.schema for name in fields):
            super().add_document(**fields)  # boosts, custom stored values, errors: Whoosh's way
            return
        self._check_state()
        schema, docnum, pdw, pool = self.schema, self.docnum, self.perdocwriter, self.pool
        words_of: dict[tuple[str, str], Any] = {}  # one analysis per (value, pattern)
        pdw.start_doc(docnum)
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = 0
            if name in fast and isinstance(value, str):
                pattern, kind, positional = fast[name]
                words = words_of.get((value, pattern))
                if words is None:
                    words = words_of[(value, pattern)] = analyse(value, pattern)
                if positional:
                    found = positions(words, kind)
                    items = [
                        (t.encode("utf-8"), _weight(len(p)), _position_bytes(p))
                        for t, p in found.items()
                    ]
                    length = sum(len(p) for p in found.values())
                else:
                    counts = frequencies(words, kind)
                    items = [
                        (t.encode("utf-8"), _weight(n), _freq_bytes(n)) for t, n in counts.items()
                    ]
                    length = sum(counts.values())
                pool.add_many(name, docnum, items)
                if not field.scorable:
                    length = 0
            elif field.indexed:
                indexed = list(field.index(value))
                pool.add_many(name, docnum, [(t, w, v) for t, _, w, v in indexed])
                if field.scorable:
                    length = sum(freq for _, freq, _, _ in indexed)
            pdw.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                pdw.add_column_value(name, field.column_type, field.to_column_value(value))
        pdw.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _LengthCache(reader) if reader is not None else None
        try:
            if self.pool.spilled:
                self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
            else:
                self._write_terms(lengths)
            self.fieldwriter.close()
        finally:
            if reader is not None:
                reader.close()
            for merged, _ in self._merging:
                merged.close()
            self._merging = []

    def _write_terms(self, lengths: _LengthCache | None) -> None:
        """Every term of the pool and of the segments being merged, in (field, term) order."""
        fw = self.fieldwriter
        pool_terms = self.pool.terms
        names = set(pool_terms)
        for reader, _ in self._merging:
            names.update(reader.indexed_field_names())
        for name in sorted(names):
            if name not in self.schema:
                continue
            field = self.schema[name]
            flens = lengths.lengths(name) if lengths is not None else None
            fw.start_field(name, field)
            fw._postwriter = post = BulkPostings(
                fw._postfile,
                blocklimit=self.codec._blocklimit,
                compression=self.codec._compression,
                inlinelimit=self.codec._inlinelimit,
            )
            for btext, sources in self._field_terms(name, pool_terms.get(name, {})):
                fw.start_term(btext)
                for source in sources:
                    for ids, weights, values in source:
                        lens = [flens[d] for d in ids] if flens is not None else [0] * len(ids)
                        post.add_many(ids, weights, values, lens)
                fw.finish_term()
            fw.finish_field()

    def _field_terms(
        self, name: str, pooled: dict[bytes, list[Any]]
    ) -> Iterator[tuple[bytes, list[Iterator[tuple[Any, Any, Any]]]]]:
        """(term, its posting sources in docnum order) for one field: this writer's own pool
        (documents added before commit), then the merged segments in order."""
        streams = [
            _ranked(reader.lexicon(name), rank)
            for rank, (reader, _) in enumerate(self._merging)
            if name in reader.indexed_field_names()
        ]
        streams.append(_ranked(sorted(pooled), -1))
        current: bytes | None = None
        sources: list[Iterator[tuple[Any, Any, Any]]] = []
        for btext, rank in heapq.merge(*streams):
            if btext != current:
                if current is not None:
                    yield current, sources
                current, sources = btext, []
            if rank >= 0:
                reader, base = self._merging[rank]
                sources.append(_segment_blocks(reader, name, btext, base))
            else:
                p = pooled[btext]
                sources.append(iter([(p[0::3], p[1::3], p[2::3])]))
        if current is not None:
            yield current, sources


def _ranked(terms: Iterable[bytes], rank: int) -> Iterator[tuple[bytes, int]]:
    for btext in terms:
        yield btext, rank


def _segment_blocks(
    reader: SegmentReader, name: str, btext: bytes, base: int
) -> Iterator[tuple[Any, Any, Any]]:
    """A term's postings in a segment, a block at a time: (docnums + base, weights, values)."""
    m = reader.postings(name, btext)
    if isinstance(m, W3LeafMatcher):
        while m.is_active():  # block data read through the matcher's own (private) loaders
            m._read_ids()
            m._read_weights()
            m._read_values()
            ids = [d + base for d in m._ids]
            values = m._values if m._values is not None else [b""] * len(ids)
            yield ids, m._weights, [v or b"" for v in values]
            m._next_block()
        return
    ids, weights, values = [], array("f"), []
    while m.is_active():  # inlined postings (not written by default) and anything else
        ids.append(m.id() + base)
        weights.append(m.weight())
        values.append(m.value() or b"")
        m.next()
    yield ids, weights, values


def merge_all(writer: Writer, segments: list[Any]) -> list[Any]:
    """Merge policy: every segment into the writer's new one (as Whoosh's OPTIMIZE). Segments
    without deletions are copied block by block; with deletions, Whoosh's way (remapping)."""
    if writer.pool.spilled or any(s.has_deletions() for s in segments):
        for segment in segments:
            reader = SegmentReader(writer.storage, writer.schema, segment)
            writer.add_reader(reader)
            reader.close()
        return []
    fieldnames = set(writer.schema.names())
    for segment in segments:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        base = writer.docnum
        writer.write_per_doc(fieldnames | set(reader.indexed_field_names()), reader)
        writer._merging.append((reader, base))
        writer._added = True
    return []
