"""The append-only event log and the search-index outbox, written inside the caller's transaction.

Event details hold ids, counts, rule names and reasons only: never OCR text, names or file names.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from chartroom.errors import InvalidRequest
from records.schema import EventRow, OutboxRow, utcnow

SYSTEM_INGEST = "system:ingest"
SYSTEM_IMPORT = "system:import"


def add_event(
    session: Session,
    actor: str,
    action: str,
    *,
    document_id: int | None = None,
    patient_id: int | None = None,
    **detail: Any,
) -> None:
    session.add(
        EventRow(
            at=utcnow(),
            actor=actor,
            action=action,
            document_id=document_id,
            patient_id=patient_id,
            detail=detail,
        )
    )


def add_outbox(session: Session, document_id: int, op: str = "upsert") -> None:
    if op not in ("upsert", "delete"):
        raise ValueError("outbox op is 'upsert' or 'delete'")
    session.add(OutboxRow(document_id=document_id, op=op, created_at=utcnow(), done_at=None))


def user_actor(user: str) -> str:
    """ "user:NAME" for a person's action; refuses an empty or oversized user name."""
    name = user.strip()
    if name.startswith("user:"):
        name = name[5:].strip()
    if not name or len(name) > 150 or any(ch in name for ch in "\r\n\t"):
        raise InvalidRequest("a filing action needs the user's name (1-150 characters)")
    return f"user:{name}"


def require_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise InvalidRequest("a filing action needs a reason (it is kept in the history)")
    if len(text) > 2000:
        raise InvalidRequest("the reason is longer than 2000 characters")
    return text
