"""The unfiled queue and filing by people: file to a patient (found in the master patient index),
re-file or unfile with a reason, split a document at a page or merge two of the same scan.

Patient searches are POSTed (names never in URLs). Every change is made through records/ (which
keeps the filing history and the event log) and audited; then the browser is redirected.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from chartroom.errors import InvalidRequest, RecordNotFound
from records import charts, charts_edit
from records.charts import QueueEntry
from records.types import DocumentStatus, PatientRecord
from webapp.access import current_user, permission, require_patient, visible_scope
from webapp.audit import audit
from webapp.documents import load_document
from webapp.search_views import type_label
from webapp.stores import get_store

bp = Blueprint("queue", __name__)

QUEUE_PAGE = 50
MAX_REASON = 2000


def _visible_entries(offset: int = 0) -> list[QueueEntry]:
    scope = visible_scope()
    entries = charts.queue(get_store(), limit=QUEUE_PAGE, offset=offset)
    return [e for e in entries if scope.allows(e.document.id, None, e.document.document_type)]


def _candidates(entry: QueueEntry) -> list[tuple[PatientRecord, float, tuple[str, ...]]]:
    """Candidate patients the user may see, with score and reasons."""
    scope, store = visible_scope(), get_store()
    out = []
    for c in entry.candidates:
        patient = store.patient(c.patient_id)
        if patient is not None and scope.allows_patient(c.patient_id):
            out.append((patient, c.score, c.reasons))
    return out


@bp.get("/queue")
@permission("file")
def index() -> str:
    offset = max(0, request.args.get("from", 0, type=int) or 0)
    entries = _visible_entries(offset)
    rows = [(e, _candidates(e)) for e in entries]
    audit("search", detail={"list": "unfiled", "document_ids": [e.document.id for e in entries]})
    return render_template(
        "queue/index.html",
        rows=rows,
        offset=offset,
        page_size=QUEUE_PAGE,
        type_label=type_label,
    )


def _entry(document_id: int) -> QueueEntry | None:
    found = charts.queue(get_store(), limit=1, document_id=document_id)
    return found[0] if found else None


def _item(
    document_id: int, matches: list[PatientRecord] | None = None, error: str = "", status: int = 200
) -> tuple[str, int]:
    doc = load_document(document_id)
    entry = _entry(document_id) if doc.status == DocumentStatus.UNFILED else None
    audit("document.view", document_id=doc.id, detail={"list": "unfiled"})
    return render_template(
        "queue/item.html",
        doc=doc,
        entry=entry,
        candidates=_candidates(entry) if entry else [],
        matches=matches,
        error=error,
        pages=list(doc.page_numbers),
        type_label=type_label,
        can_split=current_user().can("split_merge"),
    ), status


@bp.get("/queue/<int:document_id>")
@permission("file")
def item(document_id: int) -> tuple[str, int]:
    return _item(document_id)


@bp.post("/queue/<int:document_id>/find")
@permission("file")
def find(document_id: int) -> tuple[str, int]:
    """Search the master patient index for the patient to file to (POST: names stay out of URLs)."""
    load_document(document_id)
    text = request.form.get("patient", "")[:200]
    scope = visible_scope()
    matches = [
        p for p in charts.find_patients(get_store(), text) if scope.allows_patient(p.id or 0)
    ]
    audit("patient.search", detail={"matches": len(matches), "for_document": document_id})
    return _item(document_id, matches)


def _reason() -> str:
    return request.form.get("reason", "").strip()[:MAX_REASON]


def _target_patient() -> PatientRecord:
    """The patient chosen in the form: `patient_id`, or an `mrn`; audited 404 if not visible."""
    raw = request.form.get("patient_id", "")
    if raw.isdigit():
        return require_patient(int(raw))
    patient = get_store().patient_by_mrn(request.form.get("mrn", "")[:64])
    if patient is None or patient.id is None:
        raise RecordNotFound("there is no patient with that MRN")
    return require_patient(patient.id)


@bp.post("/documents/<int:document_id>/file")
@permission("file")
def file(document_id: int) -> Response | tuple[str, int]:
    doc = load_document(document_id)
    try:
        patient = _target_patient()
        assert patient.id is not None
        get_store().file_document(doc.id, patient.id, current_user().name, _reason())
    except (InvalidRequest, RecordNotFound) as exc:
        return _item(document_id, error=exc.message, status=409)
    audit("document.file", document_id=doc.id, patient_id=patient.id)
    flash(f"Document {doc.id} filed.", "success")
    return redirect(url_for("queue.index"))


@bp.post("/documents/<int:document_id>/refile")
@permission("refile")
def refile(document_id: int) -> Response:
    doc = load_document(document_id)
    patient = _target_patient()
    assert patient.id is not None
    get_store().refile_document(doc.id, patient.id, current_user().name, _reason())
    audit(
        "document.refile",
        document_id=doc.id,
        patient_id=patient.id,
        detail={"from_patient_id": doc.patient_id},
    )
    flash(f"Document {doc.id} re-filed.", "success")
    return redirect(url_for("documents.view", document_id=doc.id))


@bp.post("/documents/<int:document_id>/unfile")
@permission("refile")
def unfile(document_id: int) -> Response:
    doc = load_document(document_id)
    get_store().unfile_document(doc.id, current_user().name, _reason())
    audit("document.unfile", document_id=doc.id, patient_id=doc.patient_id)
    flash(f"Document {doc.id} is back in the unfiled queue.", "success")
    return redirect(url_for("queue.item", document_id=doc.id))


@bp.post("/documents/<int:document_id>/split")
@permission("split_merge")
def split(document_id: int) -> Response:
    doc = load_document(document_id)
    at_page = request.form.get("at_page", type=int)
    if at_page is None:
        raise InvalidRequest("choose the page the new document starts at")
    new_id = charts_edit.split(get_store(), doc.id, at_page, current_user().name, _reason())
    audit(
        "document.split",
        document_id=doc.id,
        patient_id=doc.patient_id,
        detail={"at_page": at_page, "new_document_id": new_id},
    )
    flash(
        f"Pages {at_page}-{doc.last_page} are now document {new_id}, in the unfiled queue.",
        "success",
    )
    return redirect(url_for("queue.item", document_id=new_id))


@bp.post("/documents/<int:document_id>/merge")
@permission("split_merge")
def merge(document_id: int) -> Response:
    doc = load_document(document_id)
    other_id = request.form.get("other", type=int)
    if other_id is None:
        raise InvalidRequest("give the id of the document to merge with")
    other = load_document(other_id)
    first, second = (doc, other) if doc.first_page <= other.first_page else (other, doc)
    charts_edit.merge(get_store(), first.id, second.id, current_user().name, _reason())
    audit(
        "document.merge",
        document_id=first.id,
        patient_id=first.patient_id,
        detail={"merged_document_id": second.id},
    )
    flash(f"Document {second.id} was merged into document {first.id}.", "success")
    return redirect(url_for("documents.view", document_id=first.id))
