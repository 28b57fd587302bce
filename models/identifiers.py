"""Patient and provider identifiers: MRN, patient name, date of birth, sex, physicians.

All label-anchored regular expressions over normalised text; offsets are into that text (the
pipeline maps them back). Values are normalised: MRN upper-case without spaces or dashes, names
"LAST, FIRST" in upper case (middle names and initials dropped), dates ISO, sex "F"/"M"/"X".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from models.dates import RawDate
from models.types import DateRole

# Letters: ASCII plus Latin-1 and Latin Extended-A ("Kitéaus", "Ńowak"); upper case first.
_UP = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"
_LETTER = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u017f"
_NAME_PART = rf"[{_UP}][{_LETTER}'\-]*[{_LETTER}]"
_INITIAL = rf"[{_UP}]\.?"
_STOP = (
    r"(?!(?i:DOB|D\.O\.B|MRN|MR|Sex|Age|Gender|Date|Room|Rm|Bed|Acct|Account|ID|Unit|Admit|Admitted|"
    r"Attending|Physician|Provider|Visit|Service|Location|Ward|Floor|Phone|Tel|Address|SSN|"
    r"Male|Female|Unknown|None|The|This|Was|Is|Has|Seen|Patient|Pt|Name|Race|Insurance|"
    r"MD|DO|NP|PA|RN|PhD|MBBS|DPM|CRNA|FACS|Jr|Sr|II|III|IV)\b)"
)
_WORD = rf"{_STOP}{_NAME_PART}"
# Surname particles: "DE LA CRUZ", "van der Berg", "O'Neil" is one word already.
_PARTICLE = (
    r"(?i:de|del|della|de\s?la|da|das|do|dos|di|du|la|le|van|von|der|den|ter|ten|st\.?|san"
    r"|bin|ibn|al|el|mac|mc)"
)
# A surname written before a comma may be several words: "SMITH JONES" (a hyphen printed as a
# space), "DE LA CRUZ", "van der Berg".
_SURNAME_BEFORE_COMMA = rf"(?:{_PARTICLE}[ ]){{0,3}}{_WORD}(?:[ ]{_WORD}){{0,2}}"
_SURNAME_LAST = rf"(?:{_PARTICLE}[ ]){{0,3}}{_WORD}"
_AFTER = rf"(?![{_LETTER}])"
# "DOE, JANE A" | "Jane A. Doe" | "Jane Doe" | "Ana de la Cruz"
_NAME = (
    rf"(?P<last1>{_SURNAME_BEFORE_COMMA})[ ]?,[ ]?(?P<first1>{_WORD})"
    rf"(?:[ ](?:{_INITIAL}{_AFTER}|{_WORD}))?"
    rf"|(?P<first2>{_WORD})[ ](?:(?:{_INITIAL}|{_WORD})[ ](?={_SURNAME_LAST}))?"
    rf"(?P<last2>{_SURNAME_LAST})"
)
_CREDENTIALS = (
    r"(?:,?[ ]?(?i:M\.?D|D\.?O|N\.?P|PA-C|P\.?A|R\.?N|MBBS|Ph\.?D|DPM|CRNA|FACS)\.?(?![A-Za-z]))*"
)

_MRN_LABEL = re.compile(
    r"(?<![A-Za-z])(?:MRN|M\.R\.N\.?|MR\s?#|MR\s?No\.?|Medical\s+Record\s+(?:Number|No\.?|#)"
    r"|Med\s+Rec\s+(?:No\.?|#)|Patient\s+ID|Pt\.?\s+ID|Chart\s+(?:No\.?|#|Number))"
    r"[ ]?(?:[:#.]|No\.?)?[ ]?#?[ ]?",
    re.IGNORECASE,
)
_MRN_VALUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{3,24}(?![A-Za-z0-9])")
_OTHER_NUMBER = re.compile(
    r"(?:acct|account|phone|tel|fax|npi|ssn|order|accession|specimen|ref|room|rm|bed|zip|dea|"
    r"license|policy|group|claim|encounter|visit|csn|fin|date|dob|d\.o\.b\.?)\s*[:#.]?\s*(?:no\.?|#)?\s*$",
    re.IGNORECASE,
)
_DATE_SHAPED = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_PATIENT = re.compile(
    r"(?P<label>(?<![A-Za-z])(?i:Patient\s+Name|Pt\.?\s+Name|Patient|Name))[ ]?:[ ]?"
    rf"(?P<value>{_NAME}){_AFTER}",
)
_OTHER_NAME_OWNER = re.compile(
    r"(?:physician|provider|doctor|facility|company|insurance|insurer|contact|emergency|guarantor|"
    r"father|mother|spouse|parent|guardian|hospital|clinic|employer|pharmacy|user|file|test|"
    r"drug|medication|procedure|specimen|family)\s*$",
    re.IGNORECASE,
)
_SEX = re.compile(
    r"(?<![A-Za-z])(?:(?:Sex|Gender)[ ]?/[ ]?Age[ ]?:[ ]?(?P<v1>[MFmf])[ ]?/[ ]?\d{1,3}"
    r"|Age[ ]?/[ ]?(?:Sex|Gender)[ ]?:[ ]?\d{1,3}[ ]?(?:y|yo|yrs?)?[ ]?/[ ]?(?P<v2>[MFmf])"
    r"|(?:Sex|Gender)[ ]?[:\-]?[ ]?(?P<v3>Male|Female|M|F|Unknown|U|X|Other|Non-?binary))"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
_SEX_PROSE = re.compile(
    r"\b\d{1,3}[ \-](?:year|yr)s?[ \-]old[ ](?P<v>male|female|man|woman|gentleman|lady|boy|girl)\b",
    re.IGNORECASE,
)
_PHYSICIAN = re.compile(
    r"(?P<label>(?<![A-Za-z])(?i:Attending(?:\s+Physician)?|Admitting\s+Physician|Surgeon"
    r"|Assistant\s+Surgeon|Ordering\s+Physician|Ordering\s+Provider|Referring\s+Physician"
    r"|Primary\s+Care\s+Physician|PCP|Consultant|Consulting\s+Physician|Pathologist|Radiologist"
    r"|Dictated\s+by|Electronically\s+signed\s+by|Signed\s+by|Authenticated\s+by|Physician"
    r"|Provider)(?:\s+Name)?)[ ]?:?[ ]?"
    rf"(?P<value>(?:Dr\.?[ ])?(?:{_NAME}|(?P<only>{_WORD})){_CREDENTIALS})",
)
_SEX_VALUE = {"m": "M", "male": "M", "man": "M", "gentleman": "M", "boy": "M", "f": "F",
              "female": "F", "woman": "F", "lady": "F", "girl": "F"}  # fmt: skip


# Each label pattern's matches start with one of these (ASCII, any case): see _label_matches.
_MRN_STARTS = ("mrn", "m.r.n", "mr", "medical", "med", "patient", "pt", "chart")
_PATIENT_STARTS = ("patient", "pt", "name")
_PHYSICIAN_STARTS = (
    "attending", "admitting", "surgeon", "assistant", "ordering", "referring", "primary", "pcp",
    "consult", "pathologist", "radiologist", "dictated", "electronically", "signed",
    "authenticated", "physician", "provider",
)  # fmt: skip


def _label_matches(
    pattern: re.Pattern[str], text: str, starts: tuple[str, ...]
) -> Iterator[re.Match[str]]:
    """pattern.finditer(text) for a pattern whose every match starts with one of `starts` (in any
    case): only the positions where one of them occurs are tried, instead of every position.
    Same matches for ASCII text (where re.IGNORECASE is plain ASCII case folding); other text
    gets the plain finditer."""
    if not text.isascii():
        yield from pattern.finditer(text)
        return
    low = text.lower()
    positions: set[int] = set()
    for start in starts:
        p = low.find(start)
        while p != -1:
            positions.add(p)
            p = low.find(start, p + 1)
    end = 0
    for p in sorted(positions):
        if p >= end and (m := pattern.match(text, p)) is not None:
            yield m
            end = m.end()


@dataclass(frozen=True)
class RawIdentifier:
    kind: str
    value: str
    start: int
    end: int
    confidence: float


def _person(m: re.Match[str]) -> str:
    g = m.groupdict()
    last = g.get("last1") or g.get("last2")
    first = g.get("first1") or g.get("first2")
    if last and first:
        return f"{' '.join(last.split()).upper()}, {first.upper()}"
    return (g.get("only") or "").upper()


def find_mrns(text: str, pattern: str) -> list[RawIdentifier]:
    """MRNs after an MRN label whose value (dashes and spaces removed) matches `pattern`."""
    site = re.compile(pattern)
    found: list[RawIdentifier] = []
    for label in _label_matches(_MRN_LABEL, text, _MRN_STARTS):
        m = _MRN_VALUE.match(text, label.end())
        if m is None:
            continue
        value = m.group().replace("-", "").upper()
        if site.fullmatch(value) or site.fullmatch(m.group()):
            found.append(RawIdentifier("mrn", value, m.start(), m.end(), 0.95))
    return found


def find_unlabelled_mrns(text: str, pattern: str, head: int = 600) -> list[RawIdentifier]:
    """Stand-alone tokens near the top that match the site's MRN format (low confidence)."""
    site = re.compile(pattern)
    found: list[RawIdentifier] = []
    for m in _MRN_VALUE.finditer(text, 0, min(len(text), head)):
        token = m.group()
        if m.start() > 0 and not text[m.start() - 1].isspace():
            continue
        if sum(c.isdigit() for c in token) < 6 or not site.fullmatch(token.upper()):
            continue
        before = text[max(0, m.start() - 25) : m.start()].split("\n")[-1]
        if _OTHER_NUMBER.search(before) or _DATE_SHAPED.fullmatch(token):
            continue
        found.append(RawIdentifier("mrn", token.upper(), m.start(), m.end(), 0.4))
    return found


