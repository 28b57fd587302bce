"""Diagnosis mentions -> ICD-10-CM codes with assertion status and section.

Two components put spans (label = code, kb_id = source) into the span group `chartroom_diagnoses`:
- `chartroom_diagnosis_matcher`: terminology terms, case-insensitive, plus a short case-sensitive
  abbreviation list; longest match wins, overlaps are resolved, blocker terms yield nothing.
- `chartroom_explicit_codes`: ICD-10-CM codes written in the text ("E11.9", "I5022"), kept only
  when present in the code table.
Then medspaCy ConText asserts them. No code absent from the code table ever leaves this module.

Terms are looked up as dictionary keys over token windows (whitespace-normalised text of the window)
rather than through spaCy's PhraseMatcher: with ~57k terms the PhraseMatcher took seconds to build
at every start, the dictionary takes milliseconds and matches the same way on token boundaries.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass

from spacy.attrs import IDX, IS_SPACE, LENGTH, SENT_START, SPACY
from spacy.language import Language
from spacy.tokens import Doc, Span

from chartroom.settings import Settings
from models.assertion import add_context, add_sectionizer, assertion_of, section_of
from models.terminology import (
    BLOCK,
    ICD10CM_RELEASE,
    TermIndex,
    cased_terms,
    code_table,
    first_piece,
    lower_terms,
)
from models.tokenizer import doc_text
from models.types import Assertion

__all__ = [
    "ICD10CM_RELEASE",
    "SPAN_GROUP",
    "RawDiagnosis",
    "add_diagnosis_pipes",
    "code_table",
    "read_diagnoses",
]

SPAN_GROUP = "chartroom_diagnoses"
TERM, EXPLICIT = "term", "explicit_code"

# Case-sensitive abbreviations used as labels or shorthand ("PE: normal", "on PE", "MI 48201").
_LABEL_AFTER = re.compile(r"\s*(?::|exam\b|normal\b|unremarkable\b|wnl\b|negative\b|\d{5}\b)", re.I)
_LABEL_BEFORE = re.compile(r"\b(?:on|per)\s+$", re.I)
_CODE = re.compile(
    r"(?<![\w.\-/])([A-Z](?:[0-9][0-9A-Z]|[A-Z][0-9]))(?:\.([0-9A-Z]{1,4})|([0-9A-Z]{1,4}))?(?![\w]|\.\w)"
)
_CODE_CONTEXT = re.compile(
    r"(?:icd|code|codes|dx|diagnos[ie]s)\W{0,3}(?:10\W{0,3})?(?:cm)?\W*$", re.I
)


@dataclass(frozen=True)
class RawDiagnosis:
    start: int  # character offsets into doc.text
    end: int
    code: str  # present in the code table
    description: str
    assertion: Assertion
    section: str  # normalised section name or ""
    source: str  # "term" or "explicit_code"


@dataclass(frozen=True)
class _Candidate:
    start: int  # token offsets
    end: int
    code: str
    length: int  # characters, for longest-match-wins


def _sentence_ends(doc: Doc, sent_starts: list[int]) -> list[int]:
    """For each token, the index one past the last token of its sentence (as doc.sents has it:
    a sentence starts at each token after the first whose SENT_START is 1)."""
    n = len(doc)
    if not doc.has_annotation("SENT_START"):
        return [n] * n
    ends = [n] * n
    end = n
    for i in range(n - 1, 0, -1):
        ends[i] = end
        if sent_starts[i] == 1:
            end = i
    if n:
        ends[0] = end
    return ends


def _drop_spelled_out_abbreviations(text: str, spans: list[Span]) -> list[Span]:
    """Drop "(CHF)" right after "... congestive heart failure": it restates that mention."""
    spans.sort(key=lambda s: s.start)
    kept: list[Span] = []
    for span in spans:
        if kept:
            prev = kept[-1]
            gap = text[prev.end_char : span.start_char]
            if gap.strip() == "(" and text[span.end_char : span.end_char + 1] == ")":
                continue
        kept.append(span)
    return kept


def _add_spans(doc: Doc, span_group: str, spans: list[Span]) -> None:
    """Put `spans` into doc.spans[span_group] beside those already there, sorted."""
    if span_group in doc.spans:
        spans = list(doc.spans[span_group]) + spans
    doc.spans[span_group] = sorted(spans, key=lambda s: (s.start, s.end))


_TOKEN_ATTRS = [IDX, LENGTH, IS_SPACE, SPACY, SENT_START]
_FIRSTS_MEMO_LIMIT = 200_000


class DiagnosisMatcher:
    """Terminology lookup over token windows; see the module docstring.

    Works on plain lists (token offsets, lengths, white space and sentence starts read with one
    Doc.to_array call) rather than Token objects: a Token is created on every doc[i].
    """

    def __init__(self, span_group: str, max_window: int) -> None:
        self.span_group = span_group
        self.max_window = max_window
        self.lower: TermIndex = lower_terms()
        self.cased: TermIndex = cased_terms()
        self._firsts: dict[str, tuple[bool, bool]] = {}  # token text -> _starts(text)

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        candidates = self._candidates(doc, text)
        spans = []
        if candidates:
            taken = [False] * len(doc)
            for cand in sorted(candidates, key=lambda c: (-c.length, c.start)):
                if any(taken[cand.start : cand.end]):
                    continue
                for i in range(cand.start, cand.end):
                    taken[i] = True
                if cand.code != BLOCK:
                    spans.append(Span(doc, cand.start, cand.end, label=cand.code, kb_id=TERM))
            spans = _drop_spelled_out_abbreviations(text, spans)
        _add_spans(doc, self.span_group, spans)
        return doc

    def _starts(self, word: str) -> tuple[bool, bool]:
        """(a lower-case term, a cased term) may start at a token with this text."""
        found = self._firsts.get(word)
        if found is None:
            piece = first_piece(word)
            found = (piece.lower() in self.lower.firsts, piece in self.cased.firsts)
            if len(self._firsts) >= _FIRSTS_MEMO_LIMIT:
                self._firsts.clear()
            self._firsts[word] = found
        return found

    def _candidates(self, doc: Doc, text: str) -> list[_Candidate]:
        n = len(doc)
        if not n:
            return []
        idx, length, is_space, spacy, sent_start = doc.to_array(_TOKEN_ATTRS).T.tolist()
        words = [text[i : i + k] for i, k in zip(idx, length, strict=True)]
        ends: list[int] | None = None
        lower_terms, lower_prefixes = self.lower.terms, self.lower.prefixes
        cased_terms, cased_prefixes = self.cased.terms, self.cased.prefixes
        firsts = self._firsts
        max_window = self.max_window
        out: list[_Candidate] = []
        for i in range(n):
            if is_space[i]:
                continue
            try_lower, try_cased = firsts.get(words[i]) or self._starts(words[i])
            if not (try_lower or try_cased):
                continue
            if ends is None:
                ends = _sentence_ends(doc, sent_start)
            start_char = idx[i]
            key, low, used, spaced = "", "", 0, False
            last = ends[i]
            for j in range(i, last):
                if is_space[j]:
                    spaced = True
                    continue
                used += 1
                if used > max_window:
                    break
                key = f"{key} {words[j]}" if spaced else key + words[j]
                end_char = idx[j] + length[j]
                code = None
                if try_lower:
                    low = key.lower()
                    code = lower_terms.get(low)
                    if code is None and len(low) > 4 and low[-1] == "s" and low[-2] != "s":
                        code = lower_terms.get(low[:-1])  # plain plural: "pleural effusions"
                if try_cased and key in cased_terms and self._cased_ok(text, start_char, end_char):
                    code = cased_terms[key]
                if code is not None:
                    out.append(_Candidate(i, j + 1, code, end_char - start_char))
                spaced = bool(spacy[j]) or (j + 1 < last and bool(is_space[j + 1]))
                if spaced and not (
                    (try_lower and low in lower_prefixes) or (try_cased and key in cased_prefixes)
                ):
                    break
        return out

    @staticmethod
    def _cased_ok(text: str, start: int, end: int) -> bool:
        before = text[max(0, start - 8) : start]
        return not (_LABEL_AFTER.match(text, end) or _LABEL_BEFORE.search(before))


class ExplicitCodeMatcher:
    """ICD-10-CM codes written in the text, validated against the code table."""

    def __init__(self, span_group: str) -> None:
        self.span_group = span_group
        self.table = code_table()

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        spans = []
        for found in _CODE.finditer(text):
            category, dotted, plain = found.group(1), found.group(2), found.group(3)
            rest = dotted or plain or ""
            code = f"{category}.{rest}" if rest else category
            if code not in self.table:
                continue
            if not rest and not self._bare_category_ok(text, found.start(), found.end()):
                continue
            span = doc.char_span(found.start(), found.end(), label=code, kb_id=EXPLICIT)
            if span is None:
                span = doc.char_span(
                    found.start(), found.end(), label=code, kb_id=EXPLICIT, alignment_mode="expand"
                )
            if span is not None:
                spans.append(span)
        _add_spans(doc, self.span_group, spans)
        return doc

    @staticmethod
    def _bare_category_ok(text: str, start: int, end: int) -> bool:
        """A bare three-character code ("I10", but also "room B20") needs code-like context."""
        in_parens = text[start - 1 : start] == "(" and text[end : end + 1] == ")"
        return in_parens or bool(_CODE_CONTEXT.search(text[max(0, start - 20) : start]))


def make_diagnosis_matcher(
    nlp: Language, name: str, span_group: str, max_window: int
) -> DiagnosisMatcher:
    return DiagnosisMatcher(span_group, max_window)


def make_explicit_codes(nlp: Language, name: str, span_group: str) -> ExplicitCodeMatcher:
    return ExplicitCodeMatcher(span_group)


def _register() -> None:
    """Register the factories with resolved annotations (spaCy validates configs against them)."""
    for factory in (make_diagnosis_matcher, make_explicit_codes):
        factory.__annotations__ = typing.get_type_hints(factory)
    Language.factory(
        "chartroom_diagnosis_matcher",
        default_config={"span_group": SPAN_GROUP, "max_window": 16},
        func=make_diagnosis_matcher,
    )
    Language.factory(
        "chartroom_explicit_codes",
        default_config={"span_group": SPAN_GROUP},
        func=make_explicit_codes,
    )


_register()


def add_diagnosis_pipes(nlp: Language, settings: Settings) -> None:
    """Add sections, term matcher, explicit-code matcher and ConText after the sentence splitter.

    `settings` is accepted for the pipeline's uniform signature; no diagnosis setting exists yet.
    """
    del settings
    add_sectionizer(nlp)
    nlp.add_pipe("chartroom_diagnosis_matcher", config={"span_group": SPAN_GROUP})
    nlp.add_pipe("chartroom_explicit_codes", config={"span_group": SPAN_GROUP})
    add_context(nlp, SPAN_GROUP)


def read_diagnoses(doc: Doc) -> list[RawDiagnosis]:
    """Plain-data diagnoses of a processed doc, in text order."""
    table = code_table()
    out: list[RawDiagnosis] = []
    for span in doc.spans.get(SPAN_GROUP, ()):
        code = span.label_
        if code not in table:
            continue
        section = section_of(span)
        out.append(
            RawDiagnosis(
                start=span.start_char,
                end=span.end_char,
                code=code,
                description=table[code],
                assertion=assertion_of(span, section),
                section=section,
                source=span.kb_id_ or TERM,
            )
        )
    out.sort(key=lambda d: (d.start, d.end, d.code))
    return out
