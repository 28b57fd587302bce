"""Plain records crossing the records/ boundary (no SQLAlchemy objects leave records/).

`RecordStore` in records/store.py implements `RecordStoreAPI`; the ingest service
(indexer/) and later the web app use only this surface.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from models.types import Findings
from scanner.types import ScannedPage


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
