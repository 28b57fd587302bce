"""Chart views of the system of record for the web app: a document with its key dates, a patient's
documents and diagnosis summary, the unfiled queue with candidates, patient lookup.

Functions take the `RecordStore` and run in its read transactions; they return plain frozen
records (no ORM object leaves records/). Splitting and merging documents are in
records/charts_edit.py.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from records.convert import patient_record
from records.schema import Document, Filing, Finding, Intake, Patient
from records.types import Candidate, DocumentStatus, PatientRecord

if TYPE_CHECKING:
    from records.store import RecordStore

DATE_ORDER = ("report_date", "service_date", "discharge_date", "admission_date")


@dataclass(frozen=True)
class DocumentInfo:
    """A document with what the chart and the viewer show about it."""

    id: int
    sha256: str
    file_type: str  # of the stored file: pdf, tiff, png, jpeg
    source_display: str  # the source file name, decoded (untrusted text: escape it)
    first_page: int
    last_page: int
    page_count: int
    document_type: str
    type_confidence: float
    signed: bool
    status: DocumentStatus
    patient_id: int | None
    admission_date: date | None
    discharge_date: date | None
    service_date: date | None
    report_date: date | None
    created_at: datetime
    updated_at: datetime

    @property
    def main_date(self) -> date | None:
        """The date the document is known by: report, else service, discharge, admission."""
        for name in DATE_ORDER:
            value: date | None = getattr(self, name)
            if value is not None:
                return value
        return None

    @property
    def page_numbers(self) -> range:
        return range(self.first_page, self.last_page + 1)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "file_type": self.file_type,
            "first_page": self.first_page,
            "last_page": self.last_page,
            "page_count": self.page_count,
            "document_type": self.document_type,
            "type_confidence": round(self.type_confidence, 3),
            "signed": self.signed,
            "status": str(self.status),
            "patient_id": self.patient_id,
            "dates": {
                name.removesuffix("_date"): getattr(self, name).isoformat()
                for name in DATE_ORDER
                if getattr(self, name) is not None
            },
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class QueueEntry:
    """An unfiled document with why it was queued and the patients it might belong to."""

    document: DocumentInfo
    queued_at: datetime
    queued_by: str
    reasons: tuple[str, ...]
    candidates: tuple[Candidate, ...]


@dataclass(frozen=True)
class DiagnosisSeen:
    """An affirmed diagnosis in a patient's documents: first and last dates it was seen."""

    code: str
    description: str
    first_seen: date | None
    last_seen: date | None
    documents: int


