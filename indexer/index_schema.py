"""The search index's schema: one index document per PAGE, with its document's fields copied on.

Only indexer/ imports Whoosh (this module, `search_index.py` and the `index_*.py` modules).
Pages are what the index holds so a hit opens the right page in the viewer; document-level
fields (patient, type, dates, diagnoses, filing status) are repeated on each page of the
document.

Bump `SCHEMA_VERSION` whenever the fields or analyzers change: an index built with another
version is reported as needing a rebuild (`chartroom reindex`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from whoosh import fields
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.columns import VarBytesColumn
from whoosh.support.charset import accent_map

from indexer.index_positions import PackedPositions
from indexer.index_terms import CommonPairFilter, date_terms

SCHEMA_VERSION = 4  # 2: word pairs (`pairs`), year/month date terms; 3: common-word pairs only;
# 4: phrase fields store positions packed (PackedPositions)

TOKENS = r"\w+(?:[.'’]\w+)*"  # words, with inner dots/apostrophes (I50.22, O'Neil, 3.5)


def stemmed_analyzer() -> Analyzer:
    """Case- and accent-folded, stop words removed, English stems: the searchable text."""
    return (
        RegexTokenizer(TOKENS)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(minsize=1)
        | StemFilter(cachesize=100_000)
    )


def exact_analyzer() -> Analyzer:
    """Case- and accent-folded words, nothing removed: exact phrases, wildcards, fuzzy."""
    return RegexTokenizer(TOKENS) | LowercaseFilter() | CharsetFilter(accent_map)


STEMMED = stemmed_analyzer()
EXACT = exact_analyzer()
PAIRS = exact_analyzer() | CommonPairFilter()  # adjacent words, one of them common


def phrase_text(analyzer: Analyzer, stored: bool = False) -> fields.TEXT:
    """A TEXT field keeping word positions (phrases), packed for numpy (index_positions.py)."""
    field = fields.TEXT(analyzer=analyzer, stored=stored, phrase=True)
    field.format = PackedPositions(field_boost=field.format.field_boost)
    return field


def build_schema() -> fields.Schema:
    return fields.Schema(
        key=fields.STORED(),  # "<document_id>:<page>" (pages are replaced per document)
        document_id=fields.ID(stored=True, sortable=True),
        page=fields.STORED(),
        page_count=fields.STORED(),
        text=fields.TEXT(analyzer=STEMMED, stored=True, phrase=False),
        exact=phrase_text(EXACT),
        pairs=phrase_text(PAIRS),  # "shortness of": common grams
        patient_id=fields.ID(stored=True, sortable=True),  # "" when unfiled
        mrn=fields.ID(stored=True),
        patient_name=phrase_text(EXACT, stored=True),
        type=fields.ID(stored=True, sortable=True),
        date=fields.KEYWORD(scorable=False),  # any document date except birth dates, with
        # its month and year terms ("2019-03-14 m2019-03 y2019", indexer/index_terms.py)
        admitted=fields.KEYWORD(scorable=False),
        discharged=fields.KEYWORD(scorable=False),
        dob=fields.KEYWORD(scorable=False),
        dates=fields.STORED(),  # [[role, iso], ...] for display
        sort_date=fields.NUMERIC(int, bits=32, sortable=True, signed=False),
        year=fields.ID(stored=True, sortable=True),  # "" when the document has no date
        dx=fields.KEYWORD(stored=True, scorable=True),  # affirmed ICD-10-CM codes, upper case
        dx_text=phrase_text(STEMMED),  # words of the affirmed diagnoses
        dx_category=fields.KEYWORD(stored=True),  # chapter ranges of affirmed codes ("C00-D49")
        dx_category_col=fields.COLUMN(VarBytesColumn()),  # the same, joined, for facets
        dx_other=fields.KEYWORD(stored=True),  # "negated:I21.9", "family:I21.9", ...
        filed=fields.ID(stored=True, sortable=True),  # "yes" / "no"
        source=fields.STORED(),  # the source file name as displayed
        text_source=fields.STORED(),  # "ocr", "pdf-text-layer", "none"
        ingested=fields.STORED(),  # ISO date the document was stored
        low_confidence=fields.STORED(),  # "yes" / "no": re-scan suggested
    )


# ICD-10-CM chapters by the first three characters of the code (inclusive ranges).
CHAPTERS: tuple[tuple[str, str, str], ...] = (
    ("A00", "B99", "A00-B99 Infectious and parasitic diseases"),
    ("C00", "D49", "C00-D49 Neoplasms"),
    ("D50", "D89", "D50-D89 Blood and immune disorders"),
    ("E00", "E89", "E00-E89 Endocrine, nutritional and metabolic"),
    ("F01", "F99", "F01-F99 Mental and behavioural disorders"),
    ("G00", "G99", "G00-G99 Nervous system"),
    ("H00", "H59", "H00-H59 Eye and adnexa"),
    ("H60", "H95", "H60-H95 Ear and mastoid"),
    ("I00", "I99", "I00-I99 Circulatory system"),
    ("J00", "J99", "J00-J99 Respiratory system"),
    ("K00", "K95", "K00-K95 Digestive system"),
    ("L00", "L99", "L00-L99 Skin and subcutaneous tissue"),
    ("M00", "M99", "M00-M99 Musculoskeletal system"),
    ("N00", "N99", "N00-N99 Genitourinary system"),
    ("O00", "O9A", "O00-O9A Pregnancy and childbirth"),
    ("P00", "P96", "P00-P96 Perinatal conditions"),
    ("Q00", "Q99", "Q00-Q99 Congenital anomalies"),
    ("R00", "R99", "R00-R99 Symptoms, signs and abnormal findings"),
    ("S00", "T88", "S00-T88 Injury and poisoning"),
    ("U00", "U85", "U00-U85 Special purposes"),
    ("V00", "Y99", "V00-Y99 External causes"),
    ("Z00", "Z99", "Z00-Z99 Factors influencing health status"),
)


CHAPTER_LABELS = {label.split(" ", 1)[0]: label for _, _, label in CHAPTERS}


def chapter(code: str) -> str:
    """The chapter range of an ICD-10-CM code ("C00-D49"), or "other"."""
    head = code.strip().upper()[:3]
    for low, high, label in CHAPTERS:
        if low <= head <= high:
            return label.split(" ", 1)[0]
    return "other"


@dataclass(frozen=True)
class PageEntry:
    """Everything the index holds about one page (engine-neutral; built by indexer/journal.py)."""

    document_id: int
    page: int
    page_count: int
    text: str
    document_type: str
    patient_id: int | None
    mrn: str
    patient_name: str
    dates: tuple[tuple[str, str], ...]  # (role, ISO date); role "birth" for dates of birth
    diagnoses: tuple[tuple[str, str, str], ...]  # (code, assertion, words: text + description)
    filed: bool
    source: str
    text_source: str
    ingested: str  # ISO date
    low_confidence: bool

    def key(self) -> str:
        return f"{self.document_id}:{self.page}"


SORT_ROLES = ("report", "service", "discharge", "admission", "other")


def primary_date(dates: tuple[tuple[str, str], ...]) -> str:
    """The date a document sorts by: report, else service, discharge, admission, any other."""
    by_role: dict[str, str] = {}
    for role, value in dates:
        by_role.setdefault(role, value)
    for role in SORT_ROLES:
        if role in by_role:
            return by_role[role]
    return ""


def fields_of(entry: PageEntry) -> dict[str, Any]:
    """The Whoosh field values of one page."""
    document_dates = sorted({v for role, v in entry.dates if role != "birth"})
    affirmed = [(c.upper(), w) for c, assertion, w in entry.diagnoses if assertion == "affirmed"]
    codes = sorted({c for c, _ in affirmed})
    categories = sorted({chapter(c) for c in codes})
    main = primary_date(entry.dates)
    return {
        "key": entry.key(),
        "document_id": str(entry.document_id),
        "page": entry.page,
        "page_count": entry.page_count,
        "text": entry.text,
        "exact": entry.text,
        "pairs": entry.text,
        "patient_id": "" if entry.patient_id is None else str(entry.patient_id),
        "mrn": entry.mrn.strip().upper(),
        "patient_name": entry.patient_name,
        "type": entry.document_type,
        "date": date_terms(document_dates),
        "admitted": date_terms(v for r, v in entry.dates if r == "admission"),
        "discharged": date_terms(v for r, v in entry.dates if r == "discharge"),
        "dob": date_terms(v for r, v in entry.dates if r == "birth"),
        "dates": [[r, v] for r, v in entry.dates],
        "sort_date": int(main.replace("-", "")) if main else 0,
        "year": main[:4],
        "dx": " ".join(codes),
        "dx_text": "\n".join(words for _, words in affirmed),
        "dx_category": " ".join(categories),
        "dx_category_col": "|".join(categories).encode("utf-8"),
        "dx_other": " ".join(
            sorted({f"{a}:{c.upper()}" for c, a, _ in entry.diagnoses if a != "affirmed"})
        ),
        "filed": "yes" if entry.filed else "no",
        "source": entry.source,
        "text_source": entry.text_source,
        "ingested": entry.ingested,
        "low_confidence": "yes" if entry.low_confidence else "no",
    }


def fold(text: str, analyzer: Analyzer = EXACT) -> list[str]:
    """The index terms `text` becomes in a field with `analyzer`."""
    return [t.text for t in analyzer(text)]
