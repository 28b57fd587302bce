"""The system of record against real databases: SQLite files in tmp_path and a real PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from chartroom.errors import DatabaseBusy, DatabaseError, InvalidRequest, RecordNotFound
from chartroom.settings import Settings
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
from records import db
from records import store as store_module
from records.schema import Base
from records.store import RecordStore
from records.types import (
    Candidate,
    DocumentStatus,
    FilingDecision,
    NewDocument,
    Outcome,
    PatientRecord,
    SourceFile,
    join_page_texts,
)
from scanner.types import Barcode, CleanupRecord, ScannedPage, Word
from tests import _postgres

RAW_NAME = b"scan \xff\xfe caf\xe9 2024.pdf"  # not UTF-8: must come back byte for byte
SHA_A = "a" * 64
SHA_B = "b" * 64


@pytest.fixture(params=["sqlite", "postgresql"])
def settings_for(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "postgresql":
        return settings.with_(database_url=_postgres.server().create_database())
    return settings


@pytest.fixture
def store(settings_for: Settings) -> Iterator[RecordStore]:
    with RecordStore(settings_for) as s:
        yield s


def raw_engine(settings: Settings) -> sqlalchemy.Engine:
    """A plain engine on the same database, for raw SQL checks."""
    return sqlalchemy.create_engine(db.database_url(settings))


def page(number: int, text: str, *, separator: bool = False) -> ScannedPage:
    words = tuple(
        Word(w, 100 + 60 * i, 200, 50, 20, 91.25 + i, block=1, line=1)
        for i, w in enumerate(text.split())
    )
    return ScannedPage(
        number=number,
        width=2550,
        height=3300,
        dpi=300,
        text=text,
        confidence=90.5,
        blank=False,
        low_confidence=False,
        cleanup=CleanupRecord(rotation=90, deskew_angle=1.25, scale=1.0, steps=("orient",)),
        barcodes=(Barcode("Code128", "MRN00123456", 10, 20, 300, 80),) if number == 1 else (),
        words=words,
        separator=separator,
    )


def new_document(
    pages: tuple[ScannedPage, ...], patient_id: int | None = None, rule: str = "barcode"
) -> NewDocument:
    text, offsets = join_page_texts(pages)
    start = text.index("diabetes")
    findings = Findings(
        diagnoses=(
            Diagnosis(
                "diabetes",
                start,
                start + 8,
                "E11.9",
                "Type 2 diabetes mellitus without complications",
                Assertion.NEGATED,
                "assessment_and_plan",
                "2026-04",
            ),
        ),
        dates=(DateMention("03/04/2024", 0, 10, "2024-03-04", DateRole.ADMISSION),),
        identifiers=(Identifier("mrn", "00123456", "00123456", 11, 19, 0.9),),
        document_type=DocumentTypeGuess(DocumentType.DISCHARGE_SUMMARY, 0.8),
        signed=True,
    )
    decision = FilingDecision(
        patient_id=patient_id,
        rule=rule if patient_id else "",
        confidence=0.99 if patient_id else 0.4,
        candidates=() if patient_id else (Candidate(1, "00123456", 0.4, ("DOB matches",)),),
        reasons=("barcode MRN matches",) if patient_id else ("no MRN found",),
    )
    return NewDocument(pages, findings, decision, offsets)


def source(key: str = "batch-1", sha: str = SHA_A, name: bytes = RAW_NAME) -> SourceFile:
    return SourceFile(name=name, key=key, sha256=sha, size=1234, file_type="pdf")


def add_patients(store: RecordStore) -> tuple[int, int]:
    store.upsert_patients(
        [
            PatientRecord("00123456", "Brindlemoor", "Orla", date(1952, 7, 9), "F"),
            PatientRecord("00234567", "Quellbrook", "Jasper", date(1964, 11, 23), "M"),
        ]
    )
    first, second = store.patient_by_mrn("00123456"), store.patient_by_mrn("00234567")
    assert first and second and first.id and second.id
    return first.id, second.id


def test_migrations_create_the_schema_from_nothing_and_are_idempotent(
    settings_for: Settings,
) -> None:
    with RecordStore(settings_for) as s:
        assert s.schema_revision() == "0002"
        s.migrate()
        s.migrate()
    with RecordStore(settings_for) as s:  # reopening migrates again: nothing to do
        assert s.schema_revision() == "0002"
        assert s.counts()["documents"] == 0
    engine = raw_engine(settings_for)
    with engine.connect() as conn:
        tables = set(sqlalchemy.inspect(conn).get_table_names())
        assert {"patients", "documents", "pages", "findings", "filings", "intake"} <= tables
        assert {"events", "index_outbox", "alembic_version"} <= tables
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []  # migrations == ORM classes
    engine.dispose()


def test_sqlite_is_the_default_in_wal_mode_with_foreign_keys(settings: Settings) -> None:
    with RecordStore(settings) as s:
        assert s.dialect == "sqlite"
    assert (settings.home / "chartroom.db").is_file()
    engine = db.create(settings)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    engine.dispose()


def test_save_stored_round_trip(store: RecordStore) -> None:
    patient_id, _ = add_patients(store)
    first = (page(1, "Discharge summary\nno diabetes"), page(2, "second page text"))
    second = (page(4, "Another note about diabetes"),)  # page 3 was a separator sheet
    result = store.save_stored(
        source(), [new_document(first, patient_id), new_document(second, None)]
    )
    assert result.outcome == Outcome.STORED
    assert len(result.document_ids) == 2 and result.patient_ids == (patient_id, None)
    filed_id, queued_id = result.document_ids

    doc = store.document(filed_id)
    assert doc is not None
    assert doc.source_name == RAW_NAME  # non-UTF-8 bytes preserved exactly
    assert (doc.first_page, doc.last_page, doc.page_count) == (1, 2, 2)
    assert doc.status == DocumentStatus.FILED and doc.patient_id == patient_id
    assert doc.document_type == "discharge_summary" and doc.sha256 == SHA_A
    assert doc.created_at.tzinfo is not None
    queued = store.document(queued_id)
    assert queued and queued.status == DocumentStatus.UNFILED and queued.patient_id is None
    assert (queued.first_page, queued.last_page) == (4, 4)
    assert store.document(999_999) is None

    pages = store.document_pages(filed_id)
    assert [p.number for p in pages] == [1, 2]
    assert pages[0].text == first[0].text and pages[0].words == first[0].words
    assert pages[0].barcodes == first[0].barcodes and pages[1].barcodes == ()
    assert pages[0].cleanup == first[0].cleanup and pages[0].dpi == 300

    assert store.findings(filed_id) == new_document(first).findings  # exact round trip
    rows = store.document_findings(filed_id)
    assert {r.kind for r in rows} == {"diagnosis", "date", "identifier"}
    diagnosis = next(r for r in rows if r.kind == "diagnosis")
    assert (diagnosis.code, diagnosis.assertion, diagnosis.page) == ("E11.9", "negated", 1)
    assert next(r for r in store.document_findings(queued_id) if r.kind == "diagnosis").page == 4

    assert store.intake_outcome("batch-1") == result
    assert store.intake_outcome("never-seen") is None
    assert store.document_ids_for_sha(SHA_A) == (filed_id, queued_id)
    assert list(store.iter_stored_shas()) == [SHA_A]

    actions = [(e.action, e.actor, e.document_id) for e in store.events()]
    assert ("document.stored", "system:ingest", filed_id) in actions
    assert ("document.filed", "rule:barcode", filed_id) in actions
    assert ("document.queued", "system:ingest", queued_id) in actions
    assert ("intake.stored", "system:ingest", None) in actions
    for event in store.events():  # ids and reasons only: no text, names or file names
        assert "Brindlemoor" not in str(event.detail) and "diabetes" not in str(event.detail)
        assert "scan" not in str(event.detail)
    assert [i.document_id for i in store.index_outbox()] == [filed_id, queued_id]

    counts = store.counts()
    assert counts["documents"] == 2 and counts["pages"] == 3 and counts["patients"] == 2
    assert counts["filed"] == 1 and counts["unfiled"] == 1 and counts["intake_stored"] == 1

    engine = raw_engine(store.settings)
    with engine.connect() as conn:
        admission = conn.execute(
            sqlalchemy.text("SELECT admission_date FROM documents WHERE id = :i"), {"i": filed_id}
        ).scalar()
    engine.dispose()
    assert str(admission) == "2024-03-04"


def test_save_stored_is_one_transaction(store: RecordStore) -> None:
    good = new_document((page(1, "no diabetes"),), None)
    bad = new_document((page(2, "diabetes"),), patient_id=424242)  # unknown patient
    with pytest.raises(RecordNotFound):
        store.save_stored(source(), [good, bad])
    assert store.intake_outcome("batch-1") is None
    assert store.counts()["documents"] == 0 and store.events() == []


def test_duplicate_and_failed_outcomes(store: RecordStore) -> None:
    stored = store.save_stored(source(), [new_document((page(1, "diabetes"),))])
    dup = store.save_duplicate(source(key="copy-of-batch-1", name=b"copy.pdf"))
    assert dup.outcome == Outcome.DUPLICATE and dup.document_ids == stored.document_ids
    assert store.intake_outcome("copy-of-batch-1") == dup
    with pytest.raises(InvalidRequest):  # nothing stored with that content
        store.save_duplicate(source(key="other", sha=SHA_B))

    failed = store.save_failed(source(key="bad", sha=SHA_B), "DamagedFile", "truncated PDF")
    assert failed.outcome == Outcome.FAILED and failed.reason == "DamagedFile: truncated PDF"
    assert store.intake_outcome("bad") == failed
    unread = store.save_failed(source(key="gone", sha=""), "InputNotFound", "")
    assert unread.reason == "InputNotFound" and unread.source.sha256 == ""

    # a failed file can be tried again; a stored one cannot be recorded twice
    again = store.save_stored(source(key="bad", sha=SHA_B), [new_document((page(1, "diabetes"),))])
    assert store.intake_outcome("bad") == again and again.outcome == Outcome.STORED
    with pytest.raises(InvalidRequest):
        store.save_stored(source(), [])
    with pytest.raises(InvalidRequest):
        store.save_failed(source(), "OcrError", "x")

    actions = [e.action for e in store.events()]
    assert actions.count("intake.duplicate") == 1 and actions.count("intake.failed") == 2
    counts = store.counts()
    assert (counts["intake_stored"], counts["intake_duplicate"], counts["intake_failed"]) == (
        2,
        1,
        1,
    )
    assert sorted(store.iter_stored_shas()) == [SHA_A, SHA_B]


def test_events_are_append_only_in_the_database(store: RecordStore) -> None:
    store.save_failed(source(key="bad"), "DamagedFile", "truncated")
    before = store.events()
    engine = raw_engine(store.settings)
    for statement in ("UPDATE events SET actor = 'user:mallory'", "DELETE FROM events"):
        with pytest.raises(sqlalchemy.exc.DatabaseError), engine.begin() as conn:
            conn.execute(sqlalchemy.text(statement))
    engine.dispose()
    assert store.events() == before


def test_filing_refiling_and_unfiling_keep_history(store: RecordStore) -> None:
    first, second = add_patients(store)
    result = store.save_stored(source(), [new_document((page(1, "no diabetes"),))])
    (doc_id,) = result.document_ids

    store.file_document(doc_id, first, "alice", "name and DOB match the cover sheet")
    assert store.document(doc_id).patient_id == first  # type: ignore[union-attr]
    with pytest.raises(InvalidRequest):  # same patient again
        store.file_document(doc_id, first, "alice", "again")
    with pytest.raises(InvalidRequest):  # filed elsewhere: refile, not file
        store.file_document(doc_id, second, "alice", "moving")
    with pytest.raises(InvalidRequest):
        store.refile_document(doc_id, first, "bob", "same patient")

    store.refile_document(doc_id, second, "bob", "wrong chart: MRN on page 2 is Quellbrook")
    doc = store.document(doc_id)
    assert doc and doc.patient_id == second and doc.status == DocumentStatus.FILED
    store.unfile_document(doc_id, "carol", "needs review")
    doc = store.document(doc_id)
    assert doc and doc.patient_id is None and doc.status == DocumentStatus.UNFILED
    with pytest.raises(InvalidRequest):
        store.unfile_document(doc_id, "carol", "again")
    with pytest.raises(InvalidRequest):
        store.refile_document(doc_id, first, "carol", "not filed")

    with pytest.raises(RecordNotFound):
        store.file_document(999_999, first, "alice", "x")
    with pytest.raises(RecordNotFound):
        store.file_document(doc_id, 999_999, "alice", "x")
    with pytest.raises(RecordNotFound):
        store.unfile_document(999_999, "alice", "x")
    with pytest.raises(InvalidRequest):
        store.file_document(doc_id, first, " ", "no user")
    with pytest.raises(InvalidRequest):
        store.file_document(doc_id, first, "alice", "  ")

    history = [(e.action, e.actor, e.patient_id) for e in store.events(doc_id)]
    assert history == [
        ("document.stored", "system:ingest", None),
        ("document.queued", "system:ingest", None),
        ("document.filed", "user:alice", first),
        ("document.refiled", "user:bob", second),
        ("document.unfiled", "user:carol", second),
    ]
    refiled = store.events(doc_id)[3]
    assert refiled.detail["from_patient_id"] == first and "wrong chart" in str(refiled.detail)

    engine = raw_engine(store.settings)
    with engine.connect() as conn:
        rows = conn.execute(
            sqlalchemy.text(
                "SELECT patient_id, actor, active, closed_by FROM filings"
                " WHERE document_id = :d ORDER BY id"
            ),
            {"d": doc_id},
        ).all()
    engine.dispose()
    assert [(r[0], r[1], bool(r[2]), r[3]) for r in rows] == [
        (None, "system:ingest", False, "user:alice"),
        (first, "user:alice", False, "user:bob"),
        (second, "user:bob", False, "user:carol"),
        (None, "user:carol", True, None),
    ]
    assert len(store.index_outbox()) == 4  # stored + three changes


def test_unfiled_queue_oldest_first(store: RecordStore) -> None:
    patient_id, _ = add_patients(store)
    ids: list[int] = []
    for n in range(4):
        filed = patient_id if n == 1 else None
        r = store.save_stored(source(key=f"k{n}"), [new_document((page(1, "diabetes"),), filed)])
        ids.extend(r.document_ids)
    queue = store.unfiled_queue()
    assert [d.id for d in queue] == [ids[0], ids[2], ids[3]]
    assert [d.id for d in store.unfiled_queue(limit=2)] == [ids[0], ids[2]]
    store.file_document(ids[0], patient_id, "alice", "checked")
    assert [d.id for d in store.unfiled_queue()] == [ids[2], ids[3]]


def test_patients_upsert_by_mrn_and_lookups(store: RecordStore) -> None:
    rows = [
        PatientRecord("00123456", "Brindlemoor", "Orla", date(1952, 7, 9), "F"),
        PatientRecord("ab234567", "Quellbrook", "Jasper", date(1964, 11, 23), "M"),
        PatientRecord("", "Nobody", "", None, ""),
        PatientRecord("00999999", "Fenwhistle", "Mirelle", date(1947, 2, 28), "Q"),
    ]
    first = store.upsert_patients(rows)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert first.rejected == ("row 3: the MRN is empty", "row 4: sex must be F, M, X or empty")
    again = store.upsert_patients(rows[:2])
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = store.upsert_patients(
        [PatientRecord(" AB234567 ", "Quellbrook", "Jasper", date(1964, 11, 24), "M")]
    )
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 0)
    assert store.counts()["patients"] == 2

    jasper = store.patient_by_mrn("ab234567")
    assert jasper and jasper.mrn == "AB234567" and jasper.dob == date(1964, 11, 24)
    assert store.patient(jasper.id or 0) == jasper
    assert store.patients_by_dob(date(1952, 7, 9))[0].last_name == "Brindlemoor"
    assert [p.mrn for p in store.patients_by_name("quellbrook")] == ["AB234567"]
    assert store.patients_by_name("Quellbrook", "jasper") == [jasper]
    assert store.patients_by_name("Quellbrook", "Orla") == []
    assert store.patient_by_mrn("nope") is None and store.patient(999_999) is None
    updated = [e for e in store.events() if e.action == "patient.updated"]
    assert updated[0].detail == {"fields": ["dob"]}  # field names only, never values


def test_iteration_pages_through_everything(
    store: RecordStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "PAGE", 2)
    for n in range(5):
        sha = f"{n:064x}"
        store.save_stored(source(key=f"k{n}", sha=sha), [new_document((page(1, "diabetes"),))])
    assert [d.id for d in store.iter_documents()] == sorted(d.id for d in store.iter_documents())
    assert len(list(store.iter_documents())) == 5
    assert list(store.iter_stored_shas()) == [f"{n:064x}" for n in range(5)]


def test_index_outbox_is_consumed(store: RecordStore) -> None:
    store.save_stored(source(), [new_document((page(1, "diabetes"),))])
    items = store.index_outbox()
    assert [i.op for i in items] == ["upsert"]
    assert store.index_outbox_done([i.id for i in items]) == 1
    assert store.index_outbox() == [] and store.counts()["index_pending"] == 0
    assert store.index_outbox_done([i.id for i in items]) == 0


def test_locked_sqlite_is_retried_then_reported_as_busy(settings: Settings) -> None:
    RecordStore(settings).close()
    blocker = sqlite3.connect(
        settings.home / "chartroom.db", isolation_level=None, check_same_thread=False
    )
    blocker.execute("BEGIN IMMEDIATE")  # hold the write lock
    try:
        with RecordStore(settings, busy_timeout_ms=10, retries=3, retry_delay=0.01) as s:
            with pytest.raises(DatabaseBusy):
                s.save_failed(source(key="bad"), "DamagedFile", "x")
            timer = threading.Timer(0.2, lambda: blocker.execute("ROLLBACK"))
            timer.start()
            s._retries, s._retry_delay = 8, 0.05  # now waits out the lock: retried, then saved
            assert s.save_failed(source(key="bad"), "DamagedFile", "x").outcome == Outcome.FAILED
            timer.join()
    finally:
        blocker.close()


def test_bad_database_urls_are_chartroom_errors(settings: Settings) -> None:
    with pytest.raises(DatabaseError):
        RecordStore(settings.with_(database_url="mysql://u:secret@localhost/x"))
    with pytest.raises(DatabaseError) as info:  # nothing listens on port 1
        RecordStore(settings.with_(database_url="postgresql://u:secret@127.0.0.1:1/x"))
    assert "secret" not in str(info.value)


def test_documents_for_index_reads_in_bulk_and_resumes_by_id(store: RecordStore) -> None:
    first_patient, _ = add_patients(store)
    ids = []
    for n in range(3):
        pages = (page(1, f"diabetes note {n}"), page(2, "second page"))
        result = store.save_stored(
            source(key=f"k{n}", sha=f"{n:064x}"),
            [new_document(pages, patient_id=first_patient if n != 1 else None)],
        )
        ids.extend(result.document_ids)
    assert [d.id for d in store.iter_documents(after_id=ids[0])] == ids[1:]
    batch = store.documents_for_index(after_id=ids[0], limit=1)
    assert [b.document.id for b in batch] == [ids[1]]
    (unfiled,) = batch
    assert unfiled.patient is None and [p.number for p in unfiled.pages] == [1, 2]
    assert unfiled.pages[0].text == "diabetes note 1" and unfiled.pages[0].text_source == "ocr"
    assert unfiled.dates == (("admission", "2024-03-04"),)
    assert unfiled.diagnoses == (
        ("E11.9", "negated", "diabetes", "Type 2 diabetes mellitus without complications"),
    )
    chosen = store.documents_for_index(ids=[ids[2], 999_999])
    assert [c.document.id for c in chosen] == [ids[2]]
    assert chosen[0].patient is not None and chosen[0].patient.mrn == "00123456"
    assert store.documents_for_index(after_id=ids[-1]) == []
