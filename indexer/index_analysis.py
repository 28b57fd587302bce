"""Fast index-time analysis of page text: one tokenisation pass feeding every folding field.

Whoosh analyses a value once per field, through a chain of generator filters that touch a Token
object per word (about 2.5 ms per page for `text` + `exact`, more with `pairs`). The analyzers of
indexer/index_schema.py stay plain Whoosh chains (queries, highlighting and `fold()` use them
unchanged); the index writer (indexer/index_writer.py) recognises them (`fast_kind`) and asks
this module for the terms of a value instead, analysing it once for all its fields:

    words = analyse(value, pattern)   # [(folded word, stem or None for a stop word), ...]
    frequencies(words, kind)          # {term: count}            (Frequency format fields)
    positions(words, kind)            # {term: [pos, ...]}       (Positions format fields)

The result is identical to Whoosh's chain (tests/test_index_build.py compares them posting by
posting): the same regex, `str.lower`, `accent_map`, stop list and stemmer, and the stop filter's
renumbering of positions. Each distinct raw word is folded and stemmed once (a bounded cache).
"""

from __future__ import annotations

import re
from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    CompositeAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

from indexer.index_terms import COMMON, PAIR_SEP, CommonPairFilter

Word = tuple[str, str | None]  # (folded word, its stem; None when it is a stop word)

CACHE_LIMIT = 300_000  # distinct raw words remembered (~60 MB at most); then start over


def fast_kind(analyzer: Any) -> tuple[str, str] | None:
    """(tokens pattern, "exact" | "stemmed" | "common_pairs") when `analyzer` is one of the
    chains `analyse()` reproduces (index_schema's EXACT, STEMMED and EXACT | CommonPairFilter
    over the stop list), else None (Whoosh's own analysis then runs: slower, same terms).
    Checked on the analyzers of the schema as stored in the index (unpickled copies)."""
    items = list(getattr(analyzer, "items", ()))
    if not isinstance(analyzer, CompositeAnalyzer) or len(items) < 3:
        return None
    head, tail = items[:3], items[3:]
    if [type(i) for i in head] != [RegexTokenizer, LowercaseFilter, CharsetFilter]:
        return None
    tokenizer, charset = head[0], head[2]
    if tokenizer.gaps or charset.charmap != accent_map:
        return None
    pattern = str(tokenizer.expression.pattern)
    if not tail:
        return pattern, "exact"
    if len(tail) == 1 and type(tail[0]) is CommonPairFilter and tail[0].common == _STOPS:
        return pattern, "common_pairs"  # a common word is a word without a stem (stop word)
    if [type(i) for i in tail] == [StopFilter, StemFilter]:
        stop, stemmer = tail
        if (
            stop.min == 1
            and stop.max is None
            and stop.renumber
            and stop.stops == _STOPS
            and stemmer.stemfn is stem
            and not stemmer.ignore
            and stemmer.lang is None
        ):
            return pattern, "stemmed"
    return None


_STOPS = StopFilter(minsize=1).stops
assert _STOPS == COMMON  # common_pairs tells a common word by its missing stem
_PATTERNS: dict[str, _Words] = {}


class _Words(dict[str, Word]):
    """raw word -> (folded, stem or None): filled on first sight (`__missing__`)."""

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.findall = re.compile(pattern).findall

    def __missing__(self, raw: str) -> Word:
        if len(self) >= CACHE_LIMIT:
            self.clear()
        folded = raw.lower().translate(accent_map)
        word: Word = (folded, None if (not folded or folded in _STOPS) else stem(folded))
        self[raw] = word
        return word


def analyse(value: str, pattern: str) -> list[Word]:
    """The words of `value` in order: (folded, stem or None for stop words and empties)."""
    words = _PATTERNS.get(pattern)
    if words is None:
        words = _PATTERNS[pattern] = _Words(pattern)
    return list(map(words.__getitem__, words.findall(value)))


def frequencies(words: list[Word], kind: str) -> dict[str, int]:
    """Term -> count, as Whoosh's Frequency format counts the analyzer's tokens."""
    if kind == "common_pairs":
        return {t: len(p) for t, p in positions(words, kind).items()}
    counts: dict[str, int] = {}
    get = counts.get
    if kind == "stemmed":
        for _, term in words:
            if term is not None:
                counts[term] = get(term, 0) + 1
    else:
        for term, _ in words:
            counts[term] = get(term, 0) + 1
    return counts


def positions(words: list[Word], kind: str) -> dict[str, list[int]]:
    """Term -> positions, as Whoosh's Positions format records them. With stop words removed,
    StopFilter renumbers: the first kept word keeps its position, the next ones follow it.
    A pair ("previous this") is at the position of its second word; "common_pairs" keeps the
    pairs with a stop word (a word analysed without a stem) on either side."""
    found: dict[str, list[int]] = {}
    get = found.get
    if kind == "common_pairs":
        previous, previous_common = "", False
        for index, (word, stemmed) in enumerate(words):
            common = stemmed is None
            if index and (common or previous_common):
                term = previous + PAIR_SEP + word
                seen = get(term)
                if seen is None:
                    found[term] = [index]
                else:
                    seen.append(index)
            previous, previous_common = word, common
    elif kind == "stemmed":
        pos = -1
        for index, (_, stemmed) in enumerate(words):
            if stemmed is None:
                continue
            term = stemmed
            pos = index if pos < 0 else pos + 1
            seen = get(term)
            if seen is None:
                found[term] = [pos]
            else:
                seen.append(pos)
    else:
        for index, (term, _) in enumerate(words):
            seen = get(term)
            if seen is None:
                found[term] = [index]
            else:
                seen.append(index)
    return found
