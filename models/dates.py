"""Dates in clinical text: label-anchored, OCR-tolerant regular expressions (no dateparser).

Formats read: 03/14/2019, 3-14-19, 3/14/19, 03.14.2019, March 14, 2019, Mar 14 2019,
Mar. 14th, 2019, 14 Mar 2019, 14-MAR-2019, 14-MAR-19, 2019-03-14, 2019/03/14 and 20190314.
OCR damage tolerated: spaces around separators ("03 /14/ 2019"), mixed "/" and "-", l/I/O read
for 1/0 (fixed by the normaliser first), "0ct", "Ju1y", "Novernber" in month names. Numbers are
month/day (US); when the first number cannot be a month and the second can (14/03/2019),
day/month. Impossible dates
(02/30/2019, 13/45/2020) and years outside 1900..today+20 are rejected.

20190314 (no separators) is only read when a date label governs it, or when it stands alone with a
plausible year and no identifier label (MRN, account, phone...) just before it.

Roles come from the nearest label before the date on the same line, or at the end of the line
before ("Date of Birth:\\n03/14/1950"); a label governs only the first date after it, or a range
("03/01/2019 - 03/05/2019"). Two-digit years: 20yy unless that is more than a year ahead
(19yy); for birth dates 19yy whenever 20yy would be in the future.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, get_type_hints

from models.types import DateRole

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

USER_DATA_KEY = "chartroom_dates"
MIN_YEAR = 1900

_MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_MONTH = r"[A-Za-z0][A-Za-z01]{2,8}"
_SEP = r"[ ]?[/\-.][ ]?"
_START = r"(?<![\w/.\-])"
_END = r"(?![\w/]|[.\-]\d)"
_DATE = re.compile(
    _START
    + "(?:"
    + r"(?P<Y>(?:19|20)\d\d)[ ]?(?P<t1>[/\-.])[ ]?(?P<M>\d{1,2})"
    + r"[ ]?(?P<t2>[/\-.])[ ]?(?P<D>\d{1,2})"
    + rf"|(?P<a>\d{{1,2}})(?P<s1>{_SEP})(?P<b>\d{{1,2}})(?P<s2>{_SEP})(?P<y>\d{{4}}|\d{{2}})"
    + r"|(?P<c>(?:19|20)\d{6})"
    + rf"|(?P<mon1>{_MONTH})\.?[ ]?(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?,?[ ]?(?P<y1>\d{{4}})"
    + rf"|(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?:[ ]?-[ ]?|[ ])(?P<mon2>{_MONTH})\.?"
    + r"(?:,?[ ]?|[ ]?-[ ]?)"
    + r"(?P<y2>\d{4}|\d{2})"
    + ")"
    + _END
)

# (role, pattern, how many characters may separate the label from the date on its line)
_LABELS: tuple[tuple[DateRole, str, int], ...] = (
    (DateRole.BIRTH, r"date\s+of\s+birth|birth\s*date|d\.?\s?o\.?\s?b\.?|born(?:\s+on)?", 40),
    (DateRole.ADMISSION, r"date\s+of\s+admission|admission\s+date|admit\s+date|admit(?:ted)?", 40),
    (DateRole.ADMISSION, r"admission", 20),
    (DateRole.DISCHARGE, r"date\s+of\s+discharge|discharge\s+date|discharged", 40),
    (DateRole.DISCHARGE, r"discharge", 20),
    (
        DateRole.SERVICE,
        r"dates?\s+of\s+service|service\s+date|d\.?o\.?s\.?|visit\s+date|date\s+of\s+visit"
        r"|procedure\s+date|date\s+of\s+(?:procedure|surgery|operation|exam(?:ination)?)"
        r"|surgery\s+date|exam\s+date|study\s+date|date\s+seen|seen\s+on|date\s+collected"
        r"|collection\s+date|collected(?:\s+on)?|encounter(?:\s+date)?",
        40,
    ),
    (
        DateRole.REPORT,
        r"report\s+date|date\s+(?:of\s+)?report(?:ed)?|reported(?:\s+on)?|dictated(?:\s+on)?"
        r"|transcribed(?:\s+on)?|date\s+signed|signed(?:\s+on)?|verified(?:\s+on)?|finali[sz]ed"
        r"|[DT]:",
        40,
    ),
    (DateRole.REPORT, r"electronically\s+signed|digitally\s+signed|authenticated", 120),
    (DateRole.OTHER, r"date|dated", 25),
)
_LABEL = re.compile(  # the shared prefix lets the engine skip most positions quickly
    r"(?<![\w/])(?=[abcdefprstv])(?:"
    + "|".join(rf"(?P<L{i}>(?:{pat})(?!\w))" for i, (_, pat, _) in enumerate(_LABELS))
    + ")",
    re.IGNORECASE,
)
_ID_LABEL = re.compile(
    r"(?:MRN|MR\s?#|ID|#|acct|account|phone|tel|fax|npi|ssn|order|accession|specimen|ref"
    r"|no\.?|number)\s*[:#.]?\s*$",
    re.IGNORECASE,
)
_RANGE = re.compile(r"\s*(?:-|to|through|thru|until|and)\s*", re.IGNORECASE)
_LABEL_TAIL = re.compile(r"[\s:#.\-]*")


@dataclass(frozen=True)
class RawDate:
    start: int
    end: int
    value: date
    role: DateRole


def _month(word: str) -> int | None:
    w = word.lower().replace("0", "o").replace("1", "l").replace("rn", "m")
    if len(w) < 3:
        return None
    if w == "sept":
        return 9
    for name, number in _MONTHS.items():
        if name.startswith(w):
            return number
    return None


def _year(text: str, role: DateRole, month: int, day: int, today: date) -> int:
    if len(text) == 4:
        return int(text)
    yy = int(text)
    year = 2000 + yy
    if role == DateRole.BIRTH:
        try:
            if date(year, month, day) > today:
                year -= 100
        except ValueError:
            pass
    elif year > today.year + 1:
        year -= 100
    return year


def _parts(m: re.Match[str]) -> tuple[str, int, int] | None:
    """(year text, month, day) of a match, or None when the shape is wrong."""
    g = m.groupdict()
    if g["Y"]:
        return g["Y"], int(g["M"]), int(g["D"])
    if g["a"]:
        s1, s2 = g["s1"].strip(), g["s2"].strip()
        if "." in (s1 + s2) and s1 != s2:
            return None  # "1.5-20" is a range of numbers, not a date
        a, b = int(g["a"]), int(g["b"])
        if a > 12 and b <= 12:
            a, b = b, a
        return g["y"], a, b
    if g["c"]:
        c = g["c"]
        return c[:4], int(c[4:6]), int(c[6:])
    if g["mon1"]:
        month = _month(g["mon1"])
        return None if month is None else (g["y1"], month, int(g["d1"]))
    month = _month(g["mon2"])
    return None if month is None else (g["y2"], month, int(g["d2"]))


def _label_role(
    text: str, start: int, labels: list[re.Match[str]], ends: list[int]
) -> tuple[DateRole, int] | None:
    """(role, label end) of the label governing a date at `start`, or None when none does."""
    k = bisect_right(ends, start) - 1
    if k < 0:
        return None
    label = labels[k]
    role, _, gap = _LABELS[int((label.lastgroup or "L0")[1:])]
    between = text[label.end() : start]
    if "\n" not in between:
        return (role, label.end()) if len(between) <= gap else None
    # label at the end of the previous line, date first on its own line
    if between.count("\n") == 1:
        tail, head = between.split("\n")
        if _LABEL_TAIL.fullmatch(tail) and len(head) <= 10:
            return role, label.end()
    return None


def find_dates(text: str, today: date | None = None) -> list[RawDate]:
    """Every date in `text`, with its role; offsets into `text`."""
    today = today or date.today()
    labels = list(_LABEL.finditer(text))
    ends = [lab.end() for lab in labels]
    found: list[RawDate] = []
    previous: RawDate | None = None
    for m in _DATE.finditer(text):
        parts = _parts(m)
        if parts is None:
            continue
        year_text, month, day = parts
        governing = _label_role(text, m.start(), labels, ends)
        role: DateRole | None = None
        if governing is not None and (previous is None or previous.start < governing[1]):
            role = governing[0]
        elif previous is not None and _RANGE.fullmatch(text[previous.end : m.start()]):
            role = previous.role  # the second date of a range
        if m.group("c"):
            line_before = text[max(0, m.start() - 25) : m.start()].split("\n")[-1]
            if _ID_LABEL.search(line_before):
                continue
            if role is None and not (1950 <= int(year_text) <= today.year + 1):
                continue
        role = role or DateRole.OTHER
        year = _year(year_text, role, month, day, today)
        try:
            value = date(year, month, day)
        except ValueError:
            continue
        if not MIN_YEAR <= year <= today.year + 20:
            continue
        if role == DateRole.BIRTH and value > today:
            continue
        previous = RawDate(m.start(), m.end(), value, role)
        found.append(previous)
    return found


class DateFinder:
    """spaCy component: `doc.user_data["chartroom_dates"]` gets the RawDates of doc.text."""

    def __call__(self, doc: Doc) -> Doc:
        doc.user_data[USER_DATA_KEY] = find_dates(doc.text)
        return doc


def make_date_finder(nlp: Language, name: str) -> DateFinder:
    return DateFinder()


def register_component() -> None:
    """Register the `chartroom_dates` spaCy factory (spaCy is imported only here, on first use)."""
    from spacy.language import Language

    if Language.has_factory("chartroom_dates"):
        return
    make_date_finder.__annotations__ = get_type_hints(
        make_date_finder, {"Language": Language, "DateFinder": DateFinder}
    )
    Language.factory("chartroom_dates", func=make_date_finder)


def read_dates(doc: Doc) -> list[RawDate]:
    """The dates a `chartroom_dates` component left on `doc` (empty when none ran)."""
    found = doc.user_data.get(USER_DATA_KEY, [])
    return list(found)
