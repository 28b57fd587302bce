"""Plain records crossing the records/ boundary (no SQLAlchemy objects leave records/).

`RecordStore` in records/store.py implements `RecordStoreAPI`; the ingest service
(indexer/) and later the web app use only this surface.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from models.types import Findings
from scanner.types import Barcode, CleanupRecord, ScannedPage, Word


class Outcome(StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    FAILED = "failed"


class DocumentStatus(StrEnum):
    FILED = "filed"  # filed to a patient (automatically or by a user)
    UNFILED = "unfiled"  # waiting in the unfiled queue


@dataclass(frozen=True)
class PatientRecord:
    mrn: str
    last_name: str
    first_name: str
    dob: date | None
    sex: str  # "F", "M", "X" or "" (unknown)
    id: int | None = None  # database id once stored


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    unchanged: int
    rejected: tuple[str, ...] = ()  # "row N: reason" (no PHI beyond the row number)


@dataclass(frozen=True)
class Candidate:
    patient_id: int
    mrn: str
    score: float  # 0-1
    reasons: tuple[str, ...]  # e.g. ("barcode MRN matches", "DOB matches")


@dataclass(frozen=True)
class FilingDecision:
    """What the filing rules concluded for one document."""

    patient_id: int | None  # set only when filed automatically
    rule: str  # "barcode", "mrn+name", "mrn+dob", "name+dob", or "" when not filed
    confidence: float
    candidates: tuple[Candidate, ...] = ()
    reasons: tuple[str, ...] = ()  # why it was filed, or why it went to the queue


@dataclass(frozen=True)
class NewDocument:
    """One document (a segment of a scanned file between separator sheets)."""

    pages: tuple[ScannedPage, ...]
    findings: Findings
    filing: FilingDecision
    # Where each page's text starts in the text the findings' offsets point into (one offset per
    # page, in page order), so each finding gets its page; empty: findings are stored without one.
    # `join_page_texts` builds such a text and its offsets.
    page_offsets: tuple[int, ...] = ()


PAGE_JOINER = "\n\n"


def join_page_texts(pages: Iterable[ScannedPage]) -> tuple[str, tuple[int, ...]]:
    """One document text from its pages (joined by a blank line) and each page's start offset."""
    parts: list[str] = []
    offsets: list[int] = []
    position = 0
    for page in pages:
        if parts:
            parts.append(PAGE_JOINER)
            position += len(PAGE_JOINER)
        offsets.append(position)
        parts.append(page.text)
        position += len(page.text)
    return "".join(parts), tuple(offsets)


@dataclass(frozen=True)
class SourceFile:
    """The input file as it arrived. `name` is the raw file name bytes (may not be UTF-8)."""

    name: bytes
    key: str  # resumability key: path + size + mtime_ns (bulk) or inbox name + sha (watch)
    sha256: str
    size: int
    file_type: str


@dataclass(frozen=True)
class IngestResult:
    source: SourceFile
    outcome: Outcome
    document_ids: tuple[int, ...] = ()
    patient_ids: tuple[int | None, ...] = ()
    reason: str = ""  # for failed: "ErrorType: message"


@dataclass(frozen=True)
class StoredDocument:
    id: int
    sha256: str
    source_name: bytes
    page_count: int
    first_page: int  # page range of this document within the stored file
    last_page: int
    document_type: str
    status: DocumentStatus
    patient_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class Event:
    id: int
    at: datetime
    actor: str  # "system:ingest", "rule:barcode", "user:NAME"
    action: str  # "document.stored", "document.filed", "document.refiled", ...
    document_id: int | None
    patient_id: int | None
    detail: dict[str, object] = field(default_factory=dict)  # ids and reasons only, no PHI text


@dataclass(frozen=True)
class StoredPage:
    """One stored page (OCR text, words with boxes in original-page pixels, cleanup record)."""

    document_id: int
    number: int  # 1-based page number within the stored file
    width: int
    height: int
    dpi: int
    text: str
    confidence: float
    low_confidence: bool
    blank: bool
    text_source: str
    cleanup: CleanupRecord
    words: tuple[Word, ...] = ()
    barcodes: tuple[Barcode, ...] = ()


