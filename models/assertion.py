"""Sections and assertion status: medspaCy Sectionizer and ConText configured from models/data/.

Rules live in models/data/section_rules.json and models/data/context_rules.json (derived from
medspaCy's defaults, with the known faults fixed: "evaluate for" is hypothetical, "ruled out" reads
both ways, "history of present illness" is not history, family history and chart section headers
medspaCy lacks). Components are added by their registered names; medspacy.load() is never used
because it adds PyRuSH, which logs every token (patient text) through loguru.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from importlib import resources
from typing import Any

from spacy.language import Language
from spacy.tokens import Span

from models.types import Assertion

log = logging.getLogger(__name__)

DATA_PACKAGE = "models.data"
SECTION_RULES = "section_rules.json"
CONTEXT_RULES = "context_rules.json"
SECTIONIZER = "medspacy_sectionizer"
CONTEXT = "medspacy_context"

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


def _load_rules(name: str, key: str) -> list[dict[str, Any]]:
    text = resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    rules: list[dict[str, Any]] = json.loads(text)[key]
    return rules


def add_sectionizer(nlp: Language) -> None:
    """Add medspaCy's Sectionizer with chartroom's section headers; headers end sentences."""
    import medspacy  # noqa: F401  (registers the medspacy_* factories)
    from medspacy.section_detection import SectionRule

    quiet_medspacy_logging()
    sectionizer: Any = nlp.add_pipe(
        SECTIONIZER,
        config={"rules": None, "span_attrs": None, "apply_sentence_boundary": True},
    )
    sectionizer.add([SectionRule.from_dict(r) for r in _load_rules(SECTION_RULES, "section_rules")])


def add_context(nlp: Language, span_group: str) -> None:
    """Add medspaCy's ConText over the spans in doc.spans[span_group]."""
    import medspacy  # noqa: F401  (registers the medspacy_* factories)
    from medspacy.context import ConTextRule

    quiet_medspacy_logging()
    context: Any = nlp.add_pipe(
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
    context.add([ConTextRule.from_dict(r) for r in _load_rules(CONTEXT_RULES, "context_rules")])


def section_of(span: Span) -> str:
    """Normalised section category of the span's first token, or "" outside any section."""
    section = getattr(span.doc[span.start]._, "section", None)
    category = getattr(section, "category", None)
    return category or ""


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
    for assertion in PRECEDENCE:
        if assertion in found:
            return assertion
    return Assertion.AFFIRMED
