"""The master patient index: upsert keyed by MRN (re-imports update, never duplicate)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from records.journal import SYSTEM_IMPORT, add_event, add_outbox
from records.schema import Document, Patient, utcnow
from records.types import ImportSummary, PatientRecord

BATCH = 500
SEXES = {"F", "M", "X", ""}
FIELDS = ("last_name", "first_name", "dob", "sex")


def normalize_mrn(mrn: str) -> str:
    """MRNs compare without surrounding spaces and case (leading zeros are kept)."""
    return mrn.strip().upper()


def check(record: PatientRecord) -> str:
    """Why a record cannot be stored ("" when it can); the reason names no value (PHI)."""
    mrn = normalize_mrn(record.mrn)
    if not mrn:
        return "the MRN is empty"
    if len(mrn) > 64 or any(ch.isspace() for ch in mrn):
        return "the MRN is longer than 64 characters or has spaces inside"
    if not record.last_name.strip():
        return "the last name is empty"
    if len(record.last_name) > 200 or len(record.first_name) > 200:
        return "a name is longer than 200 characters"
    if record.sex not in SEXES:
        return "sex must be F, M, X or empty"
    if record.dob is not None and record.dob > date.today():
        return "the date of birth is in the future"
    return ""


def upsert(session: Session, rows: Iterable[PatientRecord]) -> ImportSummary:
    created = updated = unchanged = 0
    rejected: list[str] = []
    batch: list[tuple[int, PatientRecord]] = []

    def flush_batch() -> None:
        nonlocal created, updated, unchanged
        c, u, n = _upsert_batch(session, batch)
        created, updated, unchanged = created + c, updated + u, unchanged + n
        batch.clear()

    for number, record in enumerate(rows, start=1):
        problem = check(record)
        if problem:
            rejected.append(f"row {number}: {problem}")
            continue
        batch.append((number, record))
        if len(batch) >= BATCH:
            flush_batch()
    flush_batch()
    return ImportSummary(created, updated, unchanged, tuple(rejected))


def _upsert_batch(
    session: Session, batch: Sequence[tuple[int, PatientRecord]]
) -> tuple[int, int, int]:
    if not batch:
        return 0, 0, 0
    mrns = {normalize_mrn(r.mrn) for _, r in batch}
    existing = {p.mrn: p for p in session.scalars(select(Patient).where(Patient.mrn.in_(mrns)))}
    created = updated = unchanged = 0
    now = utcnow()
    for _, record in batch:
        mrn = normalize_mrn(record.mrn)
        values = {
            "last_name": record.last_name.strip(),
            "first_name": record.first_name.strip(),
            "dob": record.dob,
            "sex": record.sex,
        }
        patient = existing.get(mrn)
        if patient is None:
            patient = Patient(mrn=mrn, created_at=now, updated_at=now, **values)
            session.add(patient)
            session.flush()
            existing[mrn] = patient
            add_event(session, SYSTEM_IMPORT, "patient.created", patient_id=patient.id)
            created += 1
            continue
        changed = [name for name in FIELDS if getattr(patient, name) != values[name]]
        if not changed:
            unchanged += 1
            continue
        for name in changed:
            setattr(patient, name, values[name])
        patient.updated_at = now
        add_event(session, SYSTEM_IMPORT, "patient.updated", patient_id=patient.id, fields=changed)
        # documents filed to this patient show the patient's details in search: reindex them
        for document_id in session.scalars(
            select(Document.id).where(Document.patient_id == patient.id)
        ):
            add_outbox(session, document_id, "upsert")
        updated += 1
    session.flush()
    return created, updated, unchanged


def by_mrn(session: Session, mrn: str) -> Patient | None:
    return session.scalars(select(Patient).where(Patient.mrn == normalize_mrn(mrn))).one_or_none()


def by_dob(session: Session, dob: date) -> list[Patient]:
    return list(session.scalars(select(Patient).where(Patient.dob == dob).order_by(Patient.id)))


def by_name(session: Session, last: str, first: str = "") -> list[Patient]:
    """Case-insensitive exact match on the last name (and the first name when given)."""
    query = select(Patient).where(func.lower(Patient.last_name) == last.strip().lower())
    if first.strip():
        query = query.where(func.lower(Patient.first_name) == first.strip().lower())
    return list(session.scalars(query.order_by(Patient.last_name, Patient.first_name, Patient.id)))
