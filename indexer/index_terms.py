"""Extra index terms that make two slow kinds of query cheap: word pairs and coarse dates.

- **Word pairs** (`pairs` field): every two adjacent folded words of the page text, as one term
  "shortness of". An exact phrase of two words is then one term (no positions to check), and a
  longer phrase is a positional phrase over its pairs, whose posting lists are short and whose
  positions are few (a phrase over the words themselves decodes every position of "of").
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

from whoosh import query as wq
from whoosh.analysis import Filter, Token

PAIR_SEP = " "
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


def pair_terms(words: list[str]) -> list[str]:
    """The `pairs` terms of consecutive folded words (n-1 of them)."""
    return [a + PAIR_SEP + b for a, b in itertools.pairwise(words)]


def phrase_query(words: list[str]) -> wq.Query:
    """An exact phrase of folded words: a term, a pair term, or a phrase over pairs."""
    if len(words) == 1:
        return wq.Term("exact", words[0])
    pairs = pair_terms(words)
    return wq.Term("pairs", pairs[0]) if len(pairs) == 1 else wq.Phrase("pairs", pairs)


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
