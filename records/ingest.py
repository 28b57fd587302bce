"""Recording what happened to each input file (stored, duplicate, failed), each in one transaction.

Called by `RecordStore` inside a write transaction; nothing here commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chartroom.errors import InvalidRequest, RecordNotFound
from records.convert import display_name, finding_rows, key_dates, page_row
from records.journal import SYSTEM_INGEST, add_event, add_outbox
from records.schema import Document, Filing, Intake, Patient, utcnow
from records.types import (
    DocumentStatus,
    FilingDecision,
    IngestResult,
    NewDocument,
    Outcome,
    SourceFile,
)

_SHA = re.compile(r"[0-9a-f]{64}")


def intake_result(row: Intake) -> IngestResult:
    source = SourceFile(row.source_name, row.key, row.sha256, row.size, row.file_type)
    return IngestResult(
        source=source,
        outcome=Outcome(row.outcome),
        document_ids=tuple(int(i) for i in row.document_ids),
        patient_ids=tuple(None if p is None else int(p) for p in row.patient_ids),
        reason=row.reason,
    )


def intake_row(session: Session, source: SourceFile, outcome: Outcome, reason: str = "") -> Intake:
    """The intake row for `source.key`: a new one, or the failed one being retried.

    A failed file may have an empty SHA-256 (it could not be read at all).
    """
    if not source.key:
        raise InvalidRequest("an input file needs a non-empty intake key")
    failed_unread = outcome == Outcome.FAILED and source.sha256 == ""
    if not failed_unread and not _SHA.fullmatch(source.sha256):
        raise InvalidRequest("the input's SHA-256 must be 64 lower-case hex digits")
    row = session.scalars(select(Intake).where(Intake.key == source.key)).one_or_none()
    if row is None:
        row = Intake(key=source.key)
        session.add(row)
    elif row.outcome != Outcome.FAILED:
        raise InvalidRequest(f"this input was already recorded ({row.outcome})")
    row.source_name = source.name
    row.sha256 = source.sha256
    row.size = source.size
    row.file_type = source.file_type
    row.outcome = str(outcome)
    row.reason = reason
    row.document_ids = []
    row.patient_ids = []
    row.at = utcnow()
    session.flush()
    return row


def save_stored(
    session: Session, source: SourceFile, documents: Iterable[NewDocument]
) -> IngestResult:
    docs = list(documents)
    for doc in docs:
        if not doc.pages:
            raise InvalidRequest("a document needs at least one page")
        if doc.page_offsets and len(doc.page_offsets) != len(doc.pages):
            raise InvalidRequest("page_offsets needs one offset per page")
        pid = doc.filing.patient_id
        if pid is not None and session.get(Patient, pid) is None:
            raise RecordNotFound(f"patient {pid} does not exist")
    intake = intake_row(session, source, Outcome.STORED)
    document_ids: list[int] = []
    patient_ids: list[int | None] = []
    for doc in docs:
        document = _add_document(session, source, intake.id, doc)
        document_ids.append(document.id)
        patient_ids.append(document.patient_id)
    intake.document_ids = document_ids
    intake.patient_ids = patient_ids
    add_event(
        session,
        SYSTEM_INGEST,
        "intake.stored",
        intake_id=intake.id,
        sha256=source.sha256,
        document_ids=document_ids,
    )
    return intake_result(intake)


def _add_document(
    session: Session, source: SourceFile, intake_id: int, new: NewDocument
) -> Document:
    now = utcnow()
    numbers = [p.number for p in new.pages]
    decision = new.filing
    guess = new.findings.document_type
    document = Document(
        sha256=source.sha256,
        source_name=source.name,
        source_display=display_name(source.name),
        first_page=min(numbers),
        last_page=max(numbers),
        page_count=len(new.pages),
        document_type=str(guess.type),
        type_confidence=guess.confidence,
        signed=new.findings.signed,
        status=DocumentStatus.FILED if decision.patient_id is not None else DocumentStatus.UNFILED,
        patient_id=decision.patient_id,
        intake_id=intake_id,
        created_at=now,
        updated_at=now,
        **key_dates(new.findings),
    )
    session.add(document)
    session.flush()
    offsets = new.page_offsets
    session.add_all(
        page_row(document.id, page, offsets[i] if offsets else None)
        for i, page in enumerate(new.pages)
    )
    session.add_all(finding_rows(document.id, new.findings, offsets, numbers))
    session.add(_filing_row(document.id, decision, now))
    add_event(
        session,
        SYSTEM_INGEST,
        "document.stored",
        document_id=document.id,
        sha256=source.sha256,
        intake_id=intake_id,
        pages=[document.first_page, document.last_page],
        page_count=document.page_count,
        document_type=document.document_type,
    )
    if decision.patient_id is not None:
        add_event(
            session,
            f"rule:{decision.rule or 'unknown'}",
            "document.filed",
            document_id=document.id,
            patient_id=decision.patient_id,
            rule=decision.rule,
            confidence=decision.confidence,
            reasons=list(decision.reasons),
        )
    else:
        add_event(
            session,
            SYSTEM_INGEST,
            "document.queued",
            document_id=document.id,
            reasons=list(decision.reasons),
            candidate_ids=[c.patient_id for c in decision.candidates],
        )
    add_outbox(session, document.id, "upsert")
    return document


def _filing_row(document_id: int, decision: FilingDecision, now: Any) -> Filing:
    filed = decision.patient_id is not None
    return Filing(
        document_id=document_id,
        patient_id=decision.patient_id,
        actor=f"rule:{decision.rule or 'unknown'}" if filed else SYSTEM_INGEST,
        rule=decision.rule,
        reasons=list(decision.reasons),
        confidence=decision.confidence,
        candidates=[
            {"patient_id": c.patient_id, "mrn": c.mrn, "score": c.score, "reasons": list(c.reasons)}
            for c in decision.candidates
        ],
        at=now,
        active=True,
        closed_at=None,
        closed_by=None,
    )


def save_duplicate(session: Session, source: SourceFile) -> IngestResult:
    stored = session.scalars(
        select(Intake.id).where(Intake.sha256 == source.sha256, Intake.outcome == Outcome.STORED)
    ).first()
    if stored is None:
        raise InvalidRequest("no stored file has this SHA-256, so this cannot be a duplicate")
    docs = session.scalars(
        select(Document).where(Document.sha256 == source.sha256).order_by(Document.id)
    ).all()
    intake = intake_row(session, source, Outcome.DUPLICATE)
    intake.document_ids = [d.id for d in docs]
    intake.patient_ids = [d.patient_id for d in docs]
    add_event(
        session,
        SYSTEM_INGEST,
        "intake.duplicate",
        intake_id=intake.id,
        sha256=source.sha256,
        document_ids=intake.document_ids,
    )
    return intake_result(intake)


def save_failed(
    session: Session, source: SourceFile, error_type: str, message: str
) -> IngestResult:
    reason = f"{error_type}: {message}" if message else error_type
    intake = intake_row(session, source, Outcome.FAILED, reason)
    add_event(
        session,
        SYSTEM_INGEST,
        "intake.failed",
        intake_id=intake.id,
        sha256=source.sha256,
        error_type=error_type,
    )
    return intake_result(intake)