def find_patient_names(text: str) -> list[RawIdentifier]:
    found: list[RawIdentifier] = []
    for m in _label_matches(_PATIENT, text, _PATIENT_STARTS):
        label = m.group("label")
        if label == "Name":
            line_before = text[max(0, m.start() - 30) : m.start()].split("\n")[-1]
            if _OTHER_NAME_OWNER.search(line_before):
                continue
            confidence = 0.7
        else:
            confidence = 0.85 if label == "Patient" else 0.9
        v = m.span("value")
        found.append(RawIdentifier("patient_name", _person(m), v[0], v[1], confidence))
    return found


def find_sex(text: str) -> list[RawIdentifier]:
    found: list[RawIdentifier] = []
    # Every _SEX match holds "sex" or "gender", every _SEX_PROSE match "old" (in any case; for
    # ASCII text re.IGNORECASE is plain ASCII case folding): skip the scans when none is there.
    low = text.lower() if text.isascii() else None
    labelled = low is None or "sex" in low or "gender" in low
    for m in _SEX.finditer(text) if labelled else ():
        group = next(g for g in ("v1", "v2", "v3") if m.group(g))
        raw = m.group(group).lower()
        value = _SEX_VALUE.get(raw, "X")
        found.append(RawIdentifier("sex", value, m.start(group), m.end(group), 0.95))
    for m in _SEX_PROSE.finditer(text) if low is None or "old" in low else ():
        value = _SEX_VALUE[m.group("v").lower()]
        found.append(RawIdentifier("sex", value, m.start("v"), m.end("v"), 0.6))
    return found


