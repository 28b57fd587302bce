"""The audit log: append-only rows chained by SHA-256, queries, and chain verification.

Each row's `row_hash` is SHA-256(prev_hash + canonical JSON of the row); the first row's
`prev_hash` is 64 zeros. Appends are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
advisory lock), so the chain has no forks. `verify` recomputes every hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from records.access_schema import AuditRow
from records.schema import Document

GENESIS = "0" * 64
AUDIT_LOCK = 0x61756474  # PostgreSQL advisory lock key for appends ("audt")


@dataclass(frozen=True)
class AuditEntry:
    """One audit row. `detail` holds ids, counts and reasons, never OCR text."""

    at: datetime
    user_name: str
    action: str
    user_id: int | None = None
    role: str = ""
    document_id: int | None = None
    patient_id: int | None = None
    address: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    id: int = 0
    row_hash: str = ""


@dataclass(frozen=True)
class AuditFilter:
    user_name: str = ""
    action: str = ""  # exact, or a prefix ending in "." ("document.")
    document_id: int | None = None
    patient_id: int | None = None
    start: datetime | None = None
    end: datetime | None = None


def _stamp(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(row_id: int, entry: AuditEntry) -> str:
    body = {
        "id": row_id,
        "at": _stamp(entry.at),
        "user_id": entry.user_id,
        "user_name": entry.user_name,
        "role": entry.role,
        "action": entry.action,
        "document_id": entry.document_id,
        "patient_id": entry.patient_id,
        "address": entry.address,
        "detail": entry.detail,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, row_id: int, entry: AuditEntry) -> str:
    return hashlib.sha256((prev_hash + canonical(row_id, entry)).encode()).hexdigest()


def append(session: Session, entry: AuditEntry) -> int:
    """Append one row (inside the caller's write transaction); returns its id."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK})
    last = session.execute(
        select(AuditRow.id, AuditRow.row_hash).order_by(AuditRow.id.desc()).limit(1)
    ).first()
    row_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    entry = replace(entry, at=at.astimezone(UTC))
    session.add(
        AuditRow(
            id=row_id,
            at=entry.at,
            user_id=entry.user_id,
            user_name=entry.user_name,
            role=entry.role,
            action=entry.action,
            document_id=entry.document_id,
            patient_id=entry.patient_id,
            address=entry.address,
            detail=entry.detail,
            prev_hash=prev,
            row_hash=row_hash(prev, row_id, entry),
        )
    )
    session.flush()
    return row_id


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        user_id=row.user_id,
        user_name=row.user_name,
        role=row.role,
        action=row.action,
        document_id=row.document_id,
        patient_id=row.patient_id,
        address=row.address,
        detail=dict(row.detail or {}),
        row_hash=row.row_hash,
    )


def query(session: Session, where: AuditFilter, limit: int, offset: int) -> list[AuditEntry]:
    """Matching rows, newest first."""
    stmt = select(AuditRow)
    if where.user_name:
        stmt = stmt.where(AuditRow.user_name == where.user_name)
    if where.action.endswith("."):
        stmt = stmt.where(AuditRow.action.startswith(where.action, autoescape=True))
    elif where.action:
        stmt = stmt.where(AuditRow.action == where.action)
    if where.document_id is not None:
        stmt = stmt.where(AuditRow.document_id == where.document_id)
    if where.patient_id is not None:
        filed = select(Document.id).where(Document.patient_id == where.patient_id)
        stmt = stmt.where(
            or_(AuditRow.patient_id == where.patient_id, AuditRow.document_id.in_(filed))
        )
    if where.start is not None:
        stmt = stmt.where(AuditRow.at >= where.start)
    if where.end is not None:
        stmt = stmt.where(AuditRow.at < where.end)
    stmt = stmt.order_by(AuditRow.id.desc()).limit(limit).offset(offset)
    return [_entry(row) for row in session.scalars(stmt)]


def rows_after(session: Session, after_id: int, batch: int) -> list[tuple[AuditEntry, str]]:
    """(entry, prev_hash) for rows above `after_id`, by id."""
    stmt = select(AuditRow).where(AuditRow.id > after_id).order_by(AuditRow.id).limit(batch)
    return [(_entry(row), row.prev_hash) for row in session.scalars(stmt)]


def verify(batches: Iterator[list[tuple[AuditEntry, str]]]) -> tuple[int, list[str]]:
    """(rows checked, problems): recomputed hashes, links to the previous row, id gaps."""
    problems: list[str] = []
    prev_hash, prev_id, count = GENESIS, 0, 0
    for batch in batches:
        for entry, linked in batch:
            count += 1
            if entry.id != prev_id + 1:
                problems.append(f"audit rows {prev_id + 1}-{entry.id - 1} are missing")
            if linked != prev_hash:
                problems.append(f"audit row {entry.id} does not link to the row before it")
            if entry.row_hash != row_hash(linked, entry.id, entry):
                problems.append(f"audit row {entry.id} was altered (its hash does not match)")
            prev_hash, prev_id = entry.row_hash, entry.id
    return count, problems
