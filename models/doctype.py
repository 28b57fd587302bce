"""Document type and signature status from keyword evidence (no model).

Each type has title patterns and body patterns. A title pattern counts TITLE_WEIGHT when it
matches one of the first TITLE_LINES non-empty lines (a line that is mostly the title counts a bit
more); each body pattern counts its weight once, wherever it is. The best-scoring type
wins; confidence grows with its score and with its margin over the runner-up. No evidence -> OTHER
with confidence 0.
"""

from __future__ import annotations

import math
import re

from models.types import DocumentType, DocumentTypeGuess

TITLE_LINES = 8
TITLE_WEIGHT = 4.0
MIN_SCORE = 1.0

_T = DocumentType
# type -> (title patterns, [(body pattern, weight)])
_EVIDENCE: dict[DocumentType, tuple[tuple[str, ...], tuple[tuple[str, float], ...]]] = {
    _T.DISCHARGE_SUMMARY: (
        (r"discharge\s+summary", r"discharge\s+note", r"death\s+summary"),
        (
            (r"hospital\s+course", 1.5),
            (r"discharge\s+(?:diagnos[ie]s|medications|instructions)", 1.0),
            (r"date\s+of\s+discharge|discharge\s+date", 1.0),
            (r"condition\s+(?:at|on)\s+discharge", 1.0),
            (r"disposition", 0.5),
        ),
    ),
    _T.HISTORY_AND_PHYSICAL: (
        (r"history\s+(?:and|&)\s+physical", r"\bH\s?&\s?P\b", r"admission\s+(?:history|note)"),
        (
            (r"history\s+of\s+present\s+illness|\bHPI\b", 0.7),
            (r"review\s+of\s+systems|\bROS\b", 0.7),
            (r"physical\s+exam(?:ination)?", 0.7),
            (r"past\s+medical\s+history", 0.5),
            (r"chief\s+complaint", 0.5),
        ),
    ),
    _T.PROGRESS_NOTE: (
        (
            r"progress\s+note",
            r"\bSOAP\s+note",
            r"daily\s+note",
            r"follow[\s-]?up\s+(?:note|visit)",
            r"clinic\s+note",
            r"office\s+visit",
        ),
        (
            (r"^\s*(?:S|Subjective)\s*:", 1.0),
            (r"^\s*(?:O|Objective)\s*:", 1.0),
            (r"\bSOAP\b", 1.0),
            (r"interval\s+history", 1.0),
        ),
    ),
    _T.OPERATIVE_REPORT: (
        (r"operative\s+(?:report|note)", r"op\s+note", r"procedure\s+note", r"brief\s+op"),
        (
            (r"pre-?\s?operative\s+diagnosis", 1.5),
            (r"post-?\s?operative\s+diagnosis", 1.5),
            (r"procedure\s+performed|procedures?\s*:", 1.0),
            (r"anesthesia\s*:", 1.0),
            (r"estimated\s+blood\s+loss|\bEBL\b", 1.0),
            (r"\bsurgeon\s*:", 1.0),
        ),
    ),
    _T.PATHOLOGY_REPORT: (
        (r"pathology\s+report", r"surgical\s+pathology", r"cytology\s+report", r"pathology\b"),
        (
            (r"gross\s+description", 1.5),
            (r"microscopic(?:\s+description)?", 1.5),
            (r"specimen(?:s)?\s*(?:submitted)?\s*:", 1.0),
            (r"final\s+(?:pathologic\s+)?diagnosis", 1.0),
            (r"\bpathologist\b", 1.0),
        ),
    ),
    _T.RADIOLOGY_REPORT: (
        (
            r"radiology",
            r"\bCT\b",
            r"\bMRI\b",
            r"\bX-?RAY\b",
            r"ultrasound",
            r"\bCTA\b",
            r"radiograph",
            r"mammogra",
            r"imaging\s+report",
            r"\bPET\b",
        ),
        (
            (r"^\s*impression\s*:", 1.0),
            (r"^\s*findings\s*:", 1.0),
            (r"^\s*technique\s*:", 1.0),
            (r"^\s*comparison\s*:", 1.0),
            (r"\bcontrast\b", 0.5),
            (r"\bradiologist\b", 1.0),
            (r"\bCT\b|\bMRI\b|\bX-?ray\b", 0.3),
        ),
    ),
    _T.LABORATORY_REPORT: (
        (
            r"laboratory",
            r"lab(?:oratory)?\s+(?:report|results)",
            r"\bCBC\b",
            r"metabolic\s+panel",
            r"urinalysis",
        ),
        (
            (r"reference\s+(?:range|interval)", 2.0),
            (r"\bunits\b|\bresult\b|\bflag\b", 0.5),
            (
                r"^\s*[A-Za-z][A-Za-z ,()%]{1,30}\s+\d+(?:\.\d+)?\s+(?:[HL]\s+)?[a-zA-Z/%^0-9.]+\s+"
                r"\d+(?:\.\d+)?\s*-\s*\d+(?:\.\d+)?\s*$",
                2.0,
            ),
            (r"\bspecimen\s+collected|\bcollected\s*:", 0.7),
        ),
    ),
    _T.CONSULTATION: (
        (r"consultation", r"consult\s+note", r"\bconsult\b"),
        (
            (r"reason\s+for\s+(?:consultation|consult|referral)", 2.0),
            (r"thank\s+you\s+for\s+(?:this|the)\s+(?:consult|referral)", 1.5),
            (r"requesting\s+physician|referring\s+physician", 1.0),
        ),
    ),
    _T.CONSENT_FORM: (
        (
            r"consent",
            r"authorization",
            r"release\s+of\s+information",
            r"advance\s+directive",
            r"registration\s+form",
        ),
        (
            (r"\bI\s+(?:hereby\s+)?(?:authorize|consent|understand|acknowledge)", 1.5),
            (r"signature\s+of\s+(?:patient|witness|legal)", 1.5),
            (r"\bwitness\b", 0.5),
            (r"risks?(?:,|\s+and)\s+benefits", 0.7),
            (r"legal\s+guardian|relationship\s+to\s+patient", 0.7),
        ),
    ),
    _T.CORRESPONDENCE: (
        (r"^\s*dear\s", r"\bletter\b", r"referral\s+letter"),
        (
            (r"^\s*dear\s+(?:dr|mr|mrs|ms|doctor|colleague|sir)", 2.0),
            (r"^\s*(?:sincerely|kind\s+regards|best\s+regards|yours\s+(?:truly|sincerely))", 2.0),
            (r"\bre\s*:", 0.5),
            (r"\bcc\s*:", 0.5),
        ),
    ),
}


