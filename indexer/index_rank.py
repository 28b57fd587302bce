"""Rank the pages a query matched by BM25, the way Whoosh does, without its matcher tree.

Whoosh scores a match through a collector, a tree of matchers and a scorer object per term
(about 8-10 µs per matching page). The matching pages are already known exactly (the set from
indexer/index_docsets.py), so for the common query shapes (terms under AND / OR, NOT parts
unscored) each term's postings, read once per search and shared with the matching, add their
BM25 contribution to the pages that matched, in numpy: Whoosh's formula, statistics (idf,
average field length) and field lengths, summed over the matched terms as Whoosh's AND/OR
matchers sum them; ties in index order. Prefixes, fuzzy words and ranges score as the OR of the
words they expand to, as in Whoosh. Other shapes (boosts, NOT under OR) return None: Whoosh
ranks those.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh import query as wq
from whoosh.codec.whoosh3 import _lenfield
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from indexer.index_cache import segment_data
from indexer.index_postings import column_lengths
from indexer.index_term_postings import term_postings
from indexer.index_terms import SpacedPhrase


def _terms(
    reader: Any,
    query: wq.Query,
    out: list[tuple[str, str, Any]],
    constant: list[float],
    required: bool = True,
) -> bool:
    """Collect the scored terms of `query` as ("term", field, text); `constant` gets what every
    match scores from NOT parts. False when the shape is not handled here. `required`: every
    match of the whole query matches this part (it is reached through ANDs only)."""
    if isinstance(query, wq.Term):
        if query.boost != 1.0:
            return False
        out.append(("term", query.fieldname, query.text))
        return True
    if isinstance(query, wq.MultiTerm):
        if query.boost != 1.0:
            return False
        # Whoosh scores a prefix, fuzzy word or range as the OR of the words it expands to
        # (whatever its `constantscore`), so a page scores the sum of the words it holds
        out.extend(("term", query.fieldname, w) for w in query._btexts(reader) if w)
        return True
    if isinstance(query, wq.AndNot):
        return _terms(reader, query.a, out, constant, required)
    if isinstance(query, SpacedPhrase):  # a phrase scores as the AND of its terms
        return _terms(reader, query.child, out, constant, required)
    if isinstance(query, (wq.And, wq.Or)) and not isinstance(query, (wq.AndMaybe,)):
        if query.boost != 1.0 or getattr(query, "minmatch", 0) or getattr(query, "scale", None):
            return False
        inner = required and isinstance(query, wq.And)
        for sub in query.subqueries:
            if isinstance(sub, wq.Not):
                if not inner:
                    return False
                constant.append(sub.boost)  # Whoosh scores a NOT part as its boost
                continue
            if not _terms(reader, sub, out, constant, inner):
                return False
        return True
    return False


def field_lengths(segment: Any, fieldname: str) -> Sequence[int] | None:
    """Every document's length in `fieldname` in one segment reader, decoded once per process
    from its lengths column (index_cache.py); None when the segment has no such column. Whoosh
    reads them through a column reader for every scored document."""
    perdoc = getattr(segment, "_perdoc", None)
    return segment_data(
        segment, _lenfield(fieldname), "lengths", lambda: column_lengths(perdoc, fieldname)
    )


def _bm25_lengths(sub: Any, fieldname: str) -> NDArray[np.float64]:
    """`field_lengths` of one segment as BM25 uses them (a missing or 0 length reads as 1, as
    `doc_field_length(docnum, field, 1)` gives), as an array (kept per process, or on the
    segment's searcher when the segment has no lengths column)."""
    reader = sub.reader()
    count = reader.doc_count_all()
    values = field_lengths(reader, fieldname)
    if values is None:  # no lengths column to read: ask the segment, one document at a time
        cache: dict[str, NDArray[np.float64]] = sub.__dict__.setdefault("_chartroom_bm25", {})
        found = cache.get(fieldname)
        if found is None:
            length = sub.doc_field_length
            found = cache[fieldname] = np.fromiter(
                (length(d, fieldname, 1) or 1 for d in range(count)), np.float64
            )
        return found

    def build() -> NDArray[np.float64]:
        out = np.ones(count, dtype=np.float64)
        known = np.asarray(values[:count], dtype=np.float64)
        out[: known.size] = np.where(known > 0, known, 1.0)
        return out

    return segment_data(reader, _lenfield(fieldname), "bm25", build)


def top_docs(
    searcher: Searcher, query: wq.Query, docnums: Sequence[int] | NDArray[np.int64], limit: int
) -> list[tuple[int, float]] | None:
    """The best `limit` of `docnums` (global numbers) as (docnum, score), or None (use Whoosh).

    Scores are summed in numpy per segment, term by term in the same order and with the same
    float64 arithmetic as Whoosh's Python, so they are the same numbers."""
    terms: list[tuple[str, str, Any]] = []
    constant: list[float] = []
    weighting = searcher.weighting
    if (
        type(weighting) is not BM25F
        or weighting._field_B
        or not _terms(searcher.reader(), query, terms, constant)
    ):
        return None
    schema = searcher.schema
    wanted = np.asarray(docnums, dtype=np.int64)
    all_docs: list[NDArray[np.int64]] = []
    all_scores: list[NDArray[np.float64]] = []
    for sub, offset in searcher.leaf_searchers():
        reader = sub.reader()
        count = reader.doc_count_all()
        local = wanted[(wanted >= offset) & (wanted < offset + count)] - offset
        if not local.size:
            continue
        member = np.zeros(count, dtype=bool)
        member[local] = True
        scores = np.zeros(count, dtype=np.float64)
        scores[local] = float(sum(constant))
        for _, fieldname, text in terms:
            if fieldname not in schema:
                continue
            field = schema[fieldname]
            btext = text if isinstance(text, bytes) else field.to_bytes(text)
            if (fieldname, btext) not in reader:
                continue
            if field.scorable:
                idf = searcher.idf(fieldname, btext)
                avgfl = searcher.avg_field_length(fieldname) or 1
                k1, b = weighting.K1, weighting.B
                norm = k1 * (1 - b)
                per_length = k1 * b / avgfl
                lengths = _bm25_lengths(sub, fieldname)
            postings = term_postings(reader, fieldname, btext)
            ids = postings.ids
            keep = member[ids]
            block = ids[keep]
            if not block.size:
                continue
            tf = postings.weight_array[keep]
            if field.scorable:
                fl = lengths[block]
                scores[block] += idf * ((tf * (k1 + 1)) / (tf + norm + per_length * fl))
            else:
                scores[block] += tf
        all_docs.append(local + offset)
        all_scores.append(scores[local])
    if not all_docs:
        return []
    docs = np.concatenate(all_docs)
    values = np.concatenate(all_scores)
    if docs.size > limit:  # keep every page tied with the limit-th score, then order exactly
        cut = np.partition(-values, limit - 1)[limit - 1]
        near = -values <= cut
        docs, values = docs[near], values[near]
    order = np.lexsort((docs, -values))[:limit]
    return [(int(docs[i]), float(values[i])) for i in order]
