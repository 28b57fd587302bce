"""Filing by people: file, refile and unfile a document, keeping every decision.

Each change closes the document's active filing row and adds a new one (a queued row has no
patient), updates the document's status, and writes an event and an index-outbox row, all in the
caller's transaction. Nonsense is refused with RecordNotFound or InvalidRequest.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chartroom.errors import InvalidRequest, RecordNotFound
from records.journal import add_event, add_outbox, require_reason, user_actor
from records.schema import Document, Filing, Patient, utcnow
from records.types import DocumentStatus


def _document_for_update(session: Session, document_id: int) -> Document:
    document = session.scalars(
        select(Document).where(Document.id == document_id).with_for_update()
    ).one_or_none()
    if document is None:
        raise RecordNotFound(f"document {document_id} does not exist")
    return document


def _patient(session: Session, patient_id: int) -> Patient:
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise RecordNotFound(f"patient {patient_id} does not exist")
    return patient


def _replace_filing(
    session: Session,
    document: Document,
    patient_id: int | None,
    actor: str,
    reason: str,
) -> None:
    now = utcnow()
    active = session.scalars(
        select(Filing).where(Filing.document_id == document.id, Filing.active.is_(True))
    ).all()
    for row in active:
        row.active = False
        row.closed_at = now
        row.closed_by = actor
    session.flush()  # the partial unique index allows one active row per document
    session.add(
        Filing(
            document_id=document.id,
            patient_id=patient_id,
            actor=actor,
            rule="manual",
            reasons=[reason],
            confidence=1.0,
            candidates=[],
            at=now,
            active=True,
            closed_at=None,
            closed_by=None,
        )
    )
    document.patient_id = patient_id
    document.status = DocumentStatus.FILED if patient_id is not None else DocumentStatus.UNFILED
    document.updated_at = now
    add_outbox(session, document.id, "upsert")


def file_document(
    session: Session, document_id: int, patient_id: int, user: str, reason: str
) -> None:
    """File an unfiled document to a patient."""
    actor, why = user_actor(user), require_reason(reason)
    document = _document_for_update(session, document_id)
    _patient(session, patient_id)
    if document.status == DocumentStatus.FILED:
        if document.patient_id == patient_id:
            raise InvalidRequest(f"document {document_id} is already filed to that patient")
        raise InvalidRequest(
            f"document {document_id} is filed to another patient; refile it instead"
        )
    _replace_filing(session, document, patient_id, actor, why)
    add_event(
        session,
        actor,
        "document.filed",
        document_id=document_id,
        patient_id=patient_id,
        reason=why,
    )


def refile_document(
    session: Session, document_id: int, patient_id: int, user: str, reason: str
) -> None:
    """Move a filed document to another patient (the old filing stays in the history)."""
    actor, why = user_actor(user), require_reason(reason)
    document = _document_for_update(session, document_id)
    _patient(session, patient_id)
    if document.status != DocumentStatus.FILED or document.patient_id is None:
        raise InvalidRequest(f"document {document_id} is not filed; file it instead")
    if document.patient_id == patient_id:
        raise InvalidRequest(f"document {document_id} is already filed to that patient")
    previous = document.patient_id
    _replace_filing(session, document, patient_id, actor, why)
    add_event(
        session,
        actor,
        "document.refiled",
        document_id=document_id,
        patient_id=patient_id,
        from_patient_id=previous,
        reason=why,
    )


def unfile_document(session: Session, document_id: int, user: str, reason: str) -> None:
    """Take a document off its patient and put it back in the unfiled queue."""
    actor, why = user_actor(user), require_reason(reason)
    document = _document_for_update(session, document_id)
    if document.status != DocumentStatus.FILED or document.patient_id is None:
        raise InvalidRequest(f"document {document_id} is not filed")
    previous = document.patient_id
    _replace_filing(session, document, None, actor, why)
    add_event(
        session,
        actor,
        "document.unfiled",
        document_id=document_id,
        patient_id=previous,
        reason=why,
    )
