"""Fixing a batch scanned wrongly: split a document at a page, or merge two adjacent documents.

A document is a page range of one stored file, so a split makes a new document of the pages from
`at_page` on (it goes to the unfiled queue, with the original's patient as a candidate), and a
merge joins two documents of the same file whose page ranges touch (the second's filing history
moves to the first, closed; the second document row is removed). Findings move with their pages
and their text offsets are shifted so they still point into their document's text. Each change
writes events (`document.split` / `document.merged`, `document.queued`) and index-outbox rows in
the same transaction. Nonsense is refused with RecordNotFound or InvalidRequest.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from chartroom.errors import InvalidRequest, RecordNotFound
from models.types import DateRole
from records.convert import KEY_DATE_ROLES, parse_iso_date
from records.journal import add_event, add_outbox, require_reason, user_actor
from records.schema import Document, Filing, Finding, Page, utcnow
from records.types import PAGE_JOINER, DocumentStatus

if TYPE_CHECKING:
    from records.store import RecordStore

log = logging.getLogger(__name__)


def _locked(session: Session, document_id: int) -> Document:
    document = session.scalars(
        select(Document).where(Document.id == document_id).with_for_update()
    ).one_or_none()
    if document is None:
        raise RecordNotFound(f"document {document_id} does not exist")
    return document


def _pages(session: Session, document_id: int) -> list[Page]:
    return list(
        session.scalars(select(Page).where(Page.document_id == document_id).order_by(Page.number))
    )


def _findings(session: Session, document_id: int) -> list[Finding]:
    return list(
        session.scalars(
            select(Finding).where(Finding.document_id == document_id).order_by(Finding.id)
        )
    )


def _refresh_key_dates(session: Session, document: Document) -> None:
    """Key dates from the document's date findings (the first of each role, in text order)."""
    values: dict[str, Any] = dict.fromkeys(KEY_DATE_ROLES.values())
    rows = sorted(
        (f for f in _findings(session, document.id) if f.kind == "date"), key=lambda f: f.start
    )
    for row in rows:
        try:
            column = KEY_DATE_ROLES.get(DateRole(row.role))
        except ValueError:
            continue
        if column and values[column] is None:
            values[column] = parse_iso_date(row.value)
    for column, value in values.items():
        setattr(document, column, value)


def _range(document: Document, pages: list[Page]) -> None:
    numbers = [p.number for p in pages]
    document.first_page, document.last_page = min(numbers), max(numbers)
    document.page_count = len(numbers)


def split_document(session: Session, document_id: int, at_page: int, user: str, reason: str) -> int:
    """Move pages `at_page`.. of a document into a new, unfiled document; returns its id."""
    actor, why = user_actor(user), require_reason(reason)
    document = _locked(session, document_id)
    pages = _pages(session, document_id)
    if not any(p.number == at_page for p in pages) or at_page == pages[0].number:
        raise InvalidRequest(
            f"split at a page of document {document_id} after its first "
            f"({pages[0].number + 1}-{pages[-1].number})"
        )
    keep = [p for p in pages if p.number < at_page]
    move = [p for p in pages if p.number >= at_page]
    shift = move[0].text_offset
    now = utcnow()
    new = Document(
        sha256=document.sha256,
        source_name=document.source_name,
        source_display=document.source_display,
        first_page=move[0].number,
        last_page=move[-1].number,
        page_count=len(move),
        document_type=document.document_type,
        type_confidence=document.type_confidence,
        signed=document.signed,
        status=DocumentStatus.UNFILED,
        patient_id=None,
        intake_id=document.intake_id,
        created_at=document.created_at,  # keeps its place in the (oldest first) queue
        updated_at=now,
    )
    session.add(new)
    session.flush()
    for page in move:
        page.document_id = new.id
        if shift is not None and page.text_offset is not None:
            page.text_offset -= shift
    moved_numbers = {p.number for p in move}
    for finding in _findings(session, document_id):
        if shift is not None:
            if finding.start < shift:
                continue
            finding.start -= shift
            finding.end -= shift
        elif finding.page not in moved_numbers:
            continue
        finding.document_id = new.id
    _range(document, keep)
    _range(new, move)
    document.updated_at = now
    session.flush()
    _refresh_key_dates(session, document)
    _refresh_key_dates(session, new)
    active = session.scalars(
        select(Filing).where(Filing.document_id == document_id, Filing.active.is_(True))
    ).one_or_none()
    candidates = list(active.candidates) if active is not None else []
    if document.patient_id is not None:
        candidates.insert(
            0,
            {
                "patient_id": document.patient_id,
                "mrn": "",
                "score": 1.0,
                "reasons": [f"split from document {document_id}, which is filed to this patient"],
            },
        )
    session.add(
        Filing(
            document_id=new.id,
            patient_id=None,
            actor=actor,
            rule="split",
            reasons=[why],
            confidence=0.0,
            candidates=candidates,
            at=now,
            active=True,
            closed_at=None,
            closed_by=None,
        )
    )
    add_event(
        session,
        actor,
        "document.split",
        document_id=document_id,
        new_document_id=new.id,
        at_page=at_page,
        reason=why,
    )
    add_event(
        session,
        actor,
        "document.queued",
        document_id=new.id,
        split_from=document_id,
        reasons=[why],
        candidate_ids=[c["patient_id"] for c in candidates],
    )
    add_outbox(session, document_id, "upsert")
    add_outbox(session, new.id, "upsert")
    return new.id


