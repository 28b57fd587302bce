"""Sections and assertion status: chartroom's section tagger and medspaCy's ConText.

Rules live in models/data/section_rules.json and models/data/context_rules.json (derived from
medspaCy's defaults, with the known faults fixed: "evaluate for" is hypothetical, "ruled out" reads
both ways, "history of present illness" is not history, "negative" only negates in "negative for
X" / "X negative" / "X: negative", family history and chart section headers medspaCy lacks).
Sections come from a line-anchored regex over the same header vocabulary medspaCy's Sectionizer
used (models.sections; why: see there). Components are added by their registered names;
medspacy.load() is never used because it adds PyRuSH, which logs every token (patient text)
through loguru.

Assertion policy (one label per mention; when several apply, PRECEDENCE picks):
- negated: the text says the patient does not have it (and, as far as it says, did not):
  "no", "denies", "negative for", "ruled out", "unlikely", "doubt", "less likely".
- family: a relative has it ("Mother with X", "FHx: X", "X runs in the family"); a relative as
  informant, company or home ("per his wife", "lives with her husband", "daughter at bedside",
  "family medicine") is not a family trigger. A "FHx:" / "PMH:" label with text on its line is a
  section of that line and its continuation only (models.sections).
- hypothetical: uncertain (possible, probable, likely, suspected, questionable, concern for,
  c/f, rule out, cannot exclude, differential, "X vs Y", consider, may have, could represent)
  or not (yet) happened (at risk for, to prevent, prophylaxis, screen / monitor / watch /
  evaluate / assess for, if, should X develop, in case of, return precautions). A drug "as
  needed for X" is X affirmed (the condition it treats); "evaluated for X" (past) is affirmed.
- historical: the wording puts the condition in the patient's past: history phrases (history
  of, hx, h/o, PMH / past medical history of / significant for), s/p, status post, prior,
  previous, remote, old, childhood, former, recovered from, past episode of, "X resolved" /
  "has resolved" / "resolution of X" (the patient had it: an archive keeps that, where
  medspaCy's default rules call it negated), and time anchors
  after it (in 2015, in March 2015, (2014), years ago, last year, as a child, in the past). This
  holds for chronic conditions too ("History of hypertension"). A condition named without such
  wording is affirmed even if chronic or long-standing ("known CAD", "HTN on lisinopril",
  "diabetes since 2010", "in remission"), and so is a duration ("a 3-day history of cough",
  "10-year history of diabetes": how long a current condition has lasted).
"""

from __future__ import annotations

import json
import logging
import re
from bisect import bisect_left
from collections.abc import Iterable
from importlib import resources
from typing import Any, cast, get_type_hints

from spacy.attrs import IDX
from spacy.language import Language
from spacy.tokens import Doc, Span

from models.sections import (
    HEADERS_KEY,
    INITIAL_SECTION_KEY,
    SECTIONS_KEY,
    Header,
    SectionMap,
    find_headers,
)
from models.tokenizer import doc_text
from models.types import Assertion

log = logging.getLogger(__name__)

DATA_PACKAGE = "models.data"
SECTION_RULES = "section_rules.json"
CONTEXT_RULES = "context_rules.json"
SECTIONS = "chartroom_sections"
CONTEXT = "medspacy_context"
TARGETED_CONTEXT = "chartroom_context"
TARGETS_ATTR = "chartroom_context_targets"  # Doc extension: the targets handed to ConText