def _lower_pattern(pattern: str) -> re.Pattern[str]:
    """Compile for lower-cased text: far faster than re.IGNORECASE on every search."""
    assert not re.search(r"\\[SDWBAZ]", pattern), pattern
    return re.compile(pattern.lower(), re.MULTILINE)


_META = frozenset("()[]{}|.?*+^$\\")
_QUANTIFIERS = frozenset("?*+{")


def _leading_literal(alternative: str) -> tuple[str, str]:
    """(lead, literal): the literal characters an alternative starts with, after a lead of "\\b",
    "^\\s*" or nothing; every match holds them, adjacent. The literal is "" when there is none."""
    lead = next((x for x in ("\\b", "^\\s*") if alternative.startswith(x)), "")
    rest = alternative[len(lead) :]
    run: list[str] = []
    i = 0
    while i < len(rest):
        ch = rest[i]
        if ch == "\\" and i + 1 < len(rest) and not rest[i + 1].isalnum():
            ch, step = rest[i + 1], 2  # an escaped mark such as "\\." or "\\-"
        elif ch in _META:
            break
        else:
            step = 1
        if rest[i + step : i + step + 1] in _QUANTIFIERS:
            break  # optional or repeated: not required as it stands
        run.append(ch)
        i += step
    return lead, "".join(run)


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of `pattern` (split at "|" outside groups and classes)."""
    alternatives: list[str] = []
    depth, start, i = 0, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":  # a class: skip to its closing "]" (one right after "[" or "[^" is literal)
            i += 2 if pattern[i + 1 : i + 2] == "^" else 1
            i += 1 if pattern[i : i + 1] == "]" else 0
            while i < len(pattern) and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            alternatives.append(pattern[start:i])
            start = i + 1
        i += 1
    alternatives.append(pattern[start:])
    return alternatives


class _Evidence:
    """A pattern for lower-cased text, searched only where it can match.

    Each top-level alternative that starts with a literal (after "\\b" or "^\\s*") is tried only
    when that literal is in the text, and one led by "\\b" only where the literal occurs (a
    position-less regex search would try every position). Same answers as `regex.search`.
    """

    __slots__ = ("needles", "parts", "regex")

    def __init__(self, pattern: str) -> None:
        self.regex = _lower_pattern(pattern)
        alternatives = _alternatives(pattern.lower())
        leads = [_leading_literal(alt) for alt in alternatives]
        known = all(literal for _, literal in leads)
        self.needles = tuple(literal for _, literal in leads) if known else None
        self.parts = (
            [
                (lead, literal, re.compile(alt, re.MULTILINE))
                for (lead, literal), alt in zip(leads, alternatives, strict=True)
            ]
            if known
            else None
        )

    def search(self, text: str) -> re.Match[str] | None:
        """The first match, as regex.search gives it."""
        if self.needles is not None and not any(n in text for n in self.needles):
            return None
        return self.regex.search(text)

    def found(self, text: str) -> bool:
        """Whether the pattern matches anywhere in `text`."""
        if self.parts is None:
            return self.regex.search(text) is not None
        for lead, literal, alternative in self.parts:
            if lead != "\\b":
                if literal in text and alternative.search(text):
                    return True
                continue
            pos = text.find(literal)  # a match starts where the literal does
            while pos != -1:
                if alternative.match(text, pos):
                    return True
                pos = text.find(literal, pos + 1)
        return False


_COMPILED = {
    doc_type: (
        [_Evidence(p) for p in titles],
        [(_Evidence(p), w) for p, w in body],
    )
    for doc_type, (titles, body) in _EVIDENCE.items()
}
_WORDS = re.compile(r"[A-Za-z]{2,}")

_SIGNED = re.compile(
    r"(?<!not )(?<!un)(?:electronically|digitally|e-)\s?signed(?:\s+by)?\s*:?\s*\S"
    r"|^\s*(?:signed|authenticated|attested|verified)(?:\s+by)?\s*:?[ \t]*(?:Dr\.?\s*)?[A-Z0-9/]"
    r"|(?<!not )(?:reviewed\s+and\s+)?(?<!un)signed\s+by\s*:?\s*(?:Dr\.?\s*)?[A-Z]"
    r"|authenticated\s+by\s*:?\s*[A-Z]"
    r"|(?:^|\s)/s/\s*[A-Z]",
    re.IGNORECASE | re.MULTILINE,
)
_SIGNED_NEEDLES = ("signed", "authenticated", "attested", "verified", "/s/")
_SIGNATURE_LINE = re.compile(
    r"^.*\bsignature\b[^\n:]*:?(?P<rest>[^\n]*)$", re.IGNORECASE | re.MULTILINE
)
_REST_HAS_CONTENT = re.compile(
    r"(?:/s/\s*)?[A-Z][a-z]+(?:\s+[A-Z]\.?)*\s+[A-Z][A-Za-z'\-]+(?![A-Za-z'\-]|\s*:)"
    r"|\d{1,2}[/\-.]\d{1,2}[/\-.]\d{2,4}"
)
_EMPTY_DATE = re.compile(r"\bdate\s*:?\s*_*\s*$", re.IGNORECASE)


def _scores(text: str) -> dict[DocumentType, float]:
    text = text.lower()
    lines = [ln for ln in text.split("\n", 60)[:60] if ln.strip()][:TITLE_LINES]
    head = "\n".join(lines)
    scores: dict[DocumentType, float] = {}
    for doc_type, (titles, body) in _COMPILED.items():
        score = 0.0
        for pattern in titles:
            m = pattern.search(head)
            if m:
                line_start = head.rfind("\n", 0, m.start()) + 1
                line_end = head.find("\n", m.end())
                line = head[line_start : None if line_end == -1 else line_end]
                score += TITLE_WEIGHT + (1.0 if len(_WORDS.findall(line)) <= 5 else 0.0)
        for pattern, weight in body:
            if pattern.found(text):
                score += weight
        if score:
            scores[doc_type] = score
    return scores


def guess_document_type(text: str) -> DocumentTypeGuess:
    """The most likely document type of a note, with a confidence between 0 and 1."""
    scores = _scores(text)
    if not scores:
        return DocumentTypeGuess(DocumentType.OTHER, 0.0)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if top < MIN_SCORE:
        return DocumentTypeGuess(DocumentType.OTHER, round(0.5 - top / 4, 2))
    strength = 1.0 - math.exp(-top / 3.0)
    margin = (top - second) / top
    confidence = strength * (0.5 + 0.5 * margin)
    return DocumentTypeGuess(best, round(min(0.99, confidence), 2))


def is_signed(text: str) -> bool:
    """True when a filled electronic or written signature line is present."""
    # Every match of _SIGNED holds one of _SIGNED_NEEDLES and every match of _SIGNATURE_LINE holds
    # "signature" (in any case; for ASCII text, re.IGNORECASE is plain ASCII case folding): skip
    # the searches, which try every position, when the text holds none.
    low = text.lower() if text.isascii() else None
    if (low is None or any(n in low for n in _SIGNED_NEEDLES)) and _SIGNED.search(text):
        return True
    if low is not None and "signature" not in low:
        return False
    for m in _SIGNATURE_LINE.finditer(text):
        rest = m.group("rest")
        if "signature of" in m.group().lower() and not rest.strip(" _:\t"):
            continue
        if _EMPTY_DATE.search(rest) and not _REST_HAS_CONTENT.search(rest):
            continue
        if _REST_HAS_CONTENT.search(rest):
            return True
    return False
