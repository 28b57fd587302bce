"""Every document a query matches, as sorted arrays of document numbers (exact totals, facets).

Whoosh enumerates matches one posting at a time through a tree of Python matchers (about
1-3 µs per posting and per tree level). Totals and facet counts need every match but no score,
so here a query is evaluated segment by segment on ascending numpy arrays of document numbers:
a term's postings are read a whole block at a time, AND/OR/NOT are sorted intersections, unions
and differences, and term ranges, prefixes and fuzzy words are the union of the terms they
expand to. A phrase is the documents holding all its words, then the positions of those
documents only (Whoosh builds span objects for every position). Other query types fall back to
Whoosh's own matcher. Deleted documents are removed at the end, per segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.index_term_postings import at_offsets, minus, shared, term_postings
from indexer.index_terms import SpacedPhrase, Unit

Docs = NDArray[np.int64]  # ascending, distinct document numbers
_NONE: Docs = np.zeros(0, dtype=np.int64)


def matching_docnums(searcher: Searcher, query: wq.Query) -> Docs:
    """The global numbers of the (undeleted) documents `query` matches, ascending."""
    out: list[Docs] = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        ids = _eval(sub, reader, query)
        if ids.size and reader.has_deletions():
            ids = minus(ids, _deleted(reader))
        out.append(ids + offset if offset else ids)
    if not out:
        return _NONE
    return out[0] if len(out) == 1 else np.concatenate(out)


def union(parts: Sequence[Docs]) -> Docs:
    parts = [p for p in parts if p.size]
    if not parts:
        return _NONE
    if len(parts) == 1:
        return parts[0]
    joined: Docs = np.unique(np.concatenate(parts))
    return joined


def _deleted(reader: Any) -> Docs:
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is not None:
        found = list(perdoc.deleted_docs())
    else:
        found = [d for d in range(reader.doc_count_all()) if reader.is_deleted(d)]
    return np.unique(np.asarray(found, dtype=np.int64))


def _term_ids(reader: Any, fieldname: str, text: Any) -> Docs:
    if fieldname not in reader.schema:
        return _NONE
    btext = text if isinstance(text, bytes) else reader.schema[fieldname].to_bytes(text)
    return term_postings(reader, fieldname, btext).ids


def _positional(reader: Any, units: Sequence[tuple[str, bytes, int]]) -> Docs:
    """Documents with every unit's term (field, term, offset) at its offset from the others:
    the documents with every term (rarest first), then the positions of those documents only."""
    terms = [(term_postings(reader, f, t), o) for f, t, o in units]
    docs = min((p.ids for p, _ in terms), key=len)
    for postings, _ in terms:
        if not docs.size:
            return _NONE
        docs = shared(docs, postings.ids)
    return at_offsets(docs, terms)


def _phrase_ids(reader: Any, query: wq.Phrase) -> Docs:
    """Documents with the words at consecutive positions."""
    field = reader.schema[query.fieldname]
    btexts = [field.to_bytes(w) for w in query.words]
    if len(btexts) < 2:
        return term_postings(reader, query.fieldname, btexts[0]).ids if btexts else _NONE
    return _positional(reader, [(query.fieldname, t, i) for i, t in enumerate(btexts)])


def _spaced_ids(reader: Any, units: tuple[Unit, ...]) -> Docs:
    """Documents with every unit's term at its offset from the others (a SpacedPhrase)."""
    keyed = []
    for field, text, offset in units:
        if field not in reader.schema:
            return _NONE
        keyed.append((field, reader.schema[field].to_bytes(text), offset))
    return _positional(reader, keyed)


def _eval(searcher: Searcher, reader: Any, query: wq.Query) -> Docs:
    if query is wq.NullQuery:
        return _NONE
    if isinstance(query, SpacedPhrase):
        return _spaced_ids(reader, query.units)
    if (
        isinstance(query, wq.Phrase)
        and query.slop == 1
        and query.fieldname in reader.schema
        and reader.schema[query.fieldname].format.supports("positions")
        and query.words
    ):
        return _phrase_ids(reader, query)
    if isinstance(query, wq.Term):
        return _term_ids(reader, query.fieldname, query.text)
    if isinstance(query, (wq.Prefix, wq.TermRange, wq.FuzzyTerm, wq.Wildcard)):
        return union([_term_ids(reader, query.fieldname, b) for b in query._btexts(reader)])
    if isinstance(query, wq.AndNot):
        return minus(_eval(searcher, reader, query.a), _eval(searcher, reader, query.b))
    if isinstance(query, wq.Not):
        every = np.arange(reader.doc_count_all(), dtype=np.int64)
        return minus(every, _eval(searcher, reader, query.query))
    if isinstance(query, wq.And):
        positive = [q for q in query.subqueries if not isinstance(q, wq.Not)]
        negative = [q.query for q in query.subqueries if isinstance(q, wq.Not)]
        if not positive:
            positive = [wq.Every()]
        arrays = sorted((_eval(searcher, reader, q) for q in positive), key=len)
        result = arrays[0]
        for other in arrays[1:]:
            if not result.size:
                break
            result = shared(result, other)
        for q in negative:
            if not result.size:
                break
            result = minus(result, _eval(searcher, reader, q))
        return result
    if isinstance(query, wq.Or) and not getattr(query, "minmatch", 0):
        return union([_eval(searcher, reader, q) for q in query.subqueries])
    if isinstance(query, wq.Every):
        return np.arange(reader.doc_count_all(), dtype=np.int64)
    return np.unique(np.fromiter(query.docs(searcher), np.int64))
