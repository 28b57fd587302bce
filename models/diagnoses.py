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


def _sentence_ends(doc: Doc) -> list[int]:
    """For each token, the index one past the last token of its sentence."""
    ends = [len(doc)] * len(doc)
    if doc.has_annotation("SENT_START"):
        for sent in doc.sents:
            for i in range(sent.start, sent.end):
                ends[i] = sent.end
    return ends


def _drop_spelled_out_abbreviations(doc: Doc, spans: list[Span]) -> list[Span]:
    """Drop "(CHF)" right after "... congestive heart failure": it restates that mention."""
    spans.sort(key=lambda s: s.start)
    kept: list[Span] = []
    text = doc.text
    for span in spans:
        if kept:
            prev = kept[-1]
            gap = text[prev.end_char : span.start_char]
            if gap.strip() == "(" and text[span.end_char : span.end_char + 1] == ")":
                continue
        kept.append(span)
    return kept


class DiagnosisMatcher:
    """Terminology lookup over token windows; see the module docstring."""

    def __init__(self, span_group: str, max_window: int) -> None:
        self.span_group = span_group
        self.max_window = max_window
        self.lower: TermIndex = lower_terms()
        self.cased: TermIndex = cased_terms()

    def __call__(self, doc: Doc) -> Doc:
        candidates = self._candidates(doc)
        taken = [False] * len(doc)
        spans = []
        for cand in sorted(candidates, key=lambda c: (-c.length, c.start)):
            if any(taken[cand.start : cand.end]):
                continue
            for i in range(cand.start, cand.end):
                taken[i] = True
            if cand.code != BLOCK:
                spans.append(Span(doc, cand.start, cand.end, label=cand.code, kb_id=TERM))
        spans = _drop_spelled_out_abbreviations(doc, spans)
        group = list(doc.spans[self.span_group]) if self.span_group in doc.spans else []
        doc.spans[self.span_group] = sorted(group + spans, key=lambda s: (s.start, s.end))
        return doc

    def _candidates(self, doc: Doc) -> list[_Candidate]:
        text = doc.text
        ends = _sentence_ends(doc)
        lower, cased = self.lower, self.cased
        out: list[_Candidate] = []
        for i, token in enumerate(doc):
            if token.is_space:
                continue
            piece = first_piece(token.text)
            try_lower = piece.lower() in lower.firsts
            try_cased = piece in cased.firsts
            if not (try_lower or try_cased):
                continue
            key, used, spaced = "", 0, False
            last = min(ends[i], len(doc))
            for j in range(i, last):
                tok = doc[j]
                if tok.is_space:
                    spaced = True
                    continue
                used += 1
                if used > self.max_window:
                    break
                key = f"{key} {tok.text}" if spaced else key + tok.text
                end_char = tok.idx + len(tok.text)
                code = self._lookup(key, try_lower, try_cased, text, token.idx, end_char)
                if code is not None:
                    out.append(_Candidate(i, j + 1, code, end_char - token.idx))
                spaced = bool(tok.whitespace_) or (j + 1 < last and doc[j + 1].is_space)
                if spaced and not (
                    (try_lower and key.lower() in lower.prefixes)
                    or (try_cased and key in cased.prefixes)
                ):
                    break
        return out

    def _lookup(
        self, key: str, try_lower: bool, try_cased: bool, text: str, start: int, end: int
    ) -> str | None:
        code = None
        if try_lower:
            low = key.lower()
            code = self.lower.terms.get(low)
            if code is None and len(low) > 4 and low.endswith("s") and not low.endswith("ss"):
                code = self.lower.terms.get(low[:-1])  # plain plural: "pleural effusions"
        if try_cased and key in self.cased.terms and self._cased_ok(text, start, end):
            code = self.cased.terms[key]
        return code

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
        spans = []
        for found in _CODE.finditer(doc.text):
            category, dotted, plain = found.group(1), found.group(2), found.group(3)
            rest = dotted or plain or ""
            code = f"{category}.{rest}" if rest else category
            if code not in self.table:
                continue
            if not rest and not self._bare_category_ok(doc.text, found.start(), found.end()):
                continue
            span = doc.char_span(found.start(), found.end(), label=code, kb_id=EXPLICIT)
            if span is None:
                span = doc.char_span(
                    found.start(), found.end(), label=code, kb_id=EXPLICIT, alignment_mode="expand"
                )
            if span is not None:
                spans.append(span)
        group = list(doc.spans[self.span_group]) if self.span_group in doc.spans else []
        doc.spans[self.span_group] = sorted(group + spans, key=lambda s: (s.start, s.end))
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
