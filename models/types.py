"""Plain-data results of the clinical NLP step (no spaCy objects leave models/)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Assertion(StrEnum):
    AFFIRMED = "affirmed"
    NEGATED = "negated"
    HISTORICAL = "historical"
    FAMILY = "family"
    HYPOTHETICAL = "hypothetical"


class DateRole(StrEnum):
    BIRTH = "birth"
    ADMISSION = "admission"
    DISCHARGE = "discharge"
    SERVICE = "service"  # service / visit / procedure / collection
    REPORT = "report"  # report / dictation / signature
    OTHER = "other"


class DocumentType(StrEnum):
    DISCHARGE_SUMMARY = "discharge_summary"
    HISTORY_AND_PHYSICAL = "history_and_physical"
    PROGRESS_NOTE = "progress_note"
    OPERATIVE_REPORT = "operative_report"
    PATHOLOGY_REPORT = "pathology_report"
    RADIOLOGY_REPORT = "radiology_report"
    LABORATORY_REPORT = "laboratory_report"
    CONSULTATION = "consultation"
    CONSENT_FORM = "consent_form"  # consent / administrative form
    CORRESPONDENCE = "correspondence"
    OTHER = "other"


@dataclass(frozen=True)
class Diagnosis:
    text: str  # the matched text, exactly input[start:end]
    start: int  # character offsets into the input text as given
    end: int
    code: str  # ICD-10-CM code with dot, e.g. "E11.9"; always present in the code table
    description: str
    assertion: Assertion
    section: str  # normalised section name, e.g. "assessment_and_plan", or "" when none
    release: str  # ICD-10-CM release, e.g. "2026-04"
    source: str = "term"  # "term" (terminology match) or "explicit_code" (code written in text)


@dataclass(frozen=True)
class DateMention:
    text: str
    start: int
    end: int
    value: str  # ISO 8601 date, YYYY-MM-DD
    role: DateRole


@dataclass(frozen=True)
class Identifier:
    kind: str  # "mrn", "patient_name", "dob", "sex", "physician"
    value: str  # normalised value (MRN digits, "LAST, FIRST", ISO date, "F"/"M"/"X")
    text: str
    start: int
    end: int
    confidence: float  # 0-1


@dataclass(frozen=True)
class DocumentTypeGuess:
    type: DocumentType
    confidence: float  # 0-1


@dataclass(frozen=True)
class Findings:
    diagnoses: tuple[Diagnosis, ...] = ()
    dates: tuple[DateMention, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    document_type: DocumentTypeGuess = field(
        default_factory=lambda: DocumentTypeGuess(DocumentType.OTHER, 0.0)
    )
    signed: bool = False
