"""The clerk query language: parse a query string into a small, engine-neutral tree.

    heart failure   both words (AND is implied);   "heart failure"   the exact phrase
    furosemide OR lasix, NOT pneumonia  (AND, OR, NOT in capitals; -word is NOT word)
    diabetis~ (fuzzy: 1 or 2 letters off)   cardio* (words starting "cardio", 3+ letters)
    patient:00123456  patient:brindlemoor  patient:"Orla Brindlemoor"
    type:discharge_summary  type:discharge  type:"discharge summary"
    dx:C50  dx:I50.2*  dx:diabetes  dx:"breast cancer"
    date:2019  date:2019-03  date:2019-01-01..2019-06-30  date:..2018-12-31  date:03/14/2019
    admitted:2019-03  discharged:2019  dob:1952-07-09  filed:no

Only these fields exist: anything else, a leading or inner wildcard, a bare `*`, an unbalanced
parenthesis or quote, a dangling operator, control characters or an over-long query raise
`QueryError` with a message that says what to fix. Nothing here touches the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Union

from chartroom.errors import QueryError

FIELDS = ("patient", "type", "dx", "date", "admitted", "discharged", "dob", "filed")
DATE_FIELDS = ("date", "admitted", "discharged", "dob")
DOCUMENT_TYPES = (
    "discharge_summary",
    "history_and_physical",
    "progress_note",
    "operative_report",
    "pathology_report",
    "radiology_report",
    "laboratory_report",
    "consultation",
    "consent_form",
    "correspondence",
    "other",
)
TYPE_ALIASES = {
    "h&p": "history_and_physical",
    "hp": "history_and_physical",
    "h_and_p": "history_and_physical",
    "lab": "laboratory_report",
    "labs": "laboratory_report",
    "path": "pathology_report",
    "op": "operative_report",
    "letter": "correspondence",
    "consult": "consultation",
    "consent": "consent_form",
}
MAX_CLAUSES, MIN_PREFIX = 64, 3
CODE = re.compile(r"^[A-Z]\d[0-9A-Z]?(?:\.[0-9A-Z]{0,4})?$")
FIELD_NAME = re.compile(r"^([A-Za-z_]+):(.*)$", re.S)


# --- the tree ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """Words to find in `field` ("" = the page text; "patient", "dx"); one word may be fuzzy
    (`fuzzy` = edits allowed) or a prefix."""

    field: str
    text: str
    fuzzy: int = 0
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    field: str  # "" (page text), "patient" or "dx"
    text: str


@dataclass(frozen=True)
class Code:
    """ICD-10-CM code or code prefix (upper case, with its dot): `dx:C50`, `dx:I50.2*`."""

    prefix: str


@dataclass(frozen=True)
class Types:
    names: tuple[str, ...]


@dataclass(frozen=True)
class DateRange:
    field: str  # date, admitted, discharged, dob
    start: date | None  # inclusive; None: open
    end: date | None


@dataclass(frozen=True)
class Filed:
    value: bool  # filed:yes / filed:no


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Union[Words, Phrase, Code, Types, DateRange, Filed, And, Or, Not]  # noqa: UP007


# --- tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(", ")", "AND", "OR", "NOT", "term", "phrase"
    text: str = ""
    field: str = ""
    position: int = 0


def _tokens(query: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch in "()":
            out.append(_Tok(ch, position=i))
            i += 1
        elif ch == "-" and i + 1 < n and not query[i + 1].isspace() and query[i + 1] != "-":
            out.append(_Tok("NOT", position=i))
            i += 1
        elif ch == '"':
            end = query.find('"', i + 1)
            if end < 0:
                raise QueryError(f"a quote opened at character {i + 1} is never closed")
            out.append(_Tok("phrase", query[i + 1 : end], position=i))
            i = end + 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in '()"':
                j += 1
            word = query[i:j]
            field_match = FIELD_NAME.match(word)
            if field_match and not field_match.group(1).isdigit():
                name = field_match.group(1).lower()
                if name not in FIELDS:
                    raise QueryError(
                        f"there is no field '{field_match.group(1)[:30]}'; the fields are "
                        + ", ".join(f"{f}:" for f in FIELDS)
                    )
                rest = field_match.group(2)
                if not rest and j < n and query[j] == '"':
                    end = query.find('"', j + 1)
                    if end < 0:
                        raise QueryError(f"a quote opened at character {j + 1} is never closed")
                    out.append(_Tok("phrase", query[j + 1 : end], name, i))
                    i = end + 1
                    continue
                if not rest:
                    raise QueryError(f"'{name}:' needs a value right after the colon")
                out.append(_Tok("term", rest, name, i))
            elif word in ("AND", "&&"):
                out.append(_Tok("AND", position=i))
            elif word in ("OR", "||"):
                out.append(_Tok("OR", position=i))
            elif word == "NOT":
                out.append(_Tok("NOT", position=i))
            else:
                out.append(_Tok("term", word, "", i))
            i = j
    return out


# --- the parser --------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.i = 0
        self.clauses = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            raise QueryError(f"unexpected ')' at character {tok.position + 1}: no '(' opens it")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in (")", "OR", "AND"):  # type: ignore[union-attr]
                raise QueryError("OR needs something on both sides")
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.unary()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", ")"):
            if tok.kind == "AND":
                self.take()
                nxt = self.peek()
                if nxt is None or nxt.kind in (")", "OR", "AND"):
                    raise QueryError("AND needs something on both sides")
            items.append(self.unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError("the query ends where a word was expected")
        if tok.kind == "NOT":
            self.take()
            if self.peek() is None or self.peek().kind in (")", "OR", "AND"):  # type: ignore[union-attr]
                raise QueryError("NOT needs a word, phrase or field after it")
            return Not(self.unary())
        if tok.kind in ("AND", "OR"):
            raise QueryError(f"{tok.kind} at character {tok.position + 1} has nothing before it")
        if tok.kind == "(":
            self.take()
            if self.peek() is not None and self.peek().kind == ")":  # type: ignore[union-attr]
                raise QueryError("empty parentheses")
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError(f"the '(' at character {tok.position + 1} is never closed")
            self.take()
            return node
        if tok.kind == ")":
            raise QueryError(f"unexpected ')' at character {tok.position + 1}")
        self.take()
        self.clauses += 1
        if self.clauses > MAX_CLAUSES:
            raise QueryError(f"the query has more than {MAX_CLAUSES} terms; narrow it down")
        if tok.kind == "phrase":
            return _phrase(tok)
        return _term(tok)


def _phrase(tok: _Tok) -> Node:
    text = " ".join(tok.text.split())
    if not text:
        raise QueryError('an empty phrase ("") finds nothing; put words between the quotes')
    if "*" in text:
        raise QueryError("wildcards (*) do not work inside quotes")
    if tok.field in DATE_FIELDS:
        return _date(tok.field, text)
    if tok.field == "type":
        return _types(text)
    if tok.field == "filed":
        return _filed(text)
    return Phrase(tok.field, text)


def _term(tok: _Tok) -> Node:
    text, field = tok.text, tok.field
    if field in DATE_FIELDS:
        return _date(field, text)
    if field == "type":
        return _types(text)
    if field == "filed":
        return _filed(text)
    if field == "dx" and CODE.match(text.rstrip("*").upper()):
        return Code(text.rstrip("*").upper())
    fuzzy = 0
    fuzzy_match = re.fullmatch(r"(.*?)~([12]?)", text)
    if fuzzy_match:
        text, fuzzy = fuzzy_match.group(1), int(fuzzy_match.group(2) or 1)
        if len(text) < 3 or "*" in text:
            raise QueryError("fuzzy matching (~) needs a whole word of 3 letters or more")
    if text.replace("*", "") == "":
        raise QueryError("'*' alone would match everything; type a word, e.g. cardio*")
    if "*" in text.rstrip("*") or text.startswith("*"):
        raise QueryError("wildcards work only at the end of a word (cardio*), not before it")
    prefix = text.endswith("*")
    if prefix:
        text = text.rstrip("*")
        if len(text) < MIN_PREFIX:
            raise QueryError(f"put at least {MIN_PREFIX} letters before a '*' (cardio*)")
    if "~" in text:
        raise QueryError("'~' goes at the end of a word (diabetis~ or diabetis~2)")
    return Words(field, text, fuzzy, prefix)


def _types(text: str) -> Types:
    wanted = re.sub(r"[\s\-]+", "_", text.strip().lower()).strip("_")
    wanted = TYPE_ALIASES.get(wanted, wanted)
    if wanted in DOCUMENT_TYPES:
        return Types((wanted,))
    found = tuple(t for t in DOCUMENT_TYPES if t.startswith(wanted)) if len(wanted) >= 2 else ()
    if not found:
        raise QueryError("unknown document type; the types are " + ", ".join(DOCUMENT_TYPES))
    return Types(found)


def _filed(text: str) -> Filed:
    value = text.strip().lower()
    if value in ("no", "false", "unfiled", "0"):
        return Filed(False)
    if value in ("yes", "true", "filed", "1"):
        return Filed(True)
    raise QueryError("filed: takes yes or no (filed:no lists the unfiled queue)")


_DATE_FORMS = (
    (re.compile(r"^(\d{4})$"), "y"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "ym"),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "mdy"),
)


def _bounds(text: str) -> tuple[date, date]:
    """The first and last day a date value covers (a year, a month or one day)."""
    for pattern, form in _DATE_FORMS:
        m = pattern.match(text)
        if not m:
            continue
        try:
            if form == "y":
                year = int(m.group(1))
                return date(year, 1, 1), date(year, 12, 31)
            if form == "ym":
                year, month = int(m.group(1)), int(m.group(2))
                first = date(year, month, 1)
                following = date(year + month // 12, month % 12 + 1, 1)
                return first, date.fromordinal(following.toordinal() - 1)
            if form == "ymd":
                day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            else:
                day = date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
            return day, day
        except ValueError:
            break
    raise QueryError(
        "dates are written 2019, 2019-03, 2019-03-14 or 03/14/2019;"
        " a range is two of them joined by '..'"
    )


def _date(field: str, text: str) -> DateRange:
    text = text.strip()
    if ".." in text:
        low, _, high = text.partition("..")
        if not low and not high:
            raise QueryError("a date range needs at least one end (2019.. or ..2019-06-30)")
        start = _bounds(low)[0] if low else None
        end = _bounds(high)[1] if high else None
        if start and end and start > end:
            raise QueryError("the date range ends before it starts")
        return DateRange(field, start, end)
    start, end = _bounds(text)
    return DateRange(field, start, end)


def _has_positive(node: Node) -> bool:
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(_has_positive(i) for i in node.items)
    if isinstance(node, Or):
        return all(_has_positive(i) for i in node.items)
    return True


def parse(query: str, max_chars: int = 1000) -> Node:
    """The tree of `query`; raises QueryError (never anything else) when it is not valid."""
    if len(query) > max_chars:
        raise QueryError(f"the query is longer than {max_chars} characters; shorten it")
    if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in query) or "\x7f" in query:
        raise QueryError("the query contains control characters (e.g. NUL); retype it")
    if not query.strip():
        raise QueryError("the query is empty; type words, a phrase in quotes, or field:value")
    node = _Parser(_tokens(query)).parse()
    if not _has_positive(node):
        raise QueryError("a query needs something to find, not only NOT terms")
    return node
