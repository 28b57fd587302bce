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
before ("Date of Birth:\\n03/14/1950"), or from labels in columns on the line above, in order
("Admission Date:  Discharge Date:\\n03/10/2019  03/14/2019"; the normaliser collapses the spaces,
so the order, not the column, pairs them); a label governs only the first date after it, or a
range ("03/01/2019 - 03/05/2019"). Labels tolerate OCR's o/0, i/l/1 and m/rn confusions
("Adm1ssion", "D0B"). A bare "Date:" among patient header lines (name, MRN, DOB...) and a date
alone on one of the first lines before any section (a letter's dateline) date the encounter
(service). Only dates written in the text are reported: none is inferred (a "Hospital Day: 3"
beside a service date is not turned into an admission date, since sites count days differently).
Two-digit years: 20yy unless that is more than a year ahead (19yy); for birth
dates 19yy whenever 20yy would be in the future.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, get_type_hints

from models.sections import find_headers
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
    (
        DateRole.ADMISSION,
        r"date\s+of\s+admission|admission\s+date|admit(?:ted)?(?:\s+(?:date|dt))?"
        r"|adm\.?\s*(?:date|dt)|date\s+admitted",
        40,
    ),
    (DateRole.ADMISSION, r"admission", 20),
    (
        DateRole.DISCHARGE,
        r"date\s+of\s+discharge|discharge\s+date|discharged|disch\.?\s*(?:date|dt)"
        r"|d/?c\s+(?:date|dt)|date\s+discharged",
        40,
    ),
    (DateRole.DISCHARGE, r"discharge", 20),
    (
        DateRole.SERVICE,
        r"dates?\s+of\s+service|service\s+date|d\.?o\.?s\.?|visit\s+date|date\s+of\s+visit"
        r"|procedure\s+date|date\s+of\s+(?:procedure|surgery|operation|exam(?:ination)?)"
        r"|surgery\s+date|exam\s+date|study\s+date|date\s+seen|seen\s+on|date\s+collected"
        r"|collection\s+date|collected(?:\s+on)?|encounter(?:\s+date)?|date\s+of\s+encounter"
        r"|appointment\s+date|appt\.?\s+date|date\s+of\s+(?:consultation|consult|appointment)"
        r"|consult(?:ation)?\s+date|clinic\s+date|operation\s+date|date\s+of\s+study",
        40,
    ),
    (
        DateRole.REPORT,
        r"report\s+date|date\s+(?:of\s+)?report(?:ed)?|reported(?:\s+on)?|dictated(?:\s+on)?"
        r"|transcribed(?:\s+on)?|date\s+signed|signed(?:\s+on)?|verified(?:\s+on)?|finali[sz]ed"
        r"|date\s+(?:dictated|transcribed)|[DT]:|D[DT]:",
        40,
    ),
    (DateRole.REPORT, r"electronically\s+signed|digitally\s+signed|authenticated", 120),
    (DateRole.OTHER, r"date|dated", 25),
)
_OCR_LETTER = {"o": "[o0]", "i": "[il1|]", "l": "[li1|]", "m": "(?:m|rn)"}


def _ocr_tolerant(pattern: str) -> str:
    """`pattern` with the letters OCR most often misreads in labels also matching their
    look-alikes: o/0, i/l/1/|, m/rn ("Adm1ssion", "Date of Serv1ce", "D0B", "Adrnitted")."""
    return re.sub(r"(?<!\\)[oilm]", lambda m: _OCR_LETTER[m.group()], pattern)


