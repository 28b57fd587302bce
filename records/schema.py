"""The tables of the system of record, as typed SQLAlchemy 2 ORM classes.

The schema itself is created by the Alembic migrations in records/migrations/ (never by
`metadata.create_all`); a test checks that these classes and the migrations agree.
Only records/ imports this module: no ORM object leaves the package.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone: UTC is assumed)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = BigInteger().with_variant(Integer(), "sqlite")
"""Ids: 64-bit on PostgreSQL; SQLite's INTEGER PRIMARY KEY (the rowid) is 64-bit already."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute)
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        bytes: LargeBinary(),
    }


class Patient(Base):
    """The master patient index: one row per MRN."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    mrn: Mapped[str] = mapped_column(String(64), unique=True)
    last_name: Mapped[str] = mapped_column(String(200))
    first_name: Mapped[str] = mapped_column(String(200))
    dob: Mapped[date | None] = mapped_column(index=True)
    sex: Mapped[str] = mapped_column(String(1))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_patients_name", "last_name", "first_name"),)


class Document(Base):
    """One document: a page range of a stored file (a batch splits at separator sheets)."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_name: Mapped[bytes]  # the file name exactly as given (bytes, maybe not UTF-8)
    source_display: Mapped[str] = mapped_column(Text)  # the name decoded for display
    first_page: Mapped[int]
    last_page: Mapped[int]
    page_count: Mapped[int]
    document_type: Mapped[str] = mapped_column(String(40))
    type_confidence: Mapped[float] = mapped_column(Float)
    signed: Mapped[bool] = mapped_column(Boolean)
    admission_date: Mapped[date | None]
    discharge_date: Mapped[date | None]
    service_date: Mapped[date | None]
    report_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), index=True)
    patient_id: Mapped[int | None] = mapped_column(ID, ForeignKey("patients.id"), index=True)
    intake_id: Mapped[int] = mapped_column(ID, ForeignKey("intake.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class Page(Base):
    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    document_id: Mapped[int] = mapped_column(ID, ForeignKey("documents.id"))
    number: Mapped[int]  # 1-based page number within the stored file
    width: Mapped[int]
    height: Mapped[int]
    dpi: Mapped[int]
    text_offset: Mapped[int | None]  # where this page starts in the document text, if known
    ocr_text: Mapped[str] = mapped_column(Text)
    words: Mapped[list[Any]]  # [[text, left, top, width, height, confidence, block, line], ...]
    cleanup: Mapped[dict[str, Any]]
    confidence: Mapped[float] = mapped_column(Float)
    low_confidence: Mapped[bool] = mapped_column(Boolean)
    blank: Mapped[bool] = mapped_column(Boolean)
    barcodes: Mapped[list[Any]]
    text_source: Mapped[str] = mapped_column(String(20))

    __table_args__ = (UniqueConstraint("document_id", "number"),)


class Finding(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    document_id: Mapped[int] = mapped_column(ID, ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # diagnosis, date, identifier
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int]
    end: Mapped[int]
    page: Mapped[int | None]
    code: Mapped[str] = mapped_column(String(16), index=True)
    description: Mapped[str] = mapped_column(Text)
    assertion: Mapped[str] = mapped_column(String(16))
    section: Mapped[str] = mapped_column(String(64))
    release: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float | None] = mapped_column(Float)


class Filing(Base):
    """Each filing decision; exactly one active row per document (patient NULL: queued)."""

    __tablename__ = "filings"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    document_id: Mapped[int] = mapped_column(ID, ForeignKey("documents.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ID, ForeignKey("patients.id"), index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "rule:barcode", "user:NAME", "system:ingest"
    rule: Mapped[str] = mapped_column(String(32))
    reasons: Mapped[list[Any]]
    confidence: Mapped[float] = mapped_column(Float)
    candidates: Mapped[list[Any]]  # [{"patient_id", "mrn", "score", "reasons"}, ...]
    at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index(
            "uq_filings_active_document",
            "document_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )


class Intake(Base):
    """One row per input file seen, keyed for resumability."""

    __tablename__ = "intake"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    source_name: Mapped[bytes]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    file_type: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text)
    document_ids: Mapped[list[Any]]
    patient_ids: Mapped[list[Any]]
    at: Mapped[datetime]


class EventRow(Base):
    """Append-only (database triggers refuse UPDATE and DELETE). Ids and reasons only, no PHI."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64), index=True)
    document_id: Mapped[int | None] = mapped_column(ID, index=True)
    patient_id: Mapped[int | None] = mapped_column(ID, index=True)
    detail: Mapped[dict[str, Any]]


class OutboxRow(Base):
    """Document changes for the search index, written in the same transaction as the change."""

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    document_id: Mapped[int] = mapped_column(ID, index=True)
    op: Mapped[str] = mapped_column(String(8))  # "upsert" or "delete"
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "ix_index_outbox_pending",
            "id",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
    )


# The web app's tables (users, sessions, audit log...) share this metadata; see access_schema.
from records import access_schema as _access_schema  # noqa: E402, F401
