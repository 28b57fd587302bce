"""`RecordStore`: the system of record (implements records.types.RecordStoreAPI).

    with RecordStore(settings) as store:      # opens the database and migrates it to head
        result = store.save_stored(source, documents)

Every write runs in one transaction (SQLite: BEGIN IMMEDIATE) and is retried with backoff on a
transient lock; a lock that outlasts the retries is `DatabaseBusy`. Plain records go in and come
out: no SQLAlchemy object leaves records/. Originals live in `store.blobs` (records/blobs.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from functools import partial
from types import TracebackType
from typing import TypeVar

import alembic.util.exc
from sqlalchemy.orm import Session

from chartroom.errors import DatabaseError
from chartroom.settings import Settings
from models.types import Findings
from records import db, filing, ingest, patients, queries
from records.blobs import BlobStore
from records.convert import patient_record
from records.schema import Intake, Patient
from records.types import (
    Event,
    ImportSummary,
    IndexDocument,
    IngestResult,
    NewDocument,
    OutboxItem,
    PatientRecord,
    SourceFile,
    StoredDocument,
    StoredFinding,
    StoredPage,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
PAGE = 500


class RecordStore:
    """The system of record on SQLite (default) or PostgreSQL (settings.database_url)."""

    def __init__(
        self,
        settings: Settings,
        *,
        migrate: bool = True,
        busy_timeout_ms: int = 5000,
        retries: int = 5,
        retry_delay: float = 0.05,
    ) -> None:
        self.settings = settings
        self.blobs = BlobStore(settings.home / "store")
        self._retries = retries
        self._retry_delay = retry_delay
        self._engine = db.create(settings, busy_timeout_ms=busy_timeout_ms)
        self.dialect = self._engine.dialect.name
        if migrate:
            try:
                self.migrate()
            except BaseException:
                self._engine.dispose()
                raise

    # --- lifecycle ---------------------------------------------------------------------------

    def migrate(self) -> None:
        """Bring the schema to the newest migration (safe to call again)."""
        try:
            db.migrate(self._engine)
        except alembic.util.exc.CommandError as exc:
            raise DatabaseError(
                "the database schema is from another chartroom version (unknown migration)"
            ) from exc

    def schema_revision(self) -> str | None:
        return db.with_retries(lambda: db.current_revision(self._engine), what="revision")

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> RecordStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- transactions ------------------------------------------------------------------------

    def _write(self, fn: Callable[[Session], T], *, what: str) -> T:
        def attempt() -> T:
            conn = self._engine.connect().execution_options(**{db.WRITE: True})
            with conn, Session(bind=conn, expire_on_commit=False) as session, session.begin():
                return fn(session)

        return db.with_retries(
            attempt, what=what, attempts=self._retries, first_delay=self._retry_delay
        )

    def _run(self, fn: Callable[[Session], T], *, what: str) -> T:
        def attempt() -> T:
            with Session(self._engine) as session, session.begin():
                return fn(session)

        return db.with_retries(
            attempt, what=what, attempts=self._retries, first_delay=self._retry_delay
        )

    # --- intake ------------------------------------------------------------------------------

    def intake_outcome(self, key: str) -> IngestResult | None:
        def read(session: Session) -> IngestResult | None:
            row = session.query(Intake).filter(Intake.key == key).one_or_none()
            return None if row is None else ingest.intake_result(row)

        return self._run(read, what="intake_outcome")

    def document_ids_for_sha(self, sha256: str) -> tuple[int, ...]:
        return self._run(lambda s: queries.document_ids_for_sha(s, sha256), what="lookup")

    def save_stored(self, source: SourceFile, documents: Iterable[NewDocument]) -> IngestResult:
        docs = tuple(documents)  # materialised once: a retry must see the same documents
        result = self._write(lambda s: ingest.save_stored(s, source, docs), what="save_stored")
        log.info("stored intake with %d document(s) %s", len(docs), list(result.document_ids))
        return result

    def save_duplicate(self, source: SourceFile) -> IngestResult:
        return self._write(lambda s: ingest.save_duplicate(s, source), what="save_duplicate")

    def save_failed(self, source: SourceFile, error_type: str, message: str) -> IngestResult:
        return self._write(
            lambda s: ingest.save_failed(s, source, error_type, message), what="save_failed"
        )

    def iter_stored_shas(self) -> Iterator[str]:
        after = ""
        while True:
            batch = self._run(
                partial(queries.stored_shas_after, after=after, batch=PAGE), what="shas"
            )
            yield from batch
            if len(batch) < PAGE:
                return
            after = batch[-1]

    # --- patients ----------------------------------------------------------------------------

    def upsert_patients(self, rows: Iterable[PatientRecord]) -> ImportSummary:
        records = tuple(rows)
        summary = self._write(lambda s: patients.upsert(s, records), what="upsert_patients")
        log.info(
            "patients: %d created, %d updated, %d unchanged, %d rejected",
            summary.created,
            summary.updated,
            summary.unchanged,
            len(summary.rejected),
        )
        return summary

    def patient_by_mrn(self, mrn: str) -> PatientRecord | None:
        def read(session: Session) -> PatientRecord | None:
            row = patients.by_mrn(session, mrn)
            return None if row is None else patient_record(row)

        return self._run(read, what="patient_by_mrn")

    def patients_by_dob(self, dob: date) -> list[PatientRecord]:
        return self._run(
            lambda s: [patient_record(p) for p in patients.by_dob(s, dob)], what="patients_by_dob"
        )

    def patients_by_name(self, last: str, first: str = "") -> list[PatientRecord]:
        return self._run(
            lambda s: [patient_record(p) for p in patients.by_name(s, last, first)],
            what="patients_by_name",
        )

    def patient(self, patient_id: int) -> PatientRecord | None:
        def read(session: Session) -> PatientRecord | None:
            row = session.get(Patient, patient_id)
            return None if row is None else patient_record(row)

        return self._run(read, what="patient")

    # --- filing by people --------------------------------------------------------------------

    def file_document(self, document_id: int, patient_id: int, user: str, reason: str) -> None:
        self._write(
            lambda s: filing.file_document(s, document_id, patient_id, user, reason),
            what="file_document",
        )
        log.info("document %d filed to patient %d by a user", document_id, patient_id)

    def refile_document(self, document_id: int, patient_id: int, user: str, reason: str) -> None:
        self._write(
            lambda s: filing.refile_document(s, document_id, patient_id, user, reason),
            what="refile_document",
        )
        log.info("document %d refiled to patient %d by a user", document_id, patient_id)

    def unfile_document(self, document_id: int, user: str, reason: str) -> None:
        self._write(
            lambda s: filing.unfile_document(s, document_id, user, reason),
            what="unfile_document",
        )
        log.info("document %d unfiled by a user", document_id)

    def unfiled_queue(self, limit: int = 100) -> list[StoredDocument]:
        return self._run(lambda s: queries.unfiled_queue(s, limit), what="unfiled_queue")

    # --- documents and history ---------------------------------------------------------------

    def document(self, document_id: int) -> StoredDocument | None:
        return self._run(lambda s: queries.document(s, document_id), what="document")

    def document_pages(self, document_id: int) -> list[StoredPage]:
        return self._run(lambda s: queries.pages(s, document_id), what="document_pages")

    def document_findings(self, document_id: int) -> list[StoredFinding]:
        return self._run(lambda s: queries.findings(s, document_id), what="document_findings")

    def findings(self, document_id: int) -> Findings:
        """The document's findings as the `models.types.Findings` it was stored with."""
        return self._run(lambda s: queries.findings_object(s, document_id), what="findings")

    def iter_documents(self, after_id: int = 0) -> Iterator[StoredDocument]:
        """Every document with an id above `after_id`, by id, read in pages (no transaction
        stays open between pages; `after_id` resumes an interrupted pass)."""
        after = after_id
        while True:
            batch = self._run(
                partial(queries.documents_after, after_id=after, batch=PAGE), what="docs"
            )
            yield from batch
            if len(batch) < PAGE:
                return
            after = batch[-1].id

    def events(self, document_id: int | None = None) -> list[Event]:
        return self._run(lambda s: queries.events(s, document_id), what="events")

    def counts(self) -> dict[str, int]:
        """documents, pages, patients, events, filed, unfiled, intake_<outcome>, index_pending."""
        return self._run(queries.counts, what="counts")

    # --- search-index outbox -----------------------------------------------------------------

    def index_outbox(self, limit: int = 500) -> list[OutboxItem]:
        """Document changes not yet applied to the search index, oldest first."""
        return self._run(lambda s: queries.outbox_pending(s, limit), what="outbox")

    def index_outbox_done(self, ids: Sequence[int]) -> int:
        """Mark outbox items as applied; returns how many were pending."""
        return self._write(lambda s: queries.outbox_done(s, ids), what="outbox_done")

    def documents_for_index(
        self, ids: Sequence[int] | None = None, after_id: int = 0, limit: int = PAGE
    ) -> list[IndexDocument]:
        """What the search index needs of documents, in bulk: the listed `ids`, or the next
        `limit` documents by id after `after_id` (page texts, dates, diagnoses, patient)."""
        return self._run(
            lambda s: queries.documents_for_index(s, ids, after_id, limit), what="for_index"
        )
