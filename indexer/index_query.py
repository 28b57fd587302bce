"""Turn a parsed clerk query (indexer/query.py) into a Whoosh query, and mark hit words in text.

Free words search the stemmed page text; phrases, prefixes (`cardio*`) and fuzzy words
(`diabetis~`) the unstemmed, folded copy. Restrictions to allowed documents or patients are
AND-ed into the query itself, so totals and facet counts only ever count what may be seen.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from whoosh import query as wq

from indexer import query as q
from indexer.index_schema import EXACT, STEMMED, TOKENS, fold
from indexer.index_terms import PAIR_SEP, date_range_query, loose_terms, phrase_query

TOKEN_PATTERN = re.compile(TOKENS)
NOTHING: wq.Query = wq.NullQuery


@dataclass(frozen=True)
class Restriction:
    """What a user may see: documents listed, or any document of a listed patient.

    `None` for both means no restriction. An empty set allows nothing.
    """

    documents: frozenset[int] | None = None
    patients: frozenset[int] | None = None

    @property
    def unrestricted(self) -> bool:
        return self.documents is None and self.patients is None

    def allows(self, document_id: int, patient_id: int | None) -> bool:
        if self.unrestricted:
            return True
        if self.documents is not None and document_id in self.documents:
            return True
        return self.patients is not None and patient_id is not None and patient_id in self.patients


def _all(queries: Iterable[wq.Query]) -> wq.Query | None:
    items = [x for x in queries if x is not None]
    if not items:
        return None
    return items[0] if len(items) == 1 else wq.And(items)


def _words(node: q.Words) -> wq.Query | None:
    exact = fold(node.text)
    if node.field == "patient":
        name: wq.Query | None
        if node.prefix:
            name = (
                _all(
                    [wq.Term("patient_name", t) for t in exact[:-1]]
                    + [wq.Prefix("patient_name", exact[-1])]
                )
                if exact
                else None
            )
            mrn: wq.Query = wq.Prefix("mrn", node.text.upper())
        else:
            name = _all(
                wq.FuzzyTerm("patient_name", t, maxdist=node.fuzzy, prefixlength=1)
                if node.fuzzy
                else wq.Term("patient_name", t)
                for t in exact
            )
            mrn = wq.Term("mrn", node.text.strip().upper())
        return wq.Or([mrn, name]) if name is not None else mrn
    field = "dx_text" if node.field == "dx" else "exact"
    if not exact:
        return None
    if node.prefix:
        return (
            _all(
                [wq.Term(field, t) for t in fold(node.text, STEMMED)[:-1]]
                + [wq.Prefix(field, exact[-1])]
            )
            if field == "dx_text"
            else _all([wq.Term(field, t) for t in exact[:-1]] + [wq.Prefix(field, exact[-1])])
        )
    if node.fuzzy:
        return _all(wq.FuzzyTerm(field, t, maxdist=node.fuzzy, prefixlength=1) for t in exact)
    if len(exact) > 1 and field == "exact":  # "c-reactive", "I50.22/N18.3": keep the order
        return phrase_query(exact)
    stems = fold(node.text, STEMMED)
    return _all(wq.Term("text" if field == "exact" else field, t) for t in stems)


def _phrase(node: q.Phrase) -> wq.Query | None:
    if node.field == "patient":
        words = fold(node.text)
        name = (
            wq.Phrase("patient_name", words)
            if len(words) > 1
            else (wq.Term("patient_name", words[0]) if words else None)
        )
        mrn = wq.Term("mrn", node.text.strip().upper())
        return wq.Or([mrn, name]) if name is not None else mrn
    field, analyzer = ("dx_text", STEMMED) if node.field == "dx" else ("exact", EXACT)
    words = fold(node.text, analyzer)
    if not words:
        return None
    if field == "exact":
        return phrase_query(words)
    return wq.Term(field, words[0]) if len(words) == 1 else wq.Phrase(field, words)


def translate(node: q.Node, *, loose: bool = False) -> wq.Query:
    """The Whoosh query for a parsed clerk query (NullQuery when nothing can match).

    `loose` turns phrases into their terms (AND, index_terms.py `phrase_units`): cheap to
    score, used to rank documents that the exact query already matched (no positions).
    """
    out = _translate(node, loose)
    return NOTHING if out is None else out


def has_phrase(node: q.Node) -> bool:
    if isinstance(node, q.Phrase):
        return True
    if isinstance(node, (q.And, q.Or)):
        return any(has_phrase(i) for i in node.items)
    if isinstance(node, q.Not):
        return has_phrase(node.item)
    return False


def _translate(node: q.Node, loose: bool = False) -> wq.Query | None:
    if isinstance(node, q.Words):
        return _words(node)
    if isinstance(node, q.Phrase):
        if loose and node.field == "dx":
            return _all(wq.Term("dx_text", t) for t in fold(node.text, STEMMED))
        if loose and node.field != "patient":  # its terms, no positions
            words = fold(node.text, EXACT)
            if len(words) < 2:
                return _phrase(node)
            return loose_terms(words)
        return _phrase(node)
    if isinstance(node, q.Code):
        return wq.Prefix("dx", node.prefix)
    if isinstance(node, q.Types):
        return wq.Or([wq.Term("type", name) for name in node.names])
    if isinstance(node, q.DateRange):
        return date_range_query(node.field, node.start, node.end)
    if isinstance(node, q.Filed):
        return wq.Term("filed", "yes" if node.value else "no")
    if isinstance(node, q.Not):
        if loose:  # ranking only: the exact query's matches already exclude these
            return None
        inner = _translate(node.item, loose)
        return None if inner is None else wq.Not(inner)
    if isinstance(node, q.And):
        parts = [p for p in (_translate(i, loose) for i in node.items) if p is not None]
        if not parts or not any(not isinstance(p, wq.Not) for p in parts):
            return None  # only stop words were left beside the NOTs: nothing to find
        return parts[0] if len(parts) == 1 else wq.And(parts)
    if isinstance(node, q.Or):
        parts = [p for p in (_translate(i, loose) for i in node.items) if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else wq.Or(parts)
    raise TypeError(f"unknown query node {type(node).__name__}")


def restrict(query: wq.Query, restriction: Restriction | None) -> wq.Query:
    """`query` AND (an allowed document OR a document of an allowed patient)."""
    if restriction is None or restriction.unrestricted:
        return query
    allowed: list[wq.Query] = []
    if restriction.documents:
        allowed.extend(wq.Term("document_id", str(d)) for d in sorted(restriction.documents))
    if restriction.patients:
        allowed.extend(wq.Term("patient_id", str(p)) for p in sorted(restriction.patients))
    if not allowed:
        return NOTHING
    return wq.And([query, wq.Or(allowed)])


# --- marking the words that were hit ----------------------------------------------------


@dataclass(frozen=True)
class HitTerms:
    """The index terms a query matched: stemmed (page text, diagnoses) and exact (folded)."""

    stemmed: frozenset[str]
    exact: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.stemmed or self.exact)

    def matches_word(self, word: str) -> bool:
        for match in TOKEN_PATTERN.finditer(word):
            folded, stem = _forms(match.group())
            if folded in self.exact or (stem and stem in self.stemmed):
                return True
        return False


def hit_terms(terms: Collection[tuple[str, bytes | str]]) -> HitTerms:
    stemmed: set[str] = set()
    exact: set[str] = set()
    for field, raw in terms:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        if field in ("text", "dx_text"):
            stemmed.add(text)
        elif field in ("exact", "patient_name"):
            exact.add(text)
        elif field == "pairs":
            exact.update(text.split(PAIR_SEP))
    return HitTerms(frozenset(stemmed), frozenset(exact))


FORMS_LIMIT = 200_000  # distinct tokens remembered; then start over


class _Forms(dict[str, tuple[str, str]]):
    """token -> (folded, stemmed) index forms ("" for a stop word's stem), each worked out once."""

    def __missing__(self, word: str) -> tuple[str, str]:
        if len(self) >= FORMS_LIMIT:
            self.clear()
        exact = fold(word)
        stems = fold(word, STEMMED)
        found = self[word] = (exact[0] if exact else "", stems[0] if stems else "")
        return found


_FORMS = _Forms()
_forms = _FORMS.__getitem__


def marks(text: str, terms: HitTerms) -> list[tuple[int, int]]:
    """Character spans of the words in `text` that the query hit, in order, not overlapping.

    Tokenises like the index analyzers (same pattern) with the token forms cached, so marking a
    page costs about a dictionary lookup per word.
    """
    if not terms:
        return []
    exact, stemmed, forms = terms.exact, terms.stemmed, _FORMS
    out: list[tuple[int, int]] = []
    for match in TOKEN_PATTERN.finditer(text):
        folded, stem = forms[match.group()]
        if folded in exact or (stem and stem in stemmed):
            out.append(match.span())
    return out