_LABEL = re.compile(  # the shared prefix lets the engine skip most positions quickly
    r"(?<![\w/])(?=[abcdefprstv])(?:"
    + "|".join(
        rf"(?P<L{i}>(?:{_ocr_tolerant(pat)})(?!\w))" for i, (_, pat, _) in enumerate(_LABELS)
    )
    + ")",
    re.IGNORECASE,
)
_ID_LABEL = re.compile(
    r"(?:MRN|MR\s?#|ID|#|acct|account|phone|tel|fax|npi|ssn|order|accession|specimen|ref"
    r"|no\.?|number)\s*[:#.]?\s*$",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(
    r"\s*(?:patient(?:'s)?\s+name|patient|name|mrn|mr\s?#|medical\s+record|dob|d\.o\.b\.?"
    r"|date\s+of\s+birth|sex|gender|age|acct|account|physician|attending|provider|surgeon"
    r"|referring|location|clinic)\b[^\n:]{0,20}:",
    re.IGNORECASE,
)
DATELINE_LINES = 6  # a date alone on one of the first lines, before any section, dates the text
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
    text: str, start: int, labels: list[re.Match[str]], ends: list[int], column: int
) -> tuple[DateRole, int, re.Match[str]] | None:
    """(role, where the label's reach starts, label) of the label governing a date at `start`,
    or None when none does. `column`: how many dates come before this one on its line."""
    k = bisect_right(ends, start) - 1
    if k < 0:
        return None
    label = labels[k]
    role, _, gap = _LABELS[int((label.lastgroup or "L0")[1:])]
    between = text[label.end() : start]
    if "\n" not in between:
        return (role, label.end(), label) if len(between) <= gap else None
    if between.count("\n") != 1:
        return None
    # labels in columns on the line above, dates under them in the same order:
    # "Admission Date:  Discharge Date:\n03/10/2019  03/14/2019"
    above_end = label.end() + between.index("\n")
    above_start = text.rfind("\n", 0, above_end) + 1
    first = k
    while first > 0 and labels[first - 1].start() >= above_start:
        first -= 1
    row = labels[first : k + 1]
    if len(row) > 1:
        rest = "".join(text[a.end() : b.start()] for a, b in pairwise(row))
        if _LABEL_TAIL.fullmatch(
            text[above_start : row[0].start()] + rest + text[label.end() : above_end]
        ):
            if column >= len(row):
                return None
            chosen = row[column]
            return _LABELS[int((chosen.lastgroup or "L0")[1:])][0], start, chosen
    # label at the end of the previous line, date first on its own line
    tail, head = between.split("\n")
    if _LABEL_TAIL.fullmatch(tail) and len(head) <= 10:
        return role, label.end(), label
    return None


def _is_header_date_label(text: str, label: re.Match[str]) -> bool:
    """A bare "Date:" first on its line among patient header lines (name, MRN, DOB, sex...):
    the date of the encounter the document records."""
    if label.group().lower() != "date" or text[label.end() : label.end() + 1] != ":":
        return False
    line_start = text.rfind("\n", 0, label.start()) + 1
    if text[line_start : label.start()].strip():
        return False
    around = text[max(0, line_start - 200) : label.end() + 200].split("\n")
    return any(_HEADER_LINE.match(line) for line in around[1:-1])


def _is_dateline(text: str, m: re.Match[str], line_start: int, first_lines_end: int) -> bool:
    """A date alone on its line among the first lines of the text and before any section header:
    a letter's dateline or the heading of a note entry, the date of the document."""
    if line_start >= first_lines_end or m.start() - line_start > 10:
        return False
    if text[line_start : m.start()].strip():
        return False
    line_end = text.find("\n", m.end())
    line_end = len(text) if line_end < 0 else line_end
    if text[m.end() : line_end].strip(" .,"):
        return False
    return not find_headers(text[:line_start])


def _first_lines_end(text: str) -> int:
    """Where the first DATELINE_LINES lines of `text` end."""
    end = 0
    for _ in range(DATELINE_LINES):
        end = text.find("\n", end) + 1
        if end == 0:
            return len(text)
    return end


def find_dates(text: str, today: date | None = None) -> list[RawDate]:
    """Every date in `text`, with its role; offsets into `text`."""
    today = today or date.today()
    labels = list(_LABEL.finditer(text))
    ends = [lab.end() for lab in labels]
    found: list[RawDate] = []
    previous: RawDate | None = None
    first_lines_end = _first_lines_end(text)
    line_start, column, scanned = 0, -1, 0
    for m in _DATE.finditer(text):
        parts = _parts(m)
        if parts is None:
            continue
        year_text, month, day = parts
        newline = text.rfind("\n", scanned, m.start())  # linear: only since the last date
        scanned = m.end()
        line_start, column = (newline + 1, 0) if newline >= 0 else (line_start, column + 1)
        governing = _label_role(text, m.start(), labels, ends, column)
        role: DateRole | None = None
        if governing is not None and (previous is None or previous.start < governing[1]):
            role = governing[0]
            if role == DateRole.OTHER and _is_header_date_label(text, governing[2]):
                role = DateRole.SERVICE
        elif previous is not None and _RANGE.fullmatch(text[previous.end : m.start()]):
            role = previous.role  # the second date of a range
        elif _is_dateline(text, m, line_start, first_lines_end):
            role = DateRole.SERVICE
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
        from models.tokenizer import doc_text  # spaCy is loaded by now

        doc.user_data[USER_DATA_KEY] = find_dates(doc_text(doc))
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
