"""A line-aware sentence splitter for OCR'd clinical notes (spaCy component).

Scanned notes wrap prose across lines but also put one item per line (headers, lists, lab rows,
"Sex: F"). The splitter starts a sentence:

- at the first token;
- at the first token of a line when the line is a section header ("ASSESSMENT:", "Plan"), a list
  item ("1.", "-", "*", "a)"), a "Label: value" line, follows a blank line, or when the previous
  line ended a sentence (".", "?", "!", ":") or was short (a form row rather than wrapped prose);
- after ".", "?" or "!" followed by a capital letter, a digit or a bracket (abbreviations such as
  "Dr." are single tokens in spaCy's English tokenizer, so they do not split);
- at an inline section header word followed by ":" ("... stable. Plan: continue").

Newline tokens stay with the sentence they end.
"""

from __future__ import annotations

import re
from typing import Any, cast, get_type_hints

import numpy
from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from models.tokenizer import doc_text

SHORT_LINE = 45  # characters; a line shorter than this is a row of a form, not wrapped prose

_HEADER_WORDS = (
    "assessment|plan|assessment and plan|impression|diagnosis|diagnoses|discharge diagnosis|"
    "discharge diagnoses|admission diagnosis|admitting diagnosis|final diagnosis|history|"
    "history of present illness|hpi|past medical history|pmh|past surgical history|psh|"
    "family history|fh|social history|sh|medications|allergies|review of systems|ros|"
    "physical exam|physical examination|exam|vital signs|vitals|labs|laboratory data|findings|"
    "hospital course|chief complaint|cc|reason for visit|reason for consultation|procedure|"
    "procedures|indications|indication|technique|comparison|recommendations|disposition|"
    "follow up|follow-up|subjective|objective|a/p|a&p|discharge medications|discharge instructions|"
    "preoperative diagnosis|postoperative diagnosis|operative findings|specimen|"
    "gross description|microscopic description|clinical history|conclusion|summary|problem list"
)
_HEADER_LINE = re.compile(
    rf"^\s*(?:(?:{_HEADER_WORDS})\s*:|[A-Z][A-Z0-9 /&,()'-]{{2,60}}:?\s*$)", re.IGNORECASE
)
_ALL_CAPS_LINE = re.compile(r"^\s*[A-Z][A-Z0-9 /&,()'-]{2,60}:?\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*#>]|\d{1,2}[.)]|[a-zA-Z][.)]|\(\d{1,2}\)|\[\s?[xX ]?\])\s")
_LABEL_VALUE = re.compile(r"^\s*[A-Za-z][A-Za-z /#&().'-]{0,40}:\s*\S")
_INLINE_HEADER = re.compile(rf"(?:{_HEADER_WORDS})", re.IGNORECASE)
_SENTENCE_END = (".", "?", "!", ":")


def _line_starts_sentence(line: str, prev: str | None) -> bool:
    if prev is None:
        return True
    stripped_prev = prev.rstrip()
    if not stripped_prev:
        return True  # after a blank line
    if _LIST_ITEM.match(line) or _LABEL_VALUE.match(line) or _ALL_CAPS_LINE.match(line):
        return True
    if _HEADER_LINE.match(line) and (line.strip().endswith(":") or ":" in line[:60]):
        return True
    if stripped_prev.endswith(_SENTENCE_END) or len(stripped_prev) < SHORT_LINE:
        return True
    return bool(_ALL_CAPS_LINE.match(prev))


def _line_start_offsets(text: str) -> set[int]:
    """Character offsets of the first non-blank character of each line that starts a sentence."""
    line_starts: set[int] = set()
    prev: str | None = None
    offset = 0
    for line in text.split("\n"):
        if line.strip() and _line_starts_sentence(line, prev):
            line_starts.add(offset + len(line) - len(line.lstrip()))
        prev = line
        offset += len(line) + 1
    return line_starts


_ENDS = frozenset({".", "?", "!"})
_END_MARKS = frozenset('.?!)"')  # last character of every word that can end a sentence


def set_sentence_starts(doc: Doc) -> Doc:
    """Set the sentence start flag of every token of `doc` (one from_array call)."""
    n = len(doc)
    if n == 0:
        return doc
    text = doc_text(doc)
    line_starts = _line_start_offsets(text)
    idxs, lengths, spaces = doc.to_array([IDX, LENGTH, IS_SPACE]).T.tolist()
    flags = [-1] * n
    flags[0] = 1
    previous_was_end = False
    for i in range(n):
        if spaces[i]:
            continue  # white space stays with the sentence it ends
        idx = idxs[i]
        end = idx + lengths[i]
        first = text[idx]
        if i and (
            idx in line_starts
            or (previous_was_end and (first.isupper() or first.isdigit()))
            or (
                first.isupper()
                and i + 1 < n
                and text[end : end + 1] == ":"
                and _INLINE_HEADER.fullmatch(text, idx, end)
            )
        ):
            flags[i] = 1
        if text[end - 1] not in _END_MARKS:
            previous_was_end = False
            continue
        word = text[idx:end]
        previous_was_end = word in _ENDS or word.endswith((".)", '."'))
        if previous_was_end and word == "." and idx - text.rfind("\n", 0, idx) <= 4:
            previous_was_end = False  # the "." of a list marker such as "1."
    array = numpy.array(flags, dtype="int64").astype("uint64").reshape(-1, 1)
    doc.from_array([SENT_START], cast(Any, array))
    return doc


class LineSentencizer:
    """spaCy pipeline component wrapping `set_sentence_starts`."""

    def __call__(self, doc: Doc) -> Doc:
        return set_sentence_starts(doc)


def make_line_sentencizer(nlp: Language, name: str) -> LineSentencizer:
    return LineSentencizer()


# spaCy validates factory arguments from their annotations, which `from __future__ import
# annotations` turns into strings it cannot resolve: hand it the real types.
make_line_sentencizer.__annotations__ = get_type_hints(make_line_sentencizer)
Language.factory("chartroom_line_sentencizer", func=make_line_sentencizer)