CATEGORY_TO_ASSERTION = {
    "NEGATED_EXISTENCE": Assertion.NEGATED,
    "FAMILY": Assertion.FAMILY,
    "HYPOTHETICAL": Assertion.HYPOTHETICAL,
    "POSSIBLE_EXISTENCE": Assertion.HYPOTHETICAL,
    "HISTORICAL": Assertion.HISTORICAL,
}
SECTION_TO_ASSERTION = {
    "family_history": Assertion.FAMILY,
    "past_medical_history": Assertion.HISTORICAL,
    "past_surgical_history": Assertion.HISTORICAL,
}
# Modifiers of category NEGATION_END (direction PSEUDO: they assert nothing) end only negation
# scopes: "Denies fever, reports cough" (a TERMINATE rule ends every category's scope: "Mother
# reports breast cancer" would lose its family assertion). FAMILY_END ("he", "she", "patient")
# ends family and negation scopes but not "If he develops X"; PATIENT_END (possessives, "in a
# patient with") ends every other scope: "possibly related to his lupus", "Rule out PE in a
# patient with DVT"; HISTORICAL_END ("now", "today") and NEGATION_END end history ("s/p MI, now
# with chest pain"). A history trigger ends an uncertainty scope and the other way round:
# "rule out PE. h/o DVT" (OCR text often lacks the capital after ".").
TERMINATING_TYPES = {
    "NEGATED_EXISTENCE": ["NEGATION_END", "FAMILY_END", "PATIENT_END"],
    "FAMILY": ["FAMILY_END", "PATIENT_END"],
    "HISTORICAL": [
        "HISTORICAL_END",
        "NEGATION_END",
        "PATIENT_END",
        "HYPOTHETICAL",
        "POSSIBLE_EXISTENCE",
    ],
    "HYPOTHETICAL": ["PATIENT_END", "HISTORICAL"],
    "POSSIBLE_EXISTENCE": ["PATIENT_END", "HISTORICAL"],
}
# A form row answered right after the finding, then the row ends (line end, punctuation or the
# next "Label:" of a one-line grid): "Fever: No", "Chest pain - denies", "Fever: No Cough: Yes".
# ConText cannot see a line end, and a ":"-first rule would also catch "IMPRESSION: No X".
_NO = frozenset({"no", "none", "denies", "denied", "absent", "negative", "neg"})
_ANSWER = re.compile(
    r"[ \t]*[:\-][ \t]*(?i:(no|none|denies|denied|absent|negative|neg|yes|present|positive"
    r"|pos|reports|endorses))\b[ \t]*(?:[.,;]|\n|$|[A-Z][A-Za-z/ ]{0,30}:)"
)
# When several apply, the first wins: "no family history of X" is negated.
PRECEDENCE = (
    Assertion.NEGATED,
    Assertion.FAMILY,
    Assertion.HYPOTHETICAL,
    Assertion.HISTORICAL,
)


def quiet_medspacy_logging() -> None:
    """Silence loguru output from medspaCy and PyRuSH (it would carry patient text)."""
    try:
        from loguru import logger
    except ImportError:  # medspaCy without loguru: nothing to silence
        return
    for name in ("medspacy", "PyRuSH"):
        logger.disable(name)


MAX_EXPANSIONS = 1000  # a token pattern with more literal variants than this stays a pattern


def _token_choices(token: dict[str, Any]) -> list[str] | None:
    """Words one token pattern accepts (with "" when optional), or None when not a LOWER test
    (a TEXT test of a mark without letters, which has no case, counts as one)."""
    if "TEXT" in token and isinstance(token["TEXT"], str) and not token["TEXT"].isalpha():
        token = {("LOWER" if k == "TEXT" else k): v for k, v in token.items()}
    if set(token) - {"OP"} != {"LOWER"}:
        return None
    op = token.get("OP")
    if op not in (None, "?"):
        return None
    value = token["LOWER"]
    if isinstance(value, str):
        words = [value]
    elif isinstance(value, dict) and set(value) == {"IN"}:
        words = [str(w) for w in value["IN"]]
    else:
        return None
    return [*words, ""] if op == "?" else words


def expand_to_literals(rule: dict[str, Any]) -> list[dict[str, Any]]:
    """A rule whose pattern only tests LOWER (IN lists, optional tokens) as one literal rule per
    variant, so medspaCy matches it with its PhraseMatcher instead of the token Matcher (the
    Matcher evaluated every IN-list at every token: about half of ConText's time). Same matches:
    medspaCy keeps the longest of overlapping matches either way."""
    pattern = rule.get("pattern")
    if not isinstance(pattern, list):
        return [rule]
    variants = [""]
    for token in pattern:
        choices = _token_choices(token)
        if choices is None:
            return [rule]
        variants = [f"{v} {c}".strip() for v in variants for c in choices]
        if len(variants) > MAX_EXPANSIONS:
            return [rule]
    base = {k: v for k, v in rule.items() if k != "pattern"}
    return [{**base, "literal": v} for v in dict.fromkeys(variants) if v]


def _load_rules(name: str, key: str) -> list[dict[str, Any]]:
    text = resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    rules: list[dict[str, Any]] = json.loads(text)[key]
    return rules


