"""Read-only queries of the system of record, returning plain records (records/types.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from chartroom.errors import RecordNotFound
from models.types import Findings
from records import convert
from records.schema import Document, EventRow, Finding, Intake, OutboxRow, Page, Patient, utcnow
from records.types import (
    DocumentStatus,
    Event,
    IndexDocument,
    IndexPage,
    OutboxItem,
    Outcome,
    StoredDocument,
    StoredFinding,
    StoredPage,
)


def document(session: Session, document_id: int) -> StoredDocument | None:
    row = session.get(Document, document_id)
    return None if row is None else convert.stored_document(row)


def document_ids_for_sha(session: Session, sha256: str) -> tuple[int, ...]:
    ids = session.scalars(
        select(Document.id).where(Document.sha256 == sha256).order_by(Document.id)
    )
    return tuple(ids)


def unfiled_queue(session: Session, limit: int) -> list[StoredDocument]:
    """Unfiled documents, oldest first."""
    rows = session.scalars(
        select(Document)
        .where(Document.status == DocumentStatus.UNFILED)
        .order_by(Document.created_at, Document.id)
        .limit(max(0, limit))
    )
    return [convert.stored_document(r) for r in rows]


def events(session: Session, document_id: int | None) -> list[Event]:
    query = select(EventRow).order_by(EventRow.id)
    if document_id is not None:
        query = query.where(EventRow.document_id == document_id)
    return [convert.event(r) for r in session.scalars(query)]


def documents_after(session: Session, after_id: int, batch: int) -> list[StoredDocument]:
    rows = session.scalars(
        select(Document).where(Document.id > after_id).order_by(Document.id).limit(batch)
    )
    return [convert.stored_document(r) for r in rows]


def stored_shas_after(session: Session, after: str, batch: int) -> list[str]:
    """Distinct SHA-256s of stored files, in order, after `after` (keyset paging)."""
    rows = session.scalars(
        select(Intake.sha256)
        .where(Intake.outcome == Outcome.STORED, Intake.sha256 > after)
        .group_by(Intake.sha256)
        .order_by(Intake.sha256)
        .limit(batch)
    )
    return list(rows)


def _require_document(session: Session, document_id: int) -> Document:
    row = session.get(Document, document_id)
    if row is None:
        raise RecordNotFound(f"document {document_id} does not exist")
    return row


def pages(session: Session, document_id: int) -> list[StoredPage]:
    _require_document(session, document_id)
    rows = session.scalars(
        select(Page).where(Page.document_id == document_id).order_by(Page.number)
    )
    return [convert.stored_page(r) for r in rows]


def _finding_rows(session: Session, document_id: int) -> Sequence[Finding]:
    return session.scalars(
        select(Finding).where(Finding.document_id == document_id).order_by(Finding.id)
    ).all()


def findings(session: Session, document_id: int) -> list[StoredFinding]:
    _require_document(session, document_id)
    return [convert.stored_finding(r) for r in _finding_rows(session, document_id)]


def findings_object(session: Session, document_id: int) -> Findings:
    document_row = _require_document(session, document_id)
    return convert.findings_of(document_row, _finding_rows(session, document_id))


def counts(session: Session) -> dict[str, int]:
    out = {
        "documents": session.scalar(select(func.count()).select_from(Document)) or 0,
        "pages": session.scalar(select(func.count()).select_from(Page)) or 0,
        "patients": session.scalar(select(func.count()).select_from(Patient)) or 0,
        "events": session.scalar(select(func.count()).select_from(EventRow)) or 0,
    }
    for status in DocumentStatus:
        out[status.value] = 0
    for status_name, n in session.execute(
        select(Document.status, func.count()).group_by(Document.status)
    ):
        out[status_name] = n
    for outcome in Outcome:
        out[f"intake_{outcome.value}"] = 0
    for outcome_name, n in session.execute(
        select(Intake.outcome, func.count()).group_by(Intake.outcome)
    ):
        out[f"intake_{outcome_name}"] = n
    out["index_pending"] = (
        session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.done_at.is_(None))
        )
        or 0
    )
    return out


def outbox_pending(session: Session, limit: int) -> list[OutboxItem]:
    rows = session.scalars(
        select(OutboxRow).where(OutboxRow.done_at.is_(None)).order_by(OutboxRow.id).limit(limit)
    )
    return [convert.outbox_item(r) for r in rows]


def outbox_done(session: Session, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    result = session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(list(ids)), OutboxRow.done_at.is_(None))
        .values(done_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def documents_for_index(
    session: Session, ids: Sequence[int] | None, after_id: int, limit: int
) -> list[IndexDocument]:
    """Documents with their page texts, date and diagnosis findings and patient, in 4 queries:
    the listed `ids` (missing ones are left out), or the next `limit` by id after `after_id`."""
    query = select(Document).order_by(Document.id)
    if ids is not None:
        query = query.where(Document.id.in_(list(ids)))
    else:
        query = query.where(Document.id > after_id).limit(max(0, limit))
    documents = list(session.scalars(query))
    if not documents:
        return []
    wanted = [d.id for d in documents]
    pages: dict[int, list[IndexPage]] = {d: [] for d in wanted}
    for document_id, number, text, low, source in session.execute(
        select(Page.document_id, Page.number, Page.ocr_text, Page.low_confidence, Page.text_source)
        .where(Page.document_id.in_(wanted))
        .order_by(Page.document_id, Page.number)
    ):
        pages[document_id].append(IndexPage(number, text, bool(low), source))
    dates: dict[int, list[tuple[str, str]]] = {d: [] for d in wanted}
    diagnoses: dict[int, list[tuple[str, str, str, str]]] = {d: [] for d in wanted}
    for row in session.execute(
        select(
            Finding.document_id,
            Finding.kind,
            Finding.code,
            Finding.assertion,
            Finding.text,
            Finding.description,
            Finding.value,
            Finding.role,
        )
        .where(Finding.document_id.in_(wanted), Finding.kind.in_(("date", "diagnosis")))
        .order_by(Finding.id)
    ):
        if row.kind == "date":
            dates[row.document_id].append((row.role, row.value))
        else:
            diagnoses[row.document_id].append((row.code, row.assertion, row.text, row.description))
    patient_ids = {d.patient_id for d in documents if d.patient_id is not None}
    patients = (
        {
            p.id: convert.patient_record(p)
            for p in session.scalars(select(Patient).where(Patient.id.in_(patient_ids)))
        }
        if patient_ids
        else {}
    )
    return [
        IndexDocument(
            convert.stored_document(d),
            tuple(pages[d.id]),
            tuple(dates[d.id]),
            tuple(diagnoses[d.id]),
            patients.get(d.patient_id) if d.patient_id is not None else None,
        )
        for d in documents
    ]
