"""records/charts.py and charts_edit.py: chart reads, queue, patient lookup, split, merge."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date

import pytest

from chartroom.errors import InvalidRequest, RecordNotFound
from chartroom.settings import Settings
from models.types import (
    Assertion,
    DateMention,
    DateRole,
    Diagnosis,
    DocumentType,
    DocumentTypeGuess,
    Findings,
)
from records import charts, charts_edit
from records.store import RecordStore
from records.types import (
    Candidate,
    DocumentStatus,
    FilingDecision,
    NewDocument,
    SourceFile,
    join_page_texts,
)
from tests import _search_docs as docs


@pytest.fixture
def store(settings: Settings) -> Iterator[RecordStore]:
    with RecordStore(settings) as s:
        yield s


def batch(store: RecordStore, texts: list[str], patient_id: int | None = None) -> int:
    """One 3-page-or-so document of one file, with a date and a diagnosis on each page."""
    pages = tuple(docs.page(n + 1, t) for n, t in enumerate(texts))
    text, offsets = join_page_texts(pages)
    diagnoses = []
    dates = []
    for n, t in enumerate(texts):
        start = offsets[n]
        diagnoses.append(
            Diagnosis(t[:5], start, start + 5, f"E1{n}.9", f"dx {n}", Assertion.AFFIRMED, "", "r")
        )
        dates.append(DateMention(t[:3], start, start + 3, f"2020-0{n + 1}-01", DateRole.REPORT))
    findings = Findings(
        tuple(diagnoses), tuple(dates), (), DocumentTypeGuess(DocumentType.PROGRESS_NOTE, 0.8)
    )
    candidates = () if patient_id else (Candidate(1, "00123456", 0.6, ("DOB matches",)),)
    decision = FilingDecision(patient_id, "barcode" if patient_id else "", 0.5, candidates, ("x",))
    sha = hashlib.sha256(text.encode()).hexdigest()
    source = SourceFile(b"batch.pdf", sha, sha, 10, "pdf")
    result = store.save_stored(source, [NewDocument(pages, findings, decision, offsets)])
    return result.document_ids[0]


def test_document_info_and_patient_chart(store: RecordStore) -> None:
    ids = docs.archive(store)
    orla = store.patient_by_mrn("00123456")
    assert orla and orla.id
    info = charts.get_document(store, ids["dc2019"])
    assert info is not None
    assert info.file_type == "pdf" and info.source_display == "dc2019.pdf"
    assert info.admission_date == date(2019, 3, 11) and info.main_date == date(2019, 3, 14)
    assert charts.get_document(store, 9999) is None
    chart = charts.patient_documents(store, orla.id)
    assert [d.id for d in chart] == [ids["dc2021"], ids["dc2019"]]  # newest first
    summary = {d.code: d for d in charts.diagnosis_summary(store, orla.id)}
    assert set(summary) == {"I50.23", "E11.9", "J18.9"}  # J18.9 affirmed in 2021 only
    assert summary["J18.9"].first_seen == date(2021, 6, 5)
    assert summary["I50.23"].first_seen == summary["I50.23"].last_seen == date(2019, 3, 14)


def test_queue_has_candidates_and_reasons(store: RecordStore) -> None:
    docs.patients(store)
    document_id = batch(store, ["first page", "second page"])
    entries = charts.queue(store)
    assert [e.document.id for e in entries] == [document_id]
    assert entries[0].reasons == ("x",)
    assert entries[0].candidates[0].reasons == ("DOB matches",)


def test_find_patients(store: RecordStore) -> None:
    docs.patients(store)
    assert [p.last_name for p in charts.find_patients(store, "brind")] == ["Brindlemoor"]
    assert [p.last_name for p in charts.find_patients(store, "Brindlemoor, orla")] == [
        "Brindlemoor"
    ]
    assert [p.mrn for p in charts.find_patients(store, "00234567")] == ["00234567"]
    assert charts.find_patients(store, "%") == []
    assert charts.find_patients(store, "   ") == []


def test_split_moves_pages_findings_and_queues_the_rest(store: RecordStore) -> None:
    orla, _ = docs.patients(store)
    document_id = batch(store, ["alpha page one", "bravo page two", "charlie page three"], orla)
    new_id = charts_edit.split(store, document_id, 2, "alice", "two patients in one batch")
    old, new = charts.get_document(store, document_id), charts.get_document(store, new_id)
    assert old and new
    assert (old.first_page, old.last_page, old.page_count) == (1, 1, 1)
    assert (new.first_page, new.last_page, new.page_count) == (2, 3, 2)
    assert old.status == DocumentStatus.FILED and new.status == DocumentStatus.UNFILED
    assert old.report_date == date(2020, 1, 1) and new.report_date == date(2020, 2, 1)
    text = "\n\n".join(p.text for p in store.document_pages(new_id))
    for finding in store.document_findings(new_id):
        assert text[finding.start : finding.end] == finding.text
    assert [f.page for f in store.document_findings(document_id)] == [1, 1]
    entry = next(e for e in charts.queue(store) if e.document.id == new_id)
    assert entry.candidates[0].patient_id == orla
    actions = [e.action for e in store.events()]
    assert "document.split" in actions and actions[-1] == "document.queued"
    with pytest.raises(InvalidRequest):
        charts_edit.split(store, document_id, 1, "alice", "why")
    with pytest.raises(InvalidRequest):
        charts_edit.split(store, new_id, 2, "alice", "why")  # its first page
    with pytest.raises(InvalidRequest):
        charts_edit.split(store, new_id, 3, "alice", " ")
    with pytest.raises(RecordNotFound):
        charts_edit.split(store, 999, 2, "alice", "why")


def test_merge_undoes_a_split(store: RecordStore) -> None:
    document_id = batch(store, ["alpha page one", "bravo page two", "charlie page three"])
    before = [(f.text, f.start, f.end, f.page) for f in store.document_findings(document_id)]
    new_id = charts_edit.split(store, document_id, 3, "alice", "wrong batch")
    charts_edit.merge(store, new_id, document_id, "bob", "it was one document after all")
    assert charts.get_document(store, new_id) is None
    merged = charts.get_document(store, document_id)
    assert merged and (merged.first_page, merged.last_page, merged.page_count) == (1, 3, 3)
    after = sorted((f.text, f.start, f.end, f.page) for f in store.document_findings(document_id))
    assert after == sorted(before)
    assert [e.document.id for e in charts.queue(store)] == [document_id]
    assert store.index_outbox(100)[-1].op == "delete"
    assert store.events()[-1].action == "document.merged"


def test_merge_refuses_what_does_not_fit(store: RecordStore) -> None:
    orla, jasper = docs.patients(store)
    document_id = batch(store, ["alpha page one", "bravo page two", "charlie page three"], orla)
    new_id = charts_edit.split(store, document_id, 2, "alice", "split")
    with pytest.raises(InvalidRequest):  # one filed, one not
        charts_edit.merge(store, document_id, new_id, "bob", "merge")
    other = batch(store, ["delta page", "echo page"], orla)
    with pytest.raises(InvalidRequest):  # another file
        charts_edit.merge(store, document_id, other, "bob", "merge")
    with pytest.raises(InvalidRequest):
        charts_edit.merge(store, document_id, document_id, "bob", "merge")
    with pytest.raises(RecordNotFound):
        charts_edit.merge(store, document_id, 999, "bob", "merge")
    store.file_document(new_id, jasper, "bob", "it is Jasper's")
    with pytest.raises(InvalidRequest):  # different patients
        charts_edit.merge(store, document_id, new_id, "bob", "merge")
