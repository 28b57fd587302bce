"""Every document a query matches, as sets of document numbers (exact totals and facets).

Whoosh enumerates matches one posting at a time through a tree of Python matchers (about
1-3 µs per posting and per tree level). Totals and facet counts need every match but no score,
so here a query is evaluated segment by segment as Python sets: a term's postings are read a
whole block at a time, AND/OR/NOT are set intersections, unions and differences (C speed), and
term ranges, prefixes and fuzzy words are the union of the terms they expand to. A phrase is
the documents holding all its words, then the positions of those documents only (Whoosh builds
span objects for every position). Other query types fall back to Whoosh's own matcher. Deleted
documents are removed at the end, per segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.index_term_postings import at_offsets, decoder, term_postings
from indexer.index_terms import SpacedPhrase, Unit


def matching_docnums(searcher: Searcher, query: wq.Query) -> list[int]:
    """The global numbers of the (undeleted) documents `query` matches, in order."""
    out: list[int] = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        ids = _eval(sub, reader, query)
        if ids and reader.has_deletions():
            ids = ids.difference(_deleted(reader))
        if offset:
            out.extend(sorted(d + offset for d in ids))
        else:
            out.extend(sorted(ids))
    return out


def _deleted(reader: Any) -> set[int]:
    perdoc = getattr(reader, "_perdoc", None)
    if perdoc is not None:
        return set(perdoc.deleted_docs())
    return {d for d in range(reader.doc_count_all()) if reader.is_deleted(d)}


def _term_ids(reader: Any, fieldname: str, text: Any) -> set[int]:
    if fieldname not in reader.schema:
        return set()
    btext = text if isinstance(text, bytes) else reader.schema[fieldname].to_bytes(text)
    return term_postings(reader, fieldname, btext).id_set()


def _candidates(maps: list[dict[int, Any]]) -> set[int]:
    """The documents in every map (smallest first)."""
    ordered = sorted(maps, key=len)
    found = set(ordered[0])
    for other in ordered[1:]:
        if not found:
            break
        found.intersection_update(other.keys())
    return found


def _positional(reader: Any, units: Sequence[tuple[str, bytes, int]]) -> set[int]:
    """Documents with every unit's term (field, term, offset) at its offset from the others:
    the documents with every term, then the positions of those documents only."""
    maps = [term_postings(reader, f, t).value_map for f, t, _ in units]
    candidates = _candidates(maps)
    if not candidates:
        return candidates
    decoders = [decoder(reader, f) for f, _, _ in units]
    offsets = [o for _, _, o in units]
    return at_offsets(candidates, list(zip(maps, decoders, offsets, strict=True)))


def _phrase_ids(reader: Any, query: wq.Phrase) -> set[int]:
    """Documents with the words at consecutive positions."""
    field = reader.schema[query.fieldname]
    btexts = [field.to_bytes(w) for w in query.words]
    if len(btexts) < 2:
        return term_postings(reader, query.fieldname, btexts[0]).id_set() if btexts else set()
    return _positional(reader, [(query.fieldname, t, i) for i, t in enumerate(btexts)])


def _spaced_ids(reader: Any, units: tuple[Unit, ...]) -> set[int]:
    """Documents with every unit's term at its offset from the others (a SpacedPhrase)."""
    keyed = []
    for field, text, offset in units:
        if field not in reader.schema:
            return set()
        keyed.append((field, reader.schema[field].to_bytes(text), offset))
    return _positional(reader, keyed)


def _eval(searcher: Searcher, reader: Any, query: wq.Query) -> set[int]:
    if query is wq.NullQuery:
        return set()
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
        out: set[int] = set()
        for btext in query._btexts(reader):
            out |= _term_ids(reader, query.fieldname, btext)
        return out
    if isinstance(query, wq.AndNot):
        return _eval(searcher, reader, query.a) - _eval(searcher, reader, query.b)
    if isinstance(query, wq.Not):
        return set(range(reader.doc_count_all())) - _eval(searcher, reader, query.query)
    if isinstance(query, wq.And):
        positive = [q for q in query.subqueries if not isinstance(q, wq.Not)]
        negative = [q.query for q in query.subqueries if isinstance(q, wq.Not)]
        if not positive:
            positive = [wq.Every()]
        sets = sorted((_eval(searcher, reader, q) for q in positive), key=len)
        result = sets[0]
        for other in sets[1:]:
            if not result:
                break
            result = result & other
        for q in negative:
            if not result:
                break
            result = result - _eval(searcher, reader, q)
        return result
    if isinstance(query, wq.Or) and not getattr(query, "minmatch", 0):
        result = set()
        for q in query.subqueries:
            result |= _eval(searcher, reader, q)
        return result
    if isinstance(query, wq.Every):
        return set(range(reader.doc_count_all()))
    return set(query.docs(searcher))
