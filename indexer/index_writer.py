"""Whoosh's segment writer with the per-posting Python work taken out (used by search_index.py).

Whoosh 2.7 indexes a page in ~8 ms of pure Python: the text is analysed once per field through
generator filters, every posting becomes a tuple in a PostingPool (sorted, pickled to temporary
runs and merged back), and the codec's postings writer takes them one call at a time. A rebuild's
final merge then reads every posting back one at a time and does it all again. `Writer` keeps the
same files and formats (the W3 codec writes them) and changes how postings get there:

- fields whose analyzer is one of index_schema's folding chains (`index_analysis.fast_kind`)
  with the stock Frequency format or PackedPositions (index_positions.py) get
  their terms from one shared tokenisation pass per value (`text`, `exact` and `pairs` all
  index the page text);
- postings are grouped by field and term in memory as they arrive (docnums only grow), so a flush
  sorts terms, not postings, and hands each term's postings to the codec in blocks
  (indexer/index_postings.py); `nearly_full()` tells a rebuild to commit before `limitmb`, past
  which the pool falls back to Whoosh's sorted runs on disk (slower, same result);
- `postings_base` writes a rebuild's part with the document numbers it will have once merged,
  so the final merge copies posting bytes (index_merge.py) instead of re-reading every posting;
- a merged segment's stored fields, lengths and columns are copied with each field's lengths and
  column read once (`write_per_doc`), not looked up per document.

The result is the same index, posting for posting (tests/test_index_build.py). What is left per
page is mostly per TERM: the codec's term table (an md5-hashed table, a pickled term info per
term) and a pickled block per term.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from whoosh.columns import TranslatingColumnReader
from whoosh.formats import Frequency
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint
from whoosh.writing import PostingPool, SegmentWriter

from indexer.index_analysis import analyse, fast_kind, frequencies, positions
from indexer.index_merge import copy_terms
from indexer.index_positions import PackedPositions, pack_positions
from indexer.index_postings import bulk_codec, column_lengths

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


def _weight(n: int) -> float:
    return _WEIGHTS[n] if n < 256 else float(n)


def _freq_bytes(n: int) -> bytes:
    """Whoosh's Frequency encoding of a count."""
    return _FREQS[n] if n < 256 else bytes(pack_uint(n))


# formats the fast add_document writes, with their positions' encoders (other formats, such as
# Whoosh's stock Positions, which no field of the schema uses, are written by field.index)
_ENCODERS: dict[type, Callable[[list[int]], bytes] | None] = {
    Frequency: None,
    PackedPositions: pack_positions,
}


