"""Patient-name normalisation and fuzzy comparison for the filing rules.

Names arrive as "LAST, FIRST" from the NLP step and as separate last/first fields from the
patient index. Both are reduced to upper-case ASCII tokens (accents stripped, punctuation and
hyphens turned into spaces, titles, suffixes and middle initials dropped) and compared part by
part with rapidfuzz, so that "Smith-Jones, José A." and "SMITH JONES, JOSE" are the same name.

`compare_names` returns the surname and first-name similarities separately as well as a combined
score: the filing rules need both a "confirms" level (combined score over the configured
threshold) and a "clearly differs" level (either part far off, e.g. twins "DOE, JANE" and
"DOE, JOAN" share a surname but clearly differ).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

# Either part below these similarities (0-1) means "a different person".
SURNAME_DIFFERS = 0.75
FIRST_NAME_DIFFERS = 0.8
# One surname's parts contained in the other's ("GARCIA" vs "GARCIA-LOPEZ").
PARTIAL_SURNAME = 0.95
# A first name given only as its initial that agrees with the other first name.
INITIAL_AGREES = 0.85
# Penalty when the name only matches with surname and first name swapped.
SWAPPED_FACTOR = 0.9

_TITLES = frozenset({"MR", "MRS", "MS", "MISS", "DR", "PROF"})
_SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV"})
_OCR_LETTER = str.maketrans({"0": "O", "1": "L", "5": "S", "8": "B"})
_NOT_LETTER = re.compile(r"[^A-Z ]+")


@dataclass(frozen=True)
class PersonName:
    last: tuple[str, ...]  # surname tokens, e.g. ("SMITH", "JONES")
    first: tuple[str, ...]  # given-name tokens without middle initials, e.g. ("JOSE",)


@dataclass(frozen=True)
class NameMatch:
    score: float  # combined similarity 0-1 (length-weighted over surname and first name)
    surname: float  # 0-1
    first: float  # 0-1
    differs: bool  # one of the parts is clearly different

    def confirms(self, threshold: float) -> bool:
        return not self.differs and self.score >= threshold


def tokens(text: str) -> tuple[str, ...]:
    """Upper-case ASCII tokens of a name part: accents stripped, apostrophes removed
    ("O'Brien" -> "OBRIEN"), other punctuation and hyphens split, titles and suffixes dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.upper().replace("ß", "SS").translate(_OCR_LETTER)
    plain = plain.replace("'", "").replace("\u2019", "").replace("`", "")
    plain = _NOT_LETTER.sub(" ", plain)
    return tuple(t for t in plain.split() if t not in _TITLES and t not in _SUFFIXES)


def parse_name(value: str) -> PersonName:
    """ "LAST, FIRST [MIDDLE]" (the NLP step's form) -> PersonName; without a comma the last
    token is taken as the surname ("Jane A. Doe")."""
    if "," in value:
        last_text, first_text = value.split(",", 1)
        return person(last_text, first_text)
    parts = tokens(value)
    if len(parts) < 2:
        return PersonName(parts, ())
    return PersonName(parts[-1:], _given(parts[:-1]))


def person(last: str, first: str) -> PersonName:
    return PersonName(tokens(last), _given(tokens(first)))


def _given(parts: tuple[str, ...]) -> tuple[str, ...]:
    """Drop middle initials (single letters) unless the first name itself is an initial."""
    if not parts:
        return ()
    rest = tuple(t for t in parts[1:] if len(t) > 1)
    return (parts[0], *rest)


def _ratio(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100.0


def surname_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    if not a or not b:
        return 0.0
    best = max(
        _ratio(" ".join(a), " ".join(b)),
        _ratio("".join(a), "".join(b)),  # "DE LA CRUZ" vs "DELACRUZ"
        fuzz.token_sort_ratio(" ".join(a), " ".join(b)) / 100.0,  # "LOPEZ GARCIA" vs reversed
    )
    sa, sb = set(a), set(b)
    shared = sa & sb
    if shared and (sa <= sb or sb <= sa) and max(len(t) for t in shared) >= 3:
        best = max(best, PARTIAL_SURNAME)
    return best


def first_similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    if not a or not b:
        return 0.0
    if _initial(a) or _initial(b):
        return INITIAL_AGREES if a[0][0] == b[0][0] else 0.0
    return max(_ratio(a[0], b[0]), _ratio(" ".join(a), " ".join(b)))


def _initial(parts: tuple[str, ...]) -> bool:
    return bool(parts) and len(parts[0]) == 1


def _straight(doc: PersonName, rec: PersonName) -> NameMatch:
    s = surname_similarity(doc.last, rec.last)
    f = first_similarity(doc.first, rec.first)
    len_s = max(len("".join(doc.last)), 1)
    len_f = max(len(doc.first[0]) if doc.first else 0, 1)
    if not doc.first or not rec.first:
        # A surname alone never confirms; it only counts against a clearly different surname.
        return NameMatch(min(s, 0.8), s, 0.0, s < SURNAME_DIFFERS)
    score = (len_s * s + len_f * f) / (len_s + len_f)
    if _initial(doc.first) or _initial(rec.first):
        score = min(score, INITIAL_AGREES)  # an initial agrees but never confirms
    return NameMatch(score, s, f, s < SURNAME_DIFFERS or f < FIRST_NAME_DIFFERS)


def compare_names(doc: PersonName, rec: PersonName) -> NameMatch:
    """How well a name read from a document matches a patient's name.

    A swapped reading ("JOHN, SMITH" for SMITH, JOHN) never confirms (its score is scaled by
    SWAPPED_FACTOR, below any sensible threshold) but does not count as clearly different either.
    """
    straight = _straight(doc, rec)
    if not straight.differs or not doc.first:
        return straight
    swapped = _straight(PersonName(doc.first, doc.last), rec)
    if swapped.differs:
        return straight
    return NameMatch(swapped.score * SWAPPED_FACTOR, swapped.surname, swapped.first, False)
