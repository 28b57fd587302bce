"""Section headers: a line-anchored regular expression built from models/data/section_rules.json.

The header vocabulary is the one medspaCy's Sectionizer was configured with (section_rules.json:
each rule's literal, "ALLERGIES (line)" or "allergies:", gives a phrase and its category). A header
is recognised in four shapes, always at the start of a line:

- "HEADER:" or "Header:" (any case, followed by a colon; text may follow on the same line);
- "HEADER" alone on its line (upper case), or "Header" / "Header of Words" alone on its line
  (first letter upper case, the line being exactly a known phrase).

A colon header in upper case is also recognised after "," / "." / ";" inside a line, because
transcribed notes (MTSamples: "...clinically.,ASSESSMENT: ,") run "LABEL: ..." blocks into one
line. A mid-sentence "family history of" is never a header: the phrase must start the line (or
follow that punctuation in upper case with a colon) and, without a colon, fill the whole line.

Sections that carry an assertion (family, past medical and past surgical history: BOUNDED) end
early when their header has text on its own line ("FHx: mother with diabetes."): that section is
the rest of the line plus the lines that clearly continue it (list items "- Mother: ...", relative
rows "Father: MI" for family history, lines that go on after a line without a sentence end), and
ends at a blank line. A zero-width Header at the next line's start then restores the section in
force before it, so "Patient has CHF." on the next line of a header-less note is not family
history. A header alone on its line ("FAMILY HISTORY:") still runs to the next header.

Why not medspaCy's Sectionizer: it costs ~4.6 ms per 2 KB note (a token Matcher over ~300 rules
plus span bookkeeping) and needs a spaCy Doc, so it cannot run on the whole text before the text
is cut into pieces; this look-up runs in ~0.15 ms per note on the raw string, is linear in the
text length, and lets the pipeline cut the text at section boundaries and carry each section's
name into its pieces. Figures: docs/benchmarks.md, "Clinical NLP".
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from importlib import resources

DATA_PACKAGE = "models.data"
SECTIONS_KEY = "chartroom_sections"  # doc.user_data: the doc's SectionMap
INITIAL_SECTION_KEY = "chartroom_initial_section"  # doc.user_data: section in force at its start
HEADERS_KEY = "chartroom_headers"  # doc.user_data: headers already found (offsets into the doc)
SECTION_RULES = "section_rules.json"
_SMALL_WORDS = frozenset({"of", "and", "the", "for", "on", "to", "in", "at", "by", "or", "with"})


@dataclass(frozen=True)
class Header:
    start: int  # first character of the header phrase
    end: int  # one past the header (its colon included, if any)
    category: str


@cache
def _vocabulary() -> dict[str, str]:
    """Header phrase (lower case, single spaces) -> section category."""
    text = resources.files(DATA_PACKAGE).joinpath(SECTION_RULES).read_text(encoding="utf-8")
    vocab: dict[str, str] = {}
    for rule in json.loads(text)["section_rules"]:
        literal = str(rule["literal"])
        phrase = literal.removesuffix(" (line)").rstrip().removesuffix(":").strip().lower()
        phrase = " ".join(phrase.split())
        if phrase:
            vocab.setdefault(phrase, str(rule["category"]))
    return vocab


# The ".,;" before an inline header is matched, not looked behind at, so the engine scans for it
# in C; it cannot belong to an earlier match (which ends at ":"), so the headers found are the same.
_INLINE = re.compile(r"[.,;][ \t]*(?P<h>[A-Z][A-Z0-9 /&'()\-]{1,60}?)[ \t]*:")
_MAX_HEADER = 60
BOUNDED = frozenset({"family_history", "past_medical_history", "past_surgical_history"})
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*\u2022]|\d{1,2}[.)]|[a-z][.)])[ \t]")
_RELATIVE = re.compile(
    r"[ \t]*(?i:(?:maternal|paternal|mat|pat)\.?[ \t]+)?(?i:mother|father|mom|dad|parents?"
    r"|sister|brother|siblings?|sons?|daughters?|children|child|aunt|uncle|cousin|grand\w*"
    r"|mgm|mgf|pgm|pgf|twin|niece|nephew|family|relatives?)\b"
)
_LABEL = re.compile(r"[ \t]*[A-Za-z][A-Za-z /&'()\-]{0,40}:")
_SENTENCE_END = (".", "!", "?")


def _key(phrase: str) -> str:
    return " ".join(phrase.lower().split())


def _title_or_upper(phrase: str) -> bool:
    """'PAST MEDICAL HISTORY', 'Past Medical History', 'History of Present Illness'."""
    if phrase.isupper():
        return True
    words = phrase.split()
    if not words[0][:1].isupper():
        return False
    return all(w[:1].isupper() or w.lower() in _SMALL_WORDS or not w[:1].isalpha() for w in words)


def find_headers(text: str) -> list[Header]:
    """Section headers of `text`, in order, not overlapping.

    One pass over the lines with dictionary look-ups (no 300-way regex alternation), plus one
    regex for upper-case "LABEL:" headers inside a line: linear in the text length.
    """
    vocab = _vocabulary()
    found: list[Header] = []
    pos = 0
    for line in text.split("\n"):
        start = pos
        pos += len(line) + 1
        stripped = line.strip()
        if not stripped or not stripped[0].isalpha():
            continue
        lead = start + len(line) - len(line.lstrip())
        colon = stripped.find(":")
        if 0 < colon <= _MAX_HEADER:
            category = vocab.get(_key(stripped[:colon]))
            if category is not None:
                end = lead + line.lstrip().index(":") + 1
                found.append(Header(lead, end, category))
                continue
        if len(stripped) <= _MAX_HEADER:
            category = vocab.get(_key(stripped))
            if category is not None and _title_or_upper(stripped):
                found.append(Header(lead, lead + len(stripped), category))
    if ":" in text:
        taken = {h.start for h in found}
        for m in _INLINE.finditer(text):
            category = vocab.get(_key(m.group("h")))
            if category is not None and m.start("h") not in taken:
                found.append(Header(m.start("h"), m.end(), category))
        found.sort(key=lambda h: h.start)
    if any(h.category in BOUNDED for h in found):
        found = _bound_sections(text, found)
    return found


def _continues(line: str, previous: str, category: str) -> bool:
    """Whether `line` goes on with the one-line section whose last line was `previous`."""
    if _LIST_ITEM.match(line):
        return True
    if category == "family_history" and _RELATIVE.match(line):
        return True
    if _LABEL.match(line) or previous.rstrip().endswith(_SENTENCE_END):
        return False  # another "Label: value" row, or a new sentence
    # wrapped prose goes on in lower case; an item of a one-per-line list has no sentence end
    return line.lstrip()[:1].islower() or not line.rstrip().endswith(_SENTENCE_END)


def _block_end(text: str, header: Header) -> int | None:
    """Where a BOUNDED section with text on its header's line ends (the start of the first line
    that does not continue it), or None when the header is alone on its line."""
    line_end = text.find("\n", header.end)
    if line_end == -1:
        return None
    if not text[header.end : line_end].strip():
        return None
    previous = text[header.end : line_end]
    pos = line_end + 1
    while pos < len(text):
        nl = text.find("\n", pos)
        nl = len(text) if nl == -1 else nl
        line = text[pos:nl]
        if not line.strip() or not _continues(line, previous, header.category):
            return pos
        previous = line
        pos = nl + 1
    return None


def _bound_sections(text: str, found: list[Header]) -> list[Header]:
    """`found` plus a zero-width Header, restoring the section in force before, where a BOUNDED
    section with text on its header's line ends before the next header."""
    out: list[Header] = []
    outer = ""  # section in force outside the bounded one
    for k, header in enumerate(found):
        out.append(header)
        if header.category not in BOUNDED:
            outer = header.category
            continue
        end = _block_end(text, header)
        following = found[k + 1].start if k + 1 < len(found) else len(text)
        if end is not None and end < following:
            out.append(Header(end, end, outer))
    return out


@dataclass(frozen=True)
class SectionMap:
    """Which section each character offset lies in (after a header, up to the next one)."""

    starts: tuple[int, ...]  # header starts
    categories: tuple[str, ...]
    initial: str = ""  # section of the text before the first header

    @classmethod
    def of(cls, text: str, initial: str = "", headers: list[Header] | None = None) -> SectionMap:
        if headers is None:
            headers = find_headers(text)
        return cls(tuple(h.start for h in headers), tuple(h.category for h in headers), initial)

    def at(self, offset: int) -> str:
        k = bisect_right(self.starts, offset) - 1
        return self.categories[k] if k >= 0 else self.initial