def document_info(row: Document, file_type: str) -> DocumentInfo:
    return DocumentInfo(
        id=row.id,
        sha256=row.sha256,
        file_type=file_type,
        source_display=row.source_display,
        first_page=row.first_page,
        last_page=row.last_page,
        page_count=row.page_count,
        document_type=row.document_type,
        type_confidence=row.type_confidence,
        signed=row.signed,
        status=DocumentStatus(row.status),
        patient_id=row.patient_id,
        admission_date=row.admission_date,
        discharge_date=row.discharge_date,
        service_date=row.service_date,
        report_date=row.report_date,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _with_type(session: Session, query: Any) -> list[DocumentInfo]:
    rows = session.execute(query.join(Intake, Intake.id == Document.intake_id))
    return [document_info(doc, file_type) for doc, file_type in rows]


def _documents() -> Any:
    return select(Document, Intake.file_type)


# --- reading ---------------------------------------------------------------------------------


def get_document(store: RecordStore, document_id: int) -> DocumentInfo | None:
    def read(session: Session) -> DocumentInfo | None:
        found = _with_type(session, _documents().where(Document.id == document_id))
        return found[0] if found else None

    return store._run(read, what="document_info")


def patient_documents(store: RecordStore, patient_id: int) -> list[DocumentInfo]:
    """Every document filed to the patient, newest first (by its main date), then by type."""

    def read(session: Session) -> list[DocumentInfo]:
        query = _documents().where(
            Document.patient_id == patient_id, Document.status == DocumentStatus.FILED
        )
        return _with_type(session, query)

    docs = store._run(read, what="patient_documents")
    docs.sort(key=lambda d: (d.main_date or d.created_at.date(), d.id), reverse=True)
    return docs


def diagnosis_summary(
    store: RecordStore, patient_id: int, document_ids: Collection[int] | None = None
) -> list[DiagnosisSeen]:
    """Affirmed diagnoses in the patient's filed documents (only `document_ids` when given),
    by code, with first and last dates (a document's main date, else the day it was stored),
    most recently seen first."""

    def read(session: Session) -> list[tuple[str, str, int, date]]:
        rows = session.execute(
            select(Finding.code, Finding.description, Document)
            .join(Document, Document.id == Finding.document_id)
            .where(
                Document.patient_id == patient_id,
                Document.status == DocumentStatus.FILED,
                Finding.kind == "diagnosis",
                Finding.assertion == "affirmed",
                Finding.code != "",
            )
            .order_by(Finding.id)
        )
        return [
            (code, description, doc.id, document_info(doc, "").main_date or doc.created_at.date())
            for code, description, doc in rows
        ]

    seen: dict[str, tuple[str, date | None, date | None, set[int]]] = {}
    for code, description, doc_id, when in store._run(read, what="diagnosis_summary"):
        if document_ids is not None and doc_id not in document_ids:
            continue
        old = seen.get(code)
        if old is None:
            seen[code] = (description, when, when, {doc_id})
            continue
        desc, first, last, docs = old
        docs.add(doc_id)
        first = when if first is None or when < first else first
        last = when if last is None or when > last else last
        seen[code] = (desc or description, first, last, docs)
    out = [
        DiagnosisSeen(code, desc, first, last, len(docs))
        for code, (desc, first, last, docs) in seen.items()
    ]
    out.sort(key=lambda d: (d.last_seen or date.min, d.code), reverse=True)
    return out


def _candidates(raw: list[Any]) -> tuple[Candidate, ...]:
    out = []
    for c in raw:
        try:
            out.append(
                Candidate(
                    int(c["patient_id"]),
                    str(c.get("mrn", "")),
                    float(c.get("score", 0.0)),
                    tuple(str(r) for r in c.get("reasons", ())),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def queue(
    store: RecordStore, limit: int = 100, offset: int = 0, document_id: int | None = None
) -> list[QueueEntry]:
    """The unfiled queue, oldest first, with each document's active filing (reasons and
    candidate patients); `document_id`: only that document, if it is in the queue."""

    def read(session: Session) -> list[QueueEntry]:
        query = (
            select(Document, Intake.file_type, Filing)
            .join(Intake, Intake.id == Document.intake_id)
            .join(Filing, (Filing.document_id == Document.id) & Filing.active.is_(True))
            .where(Document.status == DocumentStatus.UNFILED)
        )
        if document_id is not None:
            query = query.where(Document.id == document_id)
        rows = session.execute(
            query.order_by(Document.created_at, Document.id)
            .offset(max(0, offset))
            .limit(max(0, limit))
        )
        return [
            QueueEntry(
                document=document_info(doc, file_type),
                queued_at=filing.at,
                queued_by=filing.actor,
                reasons=tuple(str(r) for r in filing.reasons),
                candidates=_candidates(list(filing.candidates)),
            )
            for doc, file_type, filing in rows
        ]

    return store._run(read, what="queue")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped.lower() + "%"


def find_patients(store: RecordStore, text: str, limit: int = 50) -> list[PatientRecord]:
    """Master patient index lookup: an MRN (exact), or name words ("last, first" or words that
    each start the last or first name), case-insensitive. Sorted by name."""
    words = [w for w in text.replace(",", " ").split() if w][:4]
    if not words:
        return []

    def read(session: Session) -> list[PatientRecord]:
        query = select(Patient)
        mrn = words[0].upper() if len(words) == 1 else ""
        conditions = []
        for word in words:
            pattern = _like(word)
            conditions.append(
                or_(
                    func.lower(Patient.last_name).like(pattern, escape="\\"),
                    func.lower(Patient.first_name).like(pattern, escape="\\"),
                )
            )
        by_name = conditions[0] if len(conditions) == 1 else conditions[0] & conditions[1]
        for extra in conditions[2:]:
            by_name = by_name & extra
        query = query.where(or_(Patient.mrn == mrn, by_name) if mrn else by_name)
        query = query.order_by(Patient.last_name, Patient.first_name, Patient.id).limit(limit)
        return [patient_record(p) for p in session.scalars(query)]

    return store._run(read, what="find_patients")