class _LengthCache:
    """Field lengths of the segment being written, read once per (document, field); asked by
    document numbers `base` above the segment's own (a rebuild part's postings)."""

    def __init__(self, reader: Any, base: int = 0) -> None:
        self._reader = reader
        self._base = base
        self._count = int(reader.doc_count_all())
        self._fields: dict[str, Sequence[int]] = {}

    def lengths(self, fieldname: str) -> Sequence[int]:
        found = self._fields.get(fieldname)
        if found is None:
            found = column_lengths(self._reader, fieldname) or (0,) * self._count
            self._fields[fieldname] = found
        return found

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.lengths(fieldname)
        docnum -= self._base
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
            # a value of one position or a small count is shared (index_positions._SINGLE,
            # _FREQS: 4 bytes)
            size += POSTING_BYTES + (len(value) + VALUE_BYTES if value and len(value) > 4 else 0)
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

    def __init__(self, ix: Any, postings_base: int = 0, **kwargs: Any) -> None:
        """`postings_base`: added to the document numbers in this segment's postings (a
        rebuild's part, written with the numbers it will have once merged: index_merge.py)."""
        super().__init__(ix, **kwargs)
        self.postings_base = postings_base
        self._copying: list[SegmentReader] = []  # parts merged by copying (index_merge.py)
        # postings written as BulkPostings blocks, from the pool or (spilled, merged by Whoosh)
        # one posting at a time; the segment still names Whoosh's W3 codec for reading
        self.fieldwriter._codec = bulk_codec(self.codec)
        self.pool = _MemoryPool(self._tempstorage, self.newsegment, kwargs.get("limitmb", 128))
        # field: (pattern, kind, its positions' encoder: None for a Frequency field)
        self._fast: dict[str, tuple[str, str, Callable[[list[int]], bytes] | None]] = {}
        if any(f.vector or f.separate_spelling() for _, f in self.schema.items()):
            return  # features the fast add_document leaves out: Whoosh's add_document for all
        for name, field in self.schema.items():
            fmt = type(getattr(field, "format", None))
            if fmt not in _ENCODERS or field.format.field_boost != 1.0:
                continue
            kind = fast_kind(getattr(field, "analyzer", None))
            if kind is not None:
                self._fast[name] = (kind[0], kind[1], _ENCODERS[fmt])

    def cancel(self) -> None:
        for copied in self._copying:
            copied.close()
        self._copying = []
        super().cancel()

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
                pattern, kind, encode = fast[name]
                words = words_of.get((value, pattern))
                if words is None:
                    words = words_of[(value, pattern)] = analyse(value, pattern)
                if encode is not None:
                    found = positions(words, kind)
                    items = [
                        (t.encode("utf-8"), _weight(len(p)), encode(p)) for t, p in found.items()
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

    def write_per_doc(self, fieldnames: Any, reader: Any) -> dict[int, int] | None:
        """SegmentWriter.write_per_doc (a merged segment's stored fields, lengths and columns)
        with each field's lengths and column read once, instead of per document (where Whoosh
        also looks for a missing lengths column's file on every call)."""
        perdoc = getattr(reader, "_perdoc", None)
        schema = self.schema
        if (
            perdoc is None
            or reader.has_deletions()
            or any(schema[name].vector for name in fieldnames)
        ):
            return super().write_per_doc(fieldnames, reader)  # type: ignore[no-any-return]
        count = reader.doc_count_all()
        lengths = {name: column_lengths(perdoc, name) or [0] * count for name in fieldnames}
        columns: dict[str, list[Any]] = {}
        for name in fieldnames:
            coltype = schema[name].column_type
            if coltype and reader.has_column(name):
                creader = reader.column_reader(name, coltype)
                if isinstance(creader, TranslatingColumnReader):
                    creader = creader.raw_column()
                columns[name] = list(creader)
        pdw = self.perdocwriter
        for docnum, stored in reader.iter_docs():
            pdw.start_doc(self.docnum)
            for name in fieldnames:
                field = schema[name]
                pdw.add_field(name, field, stored.get(name), lengths[name][docnum])
                if name in columns:
                    pdw.add_column_value(name, field.column_type, columns[name][docnum])
            pdw.finish_doc()
            self.docnum += 1
        return None  # no deletions: document numbers kept in order (Whoosh's docmap)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        base = self.postings_base
        lengths = _LengthCache(reader, base) if reader is not None else None
        try:
            if self._copying:
                copy_terms(self.fieldwriter, self.schema, self._copying)
            elif self.pool.spilled:
                postings = self.pool.iter_postings()
                if base:
                    postings = ((f, t, d + base, w, v) for f, t, d, w, v in postings)
                self.fieldwriter.add_postings(self.schema, lengths, postings)
            else:
                self._write_terms(lengths)
            self.fieldwriter.close()
        finally:
            if reader is not None:
                reader.close()
            for copied in self._copying:
                copied.close()
            self._copying = []

    def _write_terms(self, lengths: _LengthCache | None) -> None:
        """Every term of the pool, in (field, term) order, a term's postings in one call."""
        fw = self.fieldwriter
        base = self.postings_base  # lengths are by the segment's own document numbers
        for name, pooled in sorted(self.pool.terms.items()):
            if name not in self.schema:
                continue
            field = self.schema[name]
            flens = lengths.lengths(name) if lengths is not None else None
            fw.start_field(name, field)
            post = fw._postwriter  # a BulkPostings (the field writer's codec: __init__)
            for btext in sorted(pooled):
                p = pooled[btext]
                ids = p[0::3]
                lens = [flens[d] for d in ids] if flens is not None else [0] * len(ids)
                if base:
                    ids = [d + base for d in ids]
                fw.start_term(btext)
                post.add_many(ids, p[1::3], p[2::3], lens)
                fw.finish_term()
            fw.finish_field()