def find_physicians(text: str) -> list[RawIdentifier]:
    found: list[RawIdentifier] = []
    for m in _label_matches(_PHYSICIAN, text, _PHYSICIAN_STARTS):
        value = _person(m)
        if not value:
            continue
        single = m.group("only") is not None
        confidence = 0.6 if single else 0.85
        found.append(
            RawIdentifier("physician", value, m.start("value"), m.end("value"), confidence)
        )
    return found


def dob_identifiers(dates: list[RawDate]) -> list[RawIdentifier]:
    return [
        RawIdentifier("dob", d.value.isoformat(), d.start, d.end, 0.9)
        for d in dates
        if d.role == DateRole.BIRTH
    ]


def find_identifiers(text: str, dates: list[RawDate], mrn_pattern: str) -> list[RawIdentifier]:
    """All identifiers in `text`, sorted by position, one per (kind, value)."""
    mrns = find_mrns(text, mrn_pattern) or find_unlabelled_mrns(text, mrn_pattern)
    found = [
        *mrns,
        *find_patient_names(text),
        *dob_identifiers(dates),
        *find_sex(text),
        *find_physicians(text),
    ]
    return dedupe(found)


def dedupe(found: list[RawIdentifier]) -> list[RawIdentifier]:
    """One identifier per (kind, value): the most confident, the first in the text on a tie."""
    best: dict[tuple[str, str], RawIdentifier] = {}
    for i in sorted(found, key=lambda i: (i.start, i.end)):
        kept = best.get((i.kind, i.value))
        if kept is None or i.confidence > kept.confidence:
            best[(i.kind, i.value)] = i
    return sorted(best.values(), key=lambda i: (i.start, i.kind))
