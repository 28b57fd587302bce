"""Conversions between the plain records (records/types.py) and table rows (records/schema.py)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from models.types import (
    Assertion,
    DateMention,
    DateRole,
    Diagnosis,
    DocumentType,
    DocumentTypeGuess,
    Findings,
    Identifier,
)
from records.schema import Document, EventRow, Finding, OutboxRow, Page, Patient
from records.types import (
    DocumentStatus,
    Event,
    OutboxItem,
    PatientRecord,
    StoredDocument,
    StoredFinding,
    StoredPage,
)
from scanner.types import Barcode, CleanupRecord, ScannedPage, Word

KEY_DATE_ROLES = {
    DateRole.ADMISSION: "admission_date",
    DateRole.DISCHARGE: "discharge_date",
    DateRole.SERVICE: "service_date",
    DateRole.REPORT: "report_date",
}


def display_name(raw: bytes) -> str:
    """A file name for display: UTF-8 where it decodes, undecodable bytes as U+FFFD."""
    return raw.decode("utf-8", errors="replace")


def parse_iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def key_dates(findings: Findings) -> dict[str, date | None]:
    """The first date found for each key role (admission, discharge, service, report)."""
    out: dict[str, date | None] = dict.fromkeys(KEY_DATE_ROLES.values())
    for mention in findings.dates:
        column = KEY_DATE_ROLES.get(mention.role)
        if column and out[column] is None:
            out[column] = parse_iso_date(mention.value)
    return out


# --- pages -----------------------------------------------------------------------------------


def page_row(document_id: int, page: ScannedPage, text_offset: int | None) -> Page:
    return Page(
        document_id=document_id,
        number=page.number,
        width=page.width,
        height=page.height,
        dpi=page.dpi,
        text_offset=text_offset,
        ocr_text=page.text,
        words=[
            [w.text, w.left, w.top, w.width, w.height, round(w.confidence, 2), w.block, w.line]
            for w in page.words
        ],
        cleanup=page.cleanup.as_json(),
        confidence=page.confidence,
        low_confidence=page.low_confidence,
        blank=page.blank,
        barcodes=[b.as_json() for b in page.barcodes],
        text_source=page.text_source,
    )


def stored_page(row: Page) -> StoredPage:
    c: dict[str, Any] = row.cleanup
    return StoredPage(
        document_id=row.document_id,
        number=row.number,
        width=row.width,
        height=row.height,
        dpi=row.dpi,
        text=row.ocr_text,
        confidence=row.confidence,
        low_confidence=row.low_confidence,
        blank=row.blank,
        text_source=row.text_source,
        cleanup=CleanupRecord(
            rotation=int(c.get("rotation", 0)),
            deskew_angle=float(c.get("deskew_angle", 0.0)),
            scale=float(c.get("scale", 1.0)),
            steps=tuple(c.get("steps", ())),
        ),
        words=tuple(
            Word(str(t), int(x), int(y), int(w), int(h), float(conf), int(block), int(line))
            for t, x, y, w, h, conf, block, line in row.words
        ),
        barcodes=tuple(Barcode(**b) for b in row.barcodes),
    )


# --- findings --------------------------------------------------------------------------------


def _page_at(offsets: Sequence[int], numbers: Sequence[int], start: int) -> int | None:
    if not offsets or len(offsets) != len(numbers):
        return None
    i = bisect.bisect_right(offsets, start) - 1
    return numbers[i] if i >= 0 else None


def finding_rows(
    document_id: int, findings: Findings, offsets: Sequence[int], numbers: Sequence[int]
) -> Iterator[Finding]:
    for d in findings.diagnoses:
        yield Finding(
            document_id=document_id,
            kind="diagnosis",
            text=d.text,
            start=d.start,
            end=d.end,
            page=_page_at(offsets, numbers, d.start),
            code=d.code,
            description=d.description,
            assertion=str(d.assertion),
            section=d.section,
            release=d.release,
            source=d.source,
            value="",
            role="",
            confidence=None,
        )
    for m in findings.dates:
        row = _plain(document_id, "date", m.text, m.start, m.end, offsets, numbers, m.value)
        row.role = str(m.role)
        yield row
    for i in findings.identifiers:
        row = _plain(document_id, "identifier", i.text, i.start, i.end, offsets, numbers, i.value)
        row.role = i.kind
        row.confidence = i.confidence
        yield row


def _plain(
    document_id: int,
    kind: str,
    text: str,
    start: int,
    end: int,
    offsets: Sequence[int],
    numbers: Sequence[int],
    value: str,
) -> Finding:
    return Finding(
        document_id=document_id,
        kind=kind,
        text=text,
        start=start,
        end=end,
        page=_page_at(offsets, numbers, start),
        code="",
        description="",
        assertion="",
        section="",
        release="",
        source="",
        value=value,
        role="",
        confidence=None,
    )


def stored_finding(row: Finding) -> StoredFinding:
    return StoredFinding(
        id=row.id,
        document_id=row.document_id,
        kind=row.kind,
        text=row.text,
        start=row.start,
        end=row.end,
        page=row.page,
        code=row.code,
        description=row.description,
        assertion=row.assertion,
        section=row.section,
        release=row.release,
        source=row.source,
        value=row.value,
        role=row.role,
        confidence=row.confidence,
    )


def findings_of(document: Document, rows: Sequence[Finding]) -> Findings:
    """The Findings a document was stored with (rebuilt from its rows, in stored order)."""
    diagnoses = tuple(
        Diagnosis(
            r.text,
            r.start,
            r.end,
            r.code,
            r.description,
            Assertion(r.assertion),
            r.section,
            r.release,
            r.source,
        )
        for r in rows
        if r.kind == "diagnosis"
    )
    dates = tuple(
        DateMention(r.text, r.start, r.end, r.value, DateRole(r.role))
        for r in rows
        if r.kind == "date"
    )
    identifiers = tuple(
        Identifier(r.role, r.value, r.text, r.start, r.end, r.confidence or 0.0)
        for r in rows
        if r.kind == "identifier"
    )
    guess = DocumentTypeGuess(DocumentType(document.document_type), document.type_confidence)
    return Findings(diagnoses, dates, identifiers, guess, document.signed)


# --- documents, patients, events -------------------------------------------------------------


def stored_document(row: Document) -> StoredDocument:
    return StoredDocument(
        id=row.id,
        sha256=row.sha256,
        source_name=row.source_name,
        page_count=row.page_count,
        first_page=row.first_page,
        last_page=row.last_page,
        document_type=row.document_type,
        status=DocumentStatus(row.status),
        patient_id=row.patient_id,
        created_at=row.created_at,
    )


def patient_record(row: Patient) -> PatientRecord:
    return PatientRecord(row.mrn, row.last_name, row.first_name, row.dob, row.sex, row.id)


def event(row: EventRow) -> Event:
    return Event(row.id, row.at, row.actor, row.action, row.document_id, row.patient_id, row.detail)


def outbox_item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(row.id, row.document_id, row.op, row.created_at)
