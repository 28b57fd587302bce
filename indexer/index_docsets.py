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

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from itertools import accumulate
from pickle import loads
from typing import Any

from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Positions
from whoosh.matching.wrappers import FilterMatcher
from whoosh.searching import Searcher

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


def blocks(
    matcher: Any, weights: bool = False, values: bool = False
) -> Iterator[tuple[Sequence[int], Sequence[float], Sequence[Any]]]:
    """A term's postings a block at a time: (ids, weights, values), the last two empty unless
    asked for. Postings inlined in the term info (a ListMatcher) come as one block."""
    matcher = _unwrap(matcher)  # deleted documents: removed by the callers
    if not isinstance(matcher, W3LeafMatcher):
        ids: list[int] = []
        ws: list[float] = []
        vs: list[Any] = []
        while matcher.is_active():
            ids.append(matcher.id())
            if weights:
                ws.append(matcher.weight())
            if values:
                vs.append(matcher.value())
            matcher.next()
        yield ids, ws, vs
        return
    while not matcher._atend and matcher._i < matcher._blocklength:
        if matcher._ids is None:
            _read_ids(matcher)
        if weights and matcher._weights is None:
            matcher._read_weights()
        if values and matcher._values is None:
            matcher._read_values()
        yield matcher._ids, matcher._weights if weights else (), matcher._values if values else ()
        if matcher._lastblock:
            break
        matcher._goto(matcher._nextoffset)


def _read_ids(matcher: Any) -> None:
    """W3LeafMatcher._read_ids with the delta decoding in C (`accumulate`) instead of Whoosh's
    Python generator (one call per posting): the same ids."""
    if matcher._data is None:
        matcher._read_data()
    ids = matcher._data[0]
    matcher._ids = ids if matcher._byteids else tuple(accumulate(ids))


Blocks = list[tuple[Sequence[int], Sequence[float]]]
_MEMO: ContextVar[dict[tuple[int, str, bytes], Blocks] | None] = ContextVar(
    "chartroom_postings_memo", default=None
)


@contextmanager
def postings_memo() -> Iterator[None]:
    """Within it (one search), a term's postings are read from the index once: counting
    (here) and ranking (index_rank.py) share them. Per thread (a ContextVar), per search."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def term_blocks(reader: Any, fieldname: str, btext: bytes) -> Blocks:
    """One term's postings in `reader` (a segment) as (ids, weights) blocks."""
    memo = _MEMO.get()
    key = (id(reader), fieldname, btext)
    if memo is not None and (found := memo.get(key)) is not None:
        return found
    found = [(ids, ws) for ids, ws, _ in blocks(reader.postings(fieldname, btext), weights=True)]
    if memo is not None:
        memo[key] = found
    return found


def _term_ids(reader: Any, fieldname: str, text: Any) -> set[int]:
    if fieldname not in reader.schema:
        return set()
    btext = text if isinstance(text, bytes) else reader.schema[fieldname].to_bytes(text)
    if (fieldname, btext) not in reader:
        return set()
    ids: set[int] = set()
    for block, _ in term_blocks(reader, fieldname, btext):
        ids.update(block)
    return ids


def _unwrap(matcher: Any) -> Any:
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    return matcher


DECODED_LIMIT = 100_000  # distinct position values remembered (~13 MB at most); then start over
_DECODED: dict[bytes, list[int]] = {}


def _decode_positions(value: bytes) -> list[int]:
    """Whoosh's Positions.decode_positions (frequency, then pickled deltas), without the loop.
    Values repeat across pages (one word at position 12 is the same bytes on every page), so
    decoded ones are remembered; callers must not change the list."""
    found = _DECODED.get(value)
    if found is None:
        if len(_DECODED) >= DECODED_LIMIT:
            _DECODED.clear()
        # the index's own postings, which Whoosh unpickles the same way
        raw = value[4:] if value.endswith(b".") else value[4:] + b"."
        found = _DECODED[value] = list(accumulate(loads(raw)))  # noqa: S301
    return found


def _term_values(reader: Any, fieldname: str, btext: bytes) -> dict[int, Any]:
    """One term's postings as {docnum: encoded positions}, read once (a block at a time; the
    positions are decoded later, for the candidate documents only)."""
    if fieldname not in reader.schema or (fieldname, btext) not in reader:
        return {}
    out: dict[int, Any] = {}
    for ids, _, values in blocks(reader.postings(fieldname, btext), values=True):
        out.update(zip(ids, values, strict=True))
    return out


def _decoder(reader: Any, fieldname: str) -> Callable[[Any], list[int]]:
    fmt = reader.schema[fieldname].format
    return _decode_positions if type(fmt) is Positions else fmt.decode_positions  # type: ignore[no-any-return]


def _candidates(maps: list[dict[int, Any]]) -> set[int]:
    """The documents in every map (smallest first)."""
    ordered = sorted(maps, key=len)
    found = set(ordered[0])
    for other in ordered[1:]:
        if not found:
            break
        found.intersection_update(other.keys())
    return found


def _phrase_ids(reader: Any, query: wq.Phrase) -> set[int]:
    """Documents with the words at consecutive positions: the documents with every word, then
    the positions of those documents only."""
    field = reader.schema[query.fieldname]
    btexts = [field.to_bytes(w) for w in query.words]
    if len(btexts) < 2:
        return set(_term_values(reader, query.fieldname, btexts[0])) if btexts else set()
    maps = [_term_values(reader, query.fieldname, t) for t in btexts]
    candidates = _candidates(maps)
    if not candidates:
        return candidates
    decode = _decoder(reader, query.fieldname)
    first, rest = maps[0], maps[1:]
    if len(rest) == 1:  # two terms (a three-word phrase as pairs): the common case
        second = rest[0]
        return {
            d
            for d in candidates
            if not set(decode(second[d])).isdisjoint([p + 1 for p in decode(first[d])])
        }
    out: set[int] = set()
    for doc in candidates:
        others = [set(decode(m[doc])) for m in rest]
        if any(all(p + k in r for k, r in enumerate(others, 1)) for p in decode(first[doc])):
            out.add(doc)
    return out


def _spaced_ids(reader: Any, units: tuple[Unit, ...]) -> set[int]:
    """Documents with every unit's term at its offset from the others (a SpacedPhrase): the
    documents with every term, then the positions of those documents only."""
    keyed = []
    for field, text, offset in units:
        if field not in reader.schema:
            return set()
        keyed.append((field, reader.schema[field].to_bytes(text), offset))
    maps = [_term_values(reader, f, t) for f, t, _ in keyed]
    candidates = _candidates(maps)
    if not candidates:
        return candidates
    decoders = [_decoder(reader, f) for f, _, _ in keyed]
    start = keyed[0][2]
    first, first_decode = maps[0], decoders[0]
    rest = list(zip(maps[1:], decoders[1:], [o - start for _, _, o in keyed[1:]], strict=True))
    out: set[int] = set()
    for doc in candidates:
        others = [(set(decode(m[doc])), k) for m, decode, k in rest]
        if any(all(p + k in r for r, k in others) for p in first_decode(first[doc])):
            out.add(doc)
    return out


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
