"""A small archive for the web tests: real page images as blobs (PNG / multi-page TIFF drawn
with Pillow), documents saved through the app's RecordStore from constructed ScannedPage /
Findings, and the search index built through indexer/ (journal drain). Invented patients only.

    archive = seed(app)      # Archive(ids={"dc2019": 1, ...}, orla=..., jasper=..., hidden=...)
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import date

from flask import Flask
from PIL import Image, ImageDraw

from chartroom.settings import Settings
from indexer.journal import sync_index
from models.types import (
    Assertion,
    DateMention,
    DateRole,
    Diagnosis,
    DocumentType,
    DocumentTypeGuess,
    Findings,
)
from records.access import AccessStore
from records.store import RecordStore
from records.types import (
    Candidate,
    FilingDecision,
    NewDocument,
    PatientRecord,
    SourceFile,
    join_page_texts,
)
from scanner.types import CleanupRecord, ScannedPage, Word
from webapp import security
from webapp.security import digest
from webapp.stores import get_access, get_settings, get_store

XSS = "<img src=x onerror=alert(1)>"
WIDTH, HEIGHT = 850, 1100


def scanned(number: int, text: str, low: bool = False) -> ScannedPage:
    words = []
    y = 80
    for line_no, line in enumerate(text.split("\n")):
        x = 60
        for w in line.split():
            words.append(Word(w, x, y, 11 * len(w), 22, 91.0, block=1, line=line_no))
            x += 11 * len(w) + 12
        y += 36
    return ScannedPage(
        number=number,
        width=WIDTH,
        height=HEIGHT,
        dpi=100,
        text=text,
        confidence=40.0 if low else 91.0,
        blank=False,
        low_confidence=low,
        cleanup=CleanupRecord(),
        words=tuple(words),
    )


def _image(page: ScannedPage) -> Image.Image:
    img = Image.new("L", (WIDTH, HEIGHT), 255)
    draw = ImageDraw.Draw(img)
    for w in page.words:
        draw.text((w.left, w.top), w.text, fill=0)
    return img


def _file(pages: tuple[ScannedPage, ...]) -> tuple[bytes, str]:
    out = io.BytesIO()
    images = [_image(p) for p in pages]
    if len(images) == 1:
        images[0].save(out, format="PNG", dpi=(100, 100))
        return out.getvalue(), "png"
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:], dpi=(100, 100))
    return out.getvalue(), "tiff"


@dataclass(frozen=True)
class Doc:
    key: str
    pages: tuple[str, ...]
    type: DocumentType
    dates: tuple[tuple[DateRole, str, str], ...] = ()  # (role, ISO value, words on the page)
    diagnoses: tuple[tuple[str, str, Assertion], ...] = ()  # (code, words, assertion)
    patient_id: int | None = None
    name: bytes = b""
    candidates: tuple[Candidate, ...] = ()
    low: tuple[int, ...] = ()  # low-confidence page numbers


def save(store: RecordStore, doc: Doc) -> int:
    pages = tuple(scanned(n + 1, t, n + 1 in doc.low) for n, t in enumerate(doc.pages))
    text, offsets = join_page_texts(pages)
    diagnoses = []
    for code, words, assertion in doc.diagnoses:
        start = max(0, text.lower().find(words.lower()))
        diagnoses.append(
            Diagnosis(words, start, start + len(words), code, words.title(), assertion, "", "r")
        )
    dates = []
    for role, value, words in doc.dates:
        start = max(0, text.find(words))
        dates.append(DateMention(words, start, start + len(words), value, role))
    findings = Findings(tuple(diagnoses), tuple(dates), (), DocumentTypeGuess(doc.type, 0.9))
    decision = FilingDecision(
        patient_id=doc.patient_id,
        rule="barcode" if doc.patient_id else "",
        confidence=0.99 if doc.patient_id else 0.3,
        candidates=doc.candidates,
        reasons=("barcode MRN matches",) if doc.patient_id else ("no MRN on the pages",),
    )
    data, file_type = _file(pages)
    sha = store.blobs.put_bytes(data)
    source = SourceFile(
        doc.name or f"{doc.key}.{file_type}".encode(), doc.key, sha, len(data), file_type
    )
    result = store.save_stored(source, [NewDocument(pages, findings, decision, offsets)])
    return result.document_ids[0]


@dataclass(frozen=True)
class Archive:
    ids: dict[str, int]
    orla: int
    jasper: int
    hidden: int  # a restricted patient


def seed(app: Flask) -> Archive:
    """Seed the app's stores and build its search index."""
    with app.app_context():
        return seed_stores(get_store(), get_access(), get_settings())


