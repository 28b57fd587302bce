"""A small archive for the search tests: documents saved through the real RecordStore (SQLite),
built from ScannedPage / Findings dataclasses directly (no OCR, no NLP). Invented patients only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from models.types import (
    Assertion,
    DateMention,
    DateRole,
    Diagnosis,
    DocumentType,
    DocumentTypeGuess,
    Findings,
)
from records.store import RecordStore
from records.types import FilingDecision, NewDocument, PatientRecord, SourceFile, join_page_texts
from scanner.types import CleanupRecord, ScannedPage, Word


def page(number: int, text: str) -> ScannedPage:
    words = []
    x, y = 100, 200
    for line in text.split("\n"):
        for w in line.split():
            words.append(Word(w, x, y, 12 * len(w), 30, 92.0, block=1, line=1))
            x += 12 * len(w) + 15
        x, y = 100, y + 45
    return ScannedPage(
        number=number,
        width=2550,
        height=3300,
        dpi=300,
        text=text,
        confidence=92.0,
        blank=False,
        low_confidence=False,
        cleanup=CleanupRecord(),
        words=tuple(words),
    )


@dataclass(frozen=True)
class Doc:
    key: str
    pages: tuple[str, ...]
    type: DocumentType
    dates: tuple[tuple[DateRole, str], ...] = ()
    diagnoses: tuple[tuple[str, str, Assertion], ...] = ()  # (code, words, assertion)
    patient_id: int | None = None


def save(store: RecordStore, doc: Doc) -> int:
    pages = tuple(page(n + 1, t) for n, t in enumerate(doc.pages))
    text, offsets = join_page_texts(pages)
    diagnoses = []
    for code, words, assertion in doc.diagnoses:
        start = max(0, text.lower().find(words.lower()))
        diagnoses.append(
            Diagnosis(words, start, start + len(words), code, words, assertion, "", "2026-04")
        )
    dates = tuple(DateMention(v, 0, len(v), v, role) for role, v in doc.dates)
    findings = Findings(
        diagnoses=tuple(diagnoses),
        dates=dates,
        document_type=DocumentTypeGuess(doc.type, 0.9),
    )
    decision = FilingDecision(
        patient_id=doc.patient_id,
        rule="barcode" if doc.patient_id else "",
        confidence=0.99 if doc.patient_id else 0.3,
        reasons=("test",),
    )
    sha = store.blobs.put_bytes(f"original of {doc.key}".encode())  # so `check` finds it
    source = SourceFile(f"{doc.key}.pdf".encode(), doc.key, sha, 100, "pdf")
    result = store.save_stored(source, [NewDocument(pages, findings, decision, offsets)])
    return result.document_ids[0]


def patients(store: RecordStore) -> tuple[int, int]:
    store.upsert_patients(
        [
            PatientRecord("00123456", "Brindlemoor", "Orla", date(1952, 7, 9), "F"),
            PatientRecord("00234567", "Quellbrook", "Jasper", date(1964, 11, 23), "M"),
        ]
    )
    a, b = store.patient_by_mrn("00123456"), store.patient_by_mrn("00234567")
    assert a and b and a.id and b.id
    return a.id, b.id


def archive(store: RecordStore) -> dict[str, int]:
    """Five documents of two patients and one unfiled; returns key -> document id."""
    orla, jasper = patients(store)
    D, S = DocumentType, DateRole
    docs = [
        Doc(
            "dc2019",
            (
                "DISCHARGE SUMMARY\nAdmission Date: 03/11/2019\nCongestive heart failure "
                "exacerbation treated with furosemide.",
                "Type 2 diabetes mellitus, stable. Follow up in clinic.",
            ),
            D.DISCHARGE_SUMMARY,
            ((S.ADMISSION, "2019-03-11"), (S.DISCHARGE, "2019-03-14")),
            (
                ("I50.23", "heart failure", Assertion.AFFIRMED),
                ("E11.9", "diabetes mellitus", Assertion.AFFIRMED),
                ("J18.9", "pneumonia", Assertion.NEGATED),
            ),
            orla,
        ),
        Doc(
            "dc2021",
            ("DISCHARGE SUMMARY\nAdmitted for pneumonia. Discharged home on antibiotics.",),
            D.DISCHARGE_SUMMARY,
            ((S.ADMISSION, "2021-06-01"), (S.DISCHARGE, "2021-06-05")),
            (("J18.9", "pneumonia", Assertion.AFFIRMED),),
            orla,
        ),
        Doc(
            "path2019",
            ("PATHOLOGY REPORT\nInvasive ductal carcinoma of the left breast, grade 2.",),
            D.PATHOLOGY_REPORT,
            ((S.REPORT, "2019-08-02"),),
            (("C50.912", "carcinoma of the left breast", Assertion.AFFIRMED),),
            jasper,
        ),
        Doc(
            "note2020",
            ("PROGRESS NOTE\nPatient doing well. <script>alert('x')</script> No chest pain.",),
            D.PROGRESS_NOTE,
            ((S.SERVICE, "2020-01-15"),),
            (),
            jasper,
        ),
        Doc(
            "unfiled",
            ("RADIOLOGY REPORT\nChest x-ray: cardiomegaly, no effusion. Café au lait.",),
            D.RADIOLOGY_REPORT,
            ((S.REPORT, "2019-03-20"),),
            (("I51.7", "cardiomegaly", Assertion.AFFIRMED),),
            None,
        ),
    ]
    return {d.key: save(store, d) for d in docs}
