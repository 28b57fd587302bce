"""Extra index terms that make two slow kinds of query cheap: word pairs and coarse dates.

- **Common grams** (`pairs` field, Lucene's CommonGrams idea): two adjacent folded words as one
  term "shortness of", but only when at least one of them is a common word (`COMMON`, the stop
  list the stemmed analyzer drops). Common words are where a phrase over single words is slow
  (every position of "of" decoded); a pair holding one is rare and short. A phrase becomes
  `phrase_units`: its pair terms where it has common words, its plain `exact` words elsewhere,
  each at its offset in the phrase, matched on the pages holding them all and checked by
  position (`SpacedPhrase`, indexer/index_docsets.py). A phrase without a common word is a plain
  positional phrase over `exact`. Indexing every pair (schema 2) tripled the index for terms
  93% of which occur on one page.
- **Year and month terms** (`date`, `admitted`, `discharged`, `dob`): beside each day
  "2019-03-14" the field holds "m2019-03" and "y2019", so `date:2017` is one term and a range
  becomes whole years + whole months + edge days (a handful of term ranges) instead of one term
  per distinct day. Prefixed terms sort after every day ("m", "y" > digits), so a range over days
  never picks them up.
"""

from __future__ import annotations

import calendar
import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from whoosh import query as wq
from whoosh.analysis import Filter, StopFilter, Token
from whoosh.matching.wrappers import FilterMatcher

PAIR_SEP = " "
COMMON: frozenset[str] = frozenset(StopFilter(minsize=1).stops)  # "of", "the", "and", ...
Unit = tuple[str, str, int]  # (field, term, offset of the term's position in the phrase)
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PairFilter(Filter):  # type: ignore[misc]
    """Each token after the first becomes "previous this" (at this token's position)."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        previous: str | None = None
        for token in tokens:
            text = token.text
            if previous is not None:
                token.text = previous + PAIR_SEP + text
                yield token
            previous = text


class CommonPairFilter(Filter):  # type: ignore[misc]
    """Each token after the first becomes "previous this" (at this token's position) when
    either word is common; other tokens are dropped."""

    def __init__(self, common: frozenset[str] = COMMON) -> None:
        self.common = common

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        common = self.common
        previous: str | None = None
        for token in tokens:
            text = token.text
            if previous is not None and (previous in common or text in common):
                token.text = previous + PAIR_SEP + text
                yield token
            previous = text


def pair_terms(words: list[str]) -> list[str]:
    """The pair terms of consecutive folded words (n-1 of them)."""
    return [a + PAIR_SEP + b for a, b in itertools.pairwise(words)]


def phrase_units(words: list[str]) -> list[Unit]:
    """What an exact phrase of folded words is matched by: a `pairs` term for each adjacent pair
    with a common word (at the offset of its second word), and an `exact` term for each word no
    such pair covers; in offset order."""
    units: list[Unit] = []
    covered = [False] * len(words)
    for i, (a, b) in enumerate(itertools.pairwise(words)):
        if a in COMMON or b in COMMON:
            units.append(("pairs", a + PAIR_SEP + b, i + 1))
            covered[i] = covered[i + 1] = True
    units.extend(("exact", w, i) for i, w in enumerate(words) if not covered[i])
    return sorted(units, key=lambda u: (u[2], u[0]))


class SpacedPhrase(wq.WrappingQuery):  # type: ignore[misc]
    """Terms of several fields at fixed offsets from one another (`units`): the pages where all
    of them occur at those offsets. `child` is the AND of the terms (what scores a match)."""

    def __init__(self, child: wq.Query, units: tuple[Unit, ...]) -> None:
        super().__init__(child)
        self.units = units

    @classmethod
    def of(cls, units: list[Unit]) -> SpacedPhrase:
        return cls(wq.And([wq.Term(f, t) for f, t, _ in units]), tuple(units))

    def __repr__(self) -> str:
        return f"SpacedPhrase({self.units!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.units == self.units  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.units)

    def _rewrap(self, child: wq.Query) -> SpacedPhrase:
        return type(self)(child, self.units)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """The AND of the terms, kept to the pages where they are at their offsets."""
        from indexer.index_docsets import matching_docnums  # an import cycle otherwise

        ids = set(matching_docnums(searcher, self).tolist())
        return FilterMatcher(self.child.matcher(searcher, context), ids)


def phrase_query(words: list[str]) -> wq.Query:
    """An exact phrase of folded words: a term, a positional phrase over one field when its
    terms are consecutive there, else a `SpacedPhrase` over pairs and words."""
    if len(words) == 1:
        return wq.Term("exact", words[0])
    units = phrase_units(words)
    fields = {f for f, _, _ in units}
    if len(units) == 1:
        return wq.Term(units[0][0], units[0][1])
    offsets = [o for _, _, o in units]
    if len(fields) == 1 and offsets == list(range(offsets[0], offsets[0] + len(units))):
        return wq.Phrase(units[0][0], [t for _, t, _ in units])
    return SpacedPhrase.of(units)


def loose_terms(words: list[str]) -> wq.Query:
    """The terms of an exact phrase, AND-ed without positions (ranking matched pages)."""
    units = phrase_units(words)
    terms = [wq.Term(f, t) for f, t, _ in units]
    return terms[0] if len(terms) == 1 else wq.And(terms)


# --- dates -------------------------------------------------------------------------------


def date_terms(days: Iterable[str]) -> str:
    """The field value of some ISO days: each day, its month ("m2019-03") and year ("y2019")."""
    out: set[str] = set()
    for day in days:
        out.add(day)
        if _ISO_DAY.match(day):
            out.add("m" + day[:7])
            out.add("y" + day[:4])
    return " ".join(sorted(out))


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _after(day: date) -> date | None:
    return None if day == date.max else day + timedelta(days=1)


def _month(day: date) -> str:
    return f"m{day.year:04d}-{day.month:02d}"


def date_range_query(field: str, start: date | None, end: date | None) -> wq.Query:
    """Days from `start` to `end` (both included; None: open) as year, month and day ranges."""
    cursor: date | None = start or date.min
    last = end or date.max
    parts: list[wq.Query] = []
    while cursor is not None and cursor <= last:
        if cursor.month == 1 and cursor.day == 1 and date(cursor.year, 12, 31) <= last:
            to_year = last.year if (last.month, last.day) == (12, 31) else last.year - 1
            parts.append(wq.TermRange(field, f"y{cursor.year:04d}", f"y{to_year:04d}"))
            cursor = _after(date(to_year, 12, 31))
        elif cursor.day == 1 and _month_end(cursor) <= last:
            if last.year > cursor.year:
                to = date(cursor.year, 12, 31)
            else:
                to = last if last == _month_end(last) else last.replace(day=1) - timedelta(days=1)
            parts.append(wq.TermRange(field, _month(cursor), _month(to)))
            cursor = _after(_month_end(to))
        else:
            to = min(last, _month_end(cursor))
            parts.append(wq.TermRange(field, cursor.isoformat(), to.isoformat()))
            cursor = _after(to)
    return parts[0] if len(parts) == 1 else wq.Or(parts)