def merge_documents(
    session: Session, first_id: int, second_id: int, user: str, reason: str
) -> None:
    """Append the pages of `second_id` to `first_id` (same file, touching page ranges, same
    patient or both unfiled); the second document is removed, its filings kept (closed)."""
    actor, why = user_actor(user), require_reason(reason)
    if first_id == second_id:
        raise InvalidRequest("a document cannot be merged with itself")
    first, second = _locked(session, first_id), _locked(session, second_id)
    if first.first_page > second.first_page:
        first, second = second, first
    if first.sha256 != second.sha256 or second.first_page != first.last_page + 1:
        raise InvalidRequest(
            "only documents of the same scanned file whose pages follow each other can be merged"
        )
    if first.patient_id != second.patient_id:
        raise InvalidRequest(
            "the documents are filed differently; file, refile or unfile them alike first"
        )
    first_pages, second_pages = _pages(session, first.id), _pages(session, second.id)
    known = all(p.text_offset is not None for p in first_pages)
    shift = sum(len(p.ocr_text) for p in first_pages) + len(PAGE_JOINER) * len(first_pages)
    now = utcnow()
    for page in second_pages:
        page.document_id = first.id
        page.text_offset = (
            page.text_offset + shift if known and page.text_offset is not None else None
        )
    for finding in _findings(session, second.id):
        finding.document_id = first.id
        if known:
            finding.start += shift
            finding.end += shift
    for filing in session.scalars(select(Filing).where(Filing.document_id == second.id)):
        filing.document_id = first.id
        if filing.active:
            filing.active = False
            filing.closed_at = now
            filing.closed_by = actor
    session.flush()
    _range(first, [*first_pages, *second_pages])
    first.updated_at = now
    _refresh_key_dates(session, first)
    removed = second.id
    session.delete(second)
    session.flush()
    add_event(
        session,
        actor,
        "document.merged",
        document_id=first.id,
        patient_id=first.patient_id,
        merged_document_id=removed,
        reason=why,
    )
    add_outbox(session, first.id, "upsert")
    add_outbox(session, removed, "delete")


# --- through the store -----------------------------------------------------------------------


def split(store: RecordStore, document_id: int, at_page: int, user: str, reason: str) -> int:
    new_id = store._write(
        lambda s: split_document(s, document_id, at_page, user, reason), what="split_document"
    )
    log.info("document %d split at page %d into %d by a user", document_id, at_page, new_id)
    return new_id


def merge(store: RecordStore, first_id: int, second_id: int, user: str, reason: str) -> None:
    store._write(
        lambda s: merge_documents(s, first_id, second_id, user, reason), what="merge_documents"
    )
    log.info("documents %d and %d merged by a user", first_id, second_id)