@dataclass(frozen=True)
class StoredFinding:
    """One stored finding; `kind` is "diagnosis", "date" or "identifier" (fields apply by kind)."""

    id: int
    document_id: int
    kind: str
    text: str
    start: int  # offsets into the document text (see NewDocument.page_offsets)
    end: int
    page: int | None  # page number, when the page offsets were given
    code: str = ""  # diagnosis: ICD-10-CM code
    description: str = ""  # diagnosis
    assertion: str = ""  # diagnosis: affirmed, negated, ...
    section: str = ""  # diagnosis
    release: str = ""  # diagnosis: ICD-10-CM release
    source: str = ""  # diagnosis: "term" or "explicit_code"
    value: str = ""  # date: ISO date; identifier: normalised value
    role: str = ""  # date: admission, discharge, ...; identifier: its kind ("mrn", "dob", ...)
    confidence: float | None = None  # identifier


@dataclass(frozen=True)
class OutboxItem:
    """A document change the search index has still to apply."""

    id: int
    document_id: int
    op: str  # "upsert" or "delete"
    created_at: datetime


@dataclass(frozen=True)
class IndexPage:
    """A page as the search index needs it (text, no words or images)."""

    number: int
    text: str
    low_confidence: bool
    text_source: str


@dataclass(frozen=True)
class IndexDocument:
    """A document as the search index needs it, read in bulk (`documents_for_index`)."""

    document: StoredDocument
    pages: tuple[IndexPage, ...]
    dates: tuple[tuple[str, str], ...]  # (role, ISO date) of the date findings, in stored order
    diagnoses: tuple[tuple[str, str, str, str], ...]  # (code, assertion, text, description)
    patient: PatientRecord | None


class PatientDirectory(Protocol):
    """What the filing rules need to look patients up (implemented by RecordStore)."""

    def patient_by_mrn(self, mrn: str) -> PatientRecord | None: ...

    def patients_by_dob(self, dob: date) -> list[PatientRecord]: ...


class RecordStoreAPI(PatientDirectory, Protocol):
    # intake
    def intake_outcome(self, key: str) -> IngestResult | None: ...
    def document_ids_for_sha(self, sha256: str) -> tuple[int, ...]: ...
    def save_stored(
        self, source: SourceFile, documents: Iterable[NewDocument]
    ) -> IngestResult: ...  # one transaction: documents, pages, findings, filings, intake, events
    def save_duplicate(self, source: SourceFile) -> IngestResult: ...
    def save_failed(self, source: SourceFile, error_type: str, message: str) -> IngestResult: ...
    # patients
    def upsert_patients(self, rows: Iterable[PatientRecord]) -> ImportSummary: ...
    # filing by people (the web app calls these)
    def file_document(self, document_id: int, patient_id: int, user: str, reason: str) -> None: ...
    def unfile_document(self, document_id: int, user: str, reason: str) -> None: ...
    def unfiled_queue(self, limit: int = 100) -> list[StoredDocument]: ...
    def document(self, document_id: int) -> StoredDocument | None: ...
    def events(self, document_id: int | None = None) -> list[Event]: ...
    # consistency
    def iter_stored_shas(self) -> Iterator[str]: ...
    # the search index's journal (indexer/journal.py reads documents and drains the outbox)
    def document_pages(self, document_id: int) -> list[StoredPage]: ...
    def findings(self, document_id: int) -> Findings: ...
    def patient(self, patient_id: int) -> PatientRecord | None: ...
    def iter_documents(self, after_id: int = 0) -> Iterator[StoredDocument]: ...
    def index_outbox(self, limit: int = 500) -> list[OutboxItem]: ...
    def index_outbox_done(self, ids: Sequence[int]) -> int: ...
    def documents_for_index(
        self, ids: Sequence[int] | None = None, after_id: int = 0, limit: int = 500
    ) -> list[IndexDocument]: ...
