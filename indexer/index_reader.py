"""Reading the search index: one point-in-time Whoosh searcher, queries, facets, more-like-this.

Used through `SearchIndex.reader()`; indexer/search.py turns the raw results into typed hits.
Facet counts come from per-searcher column caches (document type, year, diagnosis chapter,
filing status) over exactly the documents the (restricted) query matched. Any failure while
reading the segments is reported as IndexUnavailable, never as a library exception.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray
from whoosh import query as wq
from whoosh.searching import Searcher

from chartroom.errors import ChartroomError, IndexUnavailable
from indexer import query as q
from indexer.index_cache import segment_data
from indexer.index_docsets import matching_docnums
from indexer.index_query import (
    HitTerms,
    Restriction,
    has_phrase,
    hit_terms,
    restrict,
    translate,
)
from indexer.index_rank import field_lengths, top_docs
from indexer.index_term_postings import postings_memo

log = logging.getLogger(__name__)

T = TypeVar("T")
FACETS = {"document_type": "type", "year": "year", "filed": "filed"}
CATEGORY_COLUMN = "dx_category_col"


@dataclass(frozen=True)
class RawHit:
    docnum: int
    score: float
    stored: dict[str, Any]


@dataclass(frozen=True)
class RawResults:
    total: int
    hits: list[RawHit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    terms: HitTerms = field(default_factory=lambda: HitTerms(frozenset(), frozenset()))


@dataclass(frozen=True)
class IndexedDocument:
    """What the index says about one document (for `chartroom check`)."""

    pages: int
    document_type: str
    filed: bool
    patient_id: int | None


@contextmanager
def _reading(what: str) -> Iterator[None]:
    try:
        yield
    except ChartroomError:
        raise
    except Exception as exc:
        log.warning("index %s failed: %s", what, type(exc).__name__)
        raise IndexUnavailable("the search index cannot be read (damaged)") from exc


def _cache_field_lengths(searcher: Searcher) -> None:
    """Serve BM25's per-document field lengths from lists loaded once per field and segment
    (`index_rank.field_lengths`) to Whoosh's own scorers too (fallback shapes); Whoosh's
    column lookup per scored document was half the cost of ranking a common word."""
    for sub, _ in searcher.leaf_searchers():
        segment = sub.reader()
        perdoc = getattr(segment, "_perdoc", None)
        if perdoc is None or not hasattr(perdoc, "_cached_reader"):
            continue

        def lengths(docnum: int, fieldname: str, default: int = 0, segment: Any = segment) -> int:
            values = field_lengths(segment, fieldname)
            if values is None or not 0 <= docnum < len(values):
                return default
            return values[docnum] or default

        segment.doc_field_length = lengths
        sub.doc_field_length = lengths  # the searcher copied the reader's method when opened


class IndexReader:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self._columns: dict[str, Sequence[Any]] = {}
        self._codes: dict[str, tuple[NDArray[np.int32], list[Any]]] = {}
        _cache_field_lengths(searcher)

    def _segments(self) -> list[Any]:
        return [sub.reader() for sub, _ in self.searcher.leaf_searchers()]

    def _column(self, name: str) -> Sequence[Any]:
        """A column's values, one per page (segment by segment, kept per process: callers must
        not change the list)."""
        if name not in self._columns:
            parts = [
                segment_data(s, name, "values", partial(_values, s, name)) for s in self._segments()
            ]
            self._columns[name] = parts[0] if len(parts) == 1 else tuple(chain(*parts))
        return self._columns[name]

    def check(self) -> None:
        """Touch every segment's files (raises IndexUnavailable when one is unreadable)."""
        with _reading("check"):
            reader = self.searcher.reader()
            count = reader.doc_count()
            if count:
                # read whole once per process (index_cache.py); sort_date here too, so the
                # first search sorted by date does not pay for it
                for name in ("document_id", *FACETS.values(), CATEGORY_COLUMN, "sort_date"):
                    self._column(name)
                for docnum in reader.all_doc_ids():
                    reader.stored_fields(docnum)
                    break
                list(reader.field_terms("type"))  # the term dictionary; postings are read
                # by the queries themselves, where a failure is IndexUnavailable too

    def doc_count(self) -> int:
        with _reading("count"):
            return int(self.searcher.doc_count())

    # --- queries -------------------------------------------------------------------------

    def run(
        self,
        node: q.Node,
        *,
        restriction: Restriction | None = None,
        sort: str = "relevance",
        offset: int = 0,
        limit: int = 20,
        facets: bool = True,
    ) -> RawResults:
        user_query = translate(node)
        full = restrict(user_query, restriction)
        with _reading("search"), postings_memo():
            terms = hit_terms(user_query.existing_terms(self.searcher.reader(), expand=True))
            docnums = matching_docnums(self.searcher, full)
            if sort == "date":
                # newest first, ties by index order (docnums ascend; nlargest is stable)
                dates = self._column("sort_date")
                page = heapq.nlargest(offset + limit, docnums.tolist(), key=dates.__getitem__)[
                    offset:
                ]
                hits = [RawHit(d, 0.0, self.searcher.stored_fields(d)) for d in page]
            elif (
                ranked := top_docs(
                    self.searcher,
                    translate(node, loose=True) if has_phrase(node) else full,
                    docnums,
                    offset + limit,
                )
            ) is not None:
                hits = [
                    RawHit(d, score, self.searcher.stored_fields(d))
                    for d, score in ranked[offset : offset + limit]
                ]
            elif has_phrase(node) and docnums.size:
                # rank the exact matches by the phrase words: no second positional pass
                ranking = translate(node, loose=True)
                if isinstance(ranking, wq.NullQuery.__class__):
                    ranking = full
                results = self.searcher.search(
                    ranking, limit=offset + limit, filter=set(docnums.tolist())
                )
                hits = [
                    RawHit(hit.docnum, float(hit.score), hit.fields())
                    for hit in results[offset : offset + limit]
                ]
            else:
                results = self.searcher.search(full, limit=offset + limit)
                hits = [
                    RawHit(hit.docnum, float(hit.score), hit.fields())
                    for hit in results[offset : offset + limit]
                ]
            counts = self._facets(docnums) if facets else {}
        return RawResults(len(docnums), hits, counts, terms)

    def _coded(self, name: str) -> tuple[NDArray[np.int32], list[Any]]:
        """A column as small integer codes, one per page, and the values they stand for
        (coded segment by segment, kept per process; the segments' codes joined here)."""
        if name not in self._codes:
            parts = [
                segment_data(s, name, "codes", partial(_codes, s, name)) for s in self._segments()
            ]
            if len(parts) == 1:
                self._codes[name] = parts[0]
            else:
                labels: dict[Any, int] = {}
                joined = []
                for codes, values in parts:
                    mapping = np.array(
                        [labels.setdefault(v, len(labels)) for v in values], dtype=np.int32
                    )
                    joined.append(mapping[codes] if codes.size else codes)
                self._codes[name] = (np.concatenate(joined), list(labels))
        return self._codes[name]

    def _counts(
        self, name: str, docs: NDArray[np.int64], ordered: bool = True
    ) -> list[tuple[Any, int]]:
        """(value, pages) of a column over `docs`; `ordered`: most pages first, ties by value."""
        codes, labels = self._coded(name)
        counts = np.bincount(codes[docs], minlength=len(labels))
        found = [(labels[i], int(counts[i])) for i in np.flatnonzero(counts).tolist()]
        return sorted(found, key=lambda item: (-item[1], str(item[0]))) if ordered else found

    def _facets(self, docs: NDArray[np.int64]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for name, column in FACETS.items():
            out[name] = {(k or "unknown"): v for k, v in self._counts(column, docs)}
        counter: Counter[str] = Counter()
        for value, n in self._counts(CATEGORY_COLUMN, docs, ordered=False):
            for category in value.decode("utf-8").split("|") if value else ():
                counter[category] += n
        out["diagnosis_category"] = dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
        return out

    def more_like(
        self, document_id: int, *, restriction: Restriction | None = None, limit: int = 10
    ) -> RawResults:
        """Pages of other documents most like `document_id`'s text (best page per document)."""
        with _reading("more-like-this"):
            pages = list(self.searcher.document_numbers(document_id=str(document_id)))
            if not pages:
                return RawResults(0, [])
            first = self.searcher.stored_fields(pages[0])
            patient = int(first["patient_id"]) if first.get("patient_id") else None
            if restriction is not None and not restriction.allows(document_id, patient):
                return RawResults(0, [])
            text = "\n".join(self.searcher.stored_fields(d).get("text", "") for d in pages)
            keys = self.searcher.key_terms_from_text("text", text, numterms=25)
            if not keys:
                return RawResults(0, [])
            top = max(weight for _, weight in keys)
            like = wq.Or([wq.Term("text", t, boost=w / top) for t, w in keys])
            query = wq.AndNot(like, wq.Term("document_id", str(document_id)))
            full = restrict(query, restriction)
            results = self.searcher.search(full, limit=limit * 5)
            seen: set[str] = set()
            hits: list[RawHit] = []
            for hit in results:
                stored = hit.fields()
                if stored["document_id"] in seen:
                    continue
                seen.add(stored["document_id"])
                hits.append(RawHit(hit.docnum, float(hit.score), stored))
                if len(hits) >= limit:
                    break
            terms = hit_terms([("text", t) for t, _ in keys])
            return RawResults(len(hits), hits, {}, terms)

    # --- consistency ---------------------------------------------------------------------

    def documents(self) -> dict[int, IndexedDocument]:
        """Every indexed document with its page count, type, filing status and patient."""
        with _reading("listing"):
            reader = self.searcher.reader()
            ids, types, filed, patients = (
                self._column(c) for c in ("document_id", "type", "filed", "patient_id")
            )
            pages: Counter[int] = Counter()
            first: dict[int, int] = {}
            for docnum in reader.all_doc_ids():
                document_id = int(ids[docnum])
                pages[document_id] += 1
                first.setdefault(document_id, docnum)
            return {
                d: IndexedDocument(
                    pages[d],
                    types[n],
                    filed[n] == "yes",
                    int(patients[n]) if patients[n] else None,
                )
                for d, n in first.items()
            }


def _values(segment: Any, name: str) -> tuple[Any, ...]:
    """A column's values, as a tuple: read only, and of strings and numbers only, so Python's
    garbage collector stops tracking it (a list of 100,000 values was scanned by every full
    collection: ~100 ms each at 100,000 pages)."""
    return tuple(segment.column_reader(name))


def _codes(segment: Any, name: str) -> tuple[NDArray[np.int32], list[Any]]:
    values = segment_data(segment, name, "values", partial(_values, segment, name))
    labels: dict[Any, int] = {}
    codes = np.fromiter(
        (labels.setdefault(v, len(labels)) for v in values), np.int32, count=len(values)
    )
    return codes, list(labels)  # a few distinct values


def guarded(fn: Callable[[], T], what: str) -> T:
    with _reading(what):
        return fn()