class SectionTagger:
    """spaCy component: sections of doc.text (models.sections) into doc.user_data.

    The section in force before the first header comes from doc.user_data[INITIAL_SECTION_KEY]
    (the pipeline sets it on a piece cut from the middle of a section); headers the pipeline
    already found on the whole text come in doc.user_data[HEADERS_KEY] (else they are found here).
    Headers end sentences: the header's first token and the first token after it start sentences.
    """

    def __call__(self, doc: Doc) -> Doc:
        initial = str(doc.user_data.get(INITIAL_SECTION_KEY, ""))
        given = doc.user_data.pop(HEADERS_KEY, None)
        text = doc_text(doc)
        headers: list[Header] = given if isinstance(given, list) else find_headers(text)
        sections = SectionMap.of(text, initial, headers)
        doc.user_data[SECTIONS_KEY] = sections
        if headers and len(doc):
            idx = doc.to_array([IDX]).tolist()
            for header in headers:
                for char in (header.start, header.end):
                    i = bisect_left(idx, char)
                    while i < len(doc) and doc[i].is_space:
                        i += 1
                    if 0 < i < len(doc):
                        doc[i].is_sent_start = True
        return doc


def make_section_tagger(nlp: Language, name: str) -> SectionTagger:
    return SectionTagger()


make_section_tagger.__annotations__ = get_type_hints(make_section_tagger)
Language.factory(SECTIONS, func=make_section_tagger)


def add_sectionizer(nlp: Language) -> None:
    """Add chartroom's section tagger (regex over section_rules.json; see models.sections)."""
    nlp.add_pipe(SECTIONS)


class TargetedContext:
    """medspaCy's ConText, called only on docs that hold at least one target span.

    ConText runs a Matcher over the whole doc and pairs every modifier with every target, so a
    piece of text without a diagnosis mention is skipped outright.
    """

    def __init__(self, context: Any, span_group: str) -> None:
        self.context = context
        self.span_group = span_group

    def __call__(self, doc: Doc) -> Doc:
        group = doc.spans.get(self.span_group)
        if not group:
            return doc
        # targets as a list: ConText walks them once per modifier, and each walk over a SpanGroup
        # makes new Span objects
        doc._.set(TARGETS_ATTR, list(group))
        doc = cast(Doc, self.context(doc, targets=TARGETS_ATTR))
        doc._.set(TARGETS_ATTR, None)
        return doc


def make_context(nlp: Language, name: str, span_group: str) -> TargetedContext:
    """medspaCy's ConText with chartroom's rules, wrapped in `TargetedContext`."""
    import medspacy  # noqa: F401  (registers the medspacy_* factories)
    from medspacy.context import ConTextRule

    quiet_medspacy_logging()
    Doc.set_extension(TARGETS_ATTR, default=None, force=True)
    context: Any = nlp.create_pipe(
        CONTEXT,
        config={
            "rules": None,
            "span_attrs": None,
            "input_span_type": "group",
            "span_group_name": span_group,
            "prune_on_modifier_overlap": True,
            "prune_on_target_overlap": True,
        },
    )
    rules = [x for r in _load_rules(CONTEXT_RULES, "context_rules") for x in expand_to_literals(r)]
    # set here, not in the config: spaCy's config validation turns the lists into one-shot
    # iterators, which only the first rule would see
    context.terminating_types = {k: list(v) for k, v in TERMINATING_TYPES.items()}
    context.add([ConTextRule.from_dict(r) for r in rules])
    return TargetedContext(context, span_group)


make_context.__annotations__ = get_type_hints(make_context)
Language.factory(TARGETED_CONTEXT, func=make_context)


def add_context(nlp: Language, span_group: str) -> None:
    """Add medspaCy's ConText over the spans in doc.spans[span_group]."""
    nlp.add_pipe(TARGETED_CONTEXT, config={"span_group": span_group})


def section_of(span: Span) -> str:
    """Normalised section category of the span's start, or "" outside any section."""
    sections = span.doc.user_data.get(SECTIONS_KEY)
    if isinstance(sections, SectionMap):
        return sections.at(span.start_char)
    return str(span.doc.user_data.get(INITIAL_SECTION_KEY, ""))


def assertion_of(span: Span, section: str) -> Assertion:
    """Assertion from ConText modifiers on the span and from the section it sits in."""
    found: set[Assertion] = set()
    modifiers: Iterable[Any] = span._.modifiers if Span.has_extension("modifiers") else ()
    for modifier in modifiers:
        assertion = CATEGORY_TO_ASSERTION.get(str(modifier.category).upper())
        if assertion is not None:
            found.add(assertion)
    if section in SECTION_TO_ASSERTION:
        found.add(SECTION_TO_ASSERTION[section])
    answer = _ANSWER.match(doc_text(span.doc), span.end_char)
    if answer is not None:  # the row's own answer overrides a "no" reaching in from before
        found.discard(Assertion.NEGATED)
        if answer.group(1).lower() in _NO:
            found.add(Assertion.NEGATED)
    for assertion in PRECEDENCE:
        if assertion in found:
            return assertion
    return Assertion.AFFIRMED