def seed_stores(store: RecordStore, access: AccessStore, settings: Settings) -> Archive:
    D, S, A = DocumentType, DateRole, Assertion
    store.upsert_patients(
        [
            PatientRecord("00123456", "Brindlemoor", "Orla", date(1952, 7, 9), "F"),
            PatientRecord("00234567", "Quellbrook", "Jasper", date(1964, 11, 23), "M"),
            PatientRecord("00345678", "Hiddenfield", "Rue", date(1970, 1, 2), "X"),
            PatientRecord("00456789", XSS, XSS, None, ""),
        ]
    )
    orla, jasper, hidden, xss = (
        store.patient_by_mrn(m) for m in ("00123456", "00234567", "00345678", "00456789")
    )
    assert orla and jasper and hidden and xss and orla.id and jasper.id and hidden.id
    docs = [
        Doc(
            "dc2019",
            (
                "DISCHARGE SUMMARY\nAdmission Date: 03/11/2019\nCongestive heart failure "
                "exacerbation treated with furosemide.",
                "Type 2 diabetes mellitus, stable.\nDischarge Date: 03/14/2019",
            ),
            D.DISCHARGE_SUMMARY,
            (
                (S.ADMISSION, "2019-03-11", "03/11/2019"),
                (S.DISCHARGE, "2019-03-14", "03/14/2019"),
            ),
            (
                ("I50.23", "heart failure", A.AFFIRMED),
                ("E11.9", "diabetes mellitus", A.AFFIRMED),
            ),
            orla.id,
            low=(2,),
        ),
        Doc(
            "dc2021",
            ("DISCHARGE SUMMARY\nAdmitted for pneumonia.\nDate: 06/05/2021",),
            D.DISCHARGE_SUMMARY,
            ((S.DISCHARGE, "2021-06-05", "06/05/2021"),),
            (("J18.9", "pneumonia", A.AFFIRMED),),
            orla.id,
        ),
        Doc(
            "path2019",
            ("PATHOLOGY REPORT\nInvasive ductal carcinoma of the left breast.",),
            D.PATHOLOGY_REPORT,
            ((S.REPORT, "2019-08-02", "PATHOLOGY"),),
            (("C50.912", "carcinoma", A.AFFIRMED),),
            jasper.id,
        ),
        Doc(
            "note2020",
            (f"PROGRESS NOTE\nPatient doing well {XSS} heart failure stable.",),
            D.PROGRESS_NOTE,
            ((S.SERVICE, "2020-01-15", "PROGRESS"),),
            (),
            jasper.id,
            name=f"{XSS}.png".encode(),
        ),
        Doc(
            "secret",
            ("CONSULTATION\nConfidential heart failure consultation.",),
            D.CONSULTATION,
            (),
            (("I50.9", "heart failure", A.AFFIRMED),),
            hidden.id,
        ),
        Doc(
            "xss",
            ("CORRESPONDENCE\nLetter about heart failure.",),
            D.CORRESPONDENCE,
            (),
            (),
            xss.id,
        ),
        Doc(
            "unfiled",
            (
                "RADIOLOGY REPORT\nChest x-ray: cardiomegaly, heart failure.",
                "Page two of the batch.",
                "Page three of the batch.",
            ),
            D.RADIOLOGY_REPORT,
            ((S.REPORT, "2019-03-20", "RADIOLOGY"),),
            (("I51.7", "cardiomegaly", A.AFFIRMED),),
            None,
            candidates=(
                Candidate(orla.id, orla.mrn, 0.7, ("DOB matches",)),
                Candidate(hidden.id, hidden.mrn, 0.5, ("name similar",)),
            ),
        ),
    ]
    ids = {d.key: save(store, d) for d in docs}
    access.restrict("patient", str(hidden.id), "test", security.now())
    report = sync_index(settings, store)
    assert not report.waiting, report.reason
    return Archive(ids, orla.id, jasper.id, hidden.id)


def api_token(app: Flask, user_id: int) -> dict[str, str]:
    """Authorization headers with a new bearer token for the user."""
    token = secrets.token_urlsafe(24)
    with app.app_context():
        get_access().create_token(user_id, digest(token), security.now())
    return {"Authorization": f"Bearer {token}"}
