"""The JSON API, `/api/v1/`: search, documents, pages, downloads and patients (bearer-token
authentication and the one error shape `{"error": {"type", "message"}}` are webapp/security.py
and webapp/errors.py). Filing and audit routes are in webapp/api_filing.py; every route is
described in the OpenAPI document served at /api/v1/openapi.json (webapp/openapi.py).

The same rules as the pages: every route has a permission, a document or patient the caller may
not see is 404 + an audit row, every read is audited before the data is returned, and queries
are POSTed (no patient data in URLs).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import BadRequest, NotFound
from werkzeug.wrappers import Response

from records import charts
from records.charts import DocumentInfo
from records.types import PatientRecord, StoredFinding
from webapp import page_files
from webapp.access import SIGNED_IN, permission, visible_chart, visible_scope
from webapp.audit import audit
from webapp.documents import attachment, load_document, serve_page_image
from webapp.openapi import openapi_document
from webapp.searching import SearchRequest, run_search
from webapp.stores import get_settings, get_store

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def body() -> dict[str, Any]:
    """The request's JSON object (BadRequest when it is not one)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object with Content-Type: application/json.")
    return data


def patient_json(patient: PatientRecord) -> dict[str, Any]:
    return {
        "id": patient.id,
        "mrn": patient.mrn,
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "dob": patient.dob.isoformat() if patient.dob else None,
        "sex": patient.sex,
    }


def finding_json(f: StoredFinding) -> dict[str, Any]:
    if f.kind == "diagnosis":
        extra: dict[str, Any] = {
            "code": f.code,
            "description": f.description,
            "assertion": f.assertion,
            "section": f.section,
        }
    else:
        extra = {"value": f.value, "role": f.role}
    return {"id": f.id, "kind": f.kind, "text": f.text, "page": f.page, **extra}


@bp.get("/openapi.json")
@permission(SIGNED_IN)
def openapi() -> Response:
    return jsonify(openapi_document())


@bp.post("/search")
@permission("search")
def search() -> Response:
    data = body()
    size = data.get("page_size")
    if size is not None and (not isinstance(size, int) or not 1 <= size <= 100):
        raise BadRequest("page_size must be a whole number from 1 to 100.")
    results = run_search(SearchRequest.from_mapping(data), page_size=size)
    return jsonify(results.as_json())


def _document_json(doc: DocumentInfo) -> dict[str, Any]:
    store = get_store()
    patient = store.patient(doc.patient_id) if doc.patient_id is not None else None
    if patient is not None and not visible_scope().allows_patient(doc.patient_id or 0):
        patient = None
    pages = store.document_pages(doc.id)
    return {
        **doc.as_json(),
        "patient": patient_json(patient) if patient else None,
        "pages": [
            {
                "number": p.number,
                "width": p.width,
                "height": p.height,
                "confidence": round(p.confidence, 1),
                "low_confidence": p.low_confidence,
                "blank": p.blank,
            }
            for p in pages
        ],
        "findings": [finding_json(f) for f in store.document_findings(doc.id)],
    }


@bp.get("/documents/<int:document_id>")
@permission("view")
def document(document_id: int) -> Response:
    doc = load_document(document_id)
    out = _document_json(doc)
    audit("document.view", document_id=doc.id, patient_id=doc.patient_id, detail={"api": True})
    return jsonify(out)


@bp.get("/documents/<int:document_id>/pages/<int:number>")
@permission("view")
def page(document_id: int, number: int) -> Response:
    doc = load_document(document_id)
    found = [p for p in get_store().document_pages(doc.id) if p.number == number]
    if not found:
        raise NotFound()
    p = found[0]
    out = {
        "document_id": doc.id,
        "number": p.number,
        "width": p.width,
        "height": p.height,
        "dpi": p.dpi,
        "confidence": round(p.confidence, 1),
        "low_confidence": p.low_confidence,
        "text": p.text,
        "words": [[w.text, w.left, w.top, w.width, w.height] for w in p.words],
    }
    audit(
        "page.view",
        document_id=doc.id,
        patient_id=doc.patient_id,
        detail={"page": number, "api": True},
    )
    return jsonify(out)


@bp.get("/documents/<int:document_id>/pages/<int:number>/image")
@permission("view")
def page_image(document_id: int, number: int) -> Response:
    return serve_page_image(document_id, number, thumb=False)


@bp.get("/documents/<int:document_id>/download/pdf")
@permission("view")
def download_pdf(document_id: int) -> Response:
    doc = load_document(document_id)
    path = page_files.searchable_pdf(get_store(), get_settings(), doc)
    audit("download.pdf", document_id=doc.id, patient_id=doc.patient_id, detail={"api": True})
    return attachment(path, "application/pdf", f"chartroom-document-{doc.id}.pdf")


@bp.get("/documents/<int:document_id>/download/original")
@permission("view")
def download_original(document_id: int) -> Response:
    doc = load_document(document_id)
    path, mimetype, ext = page_files.original(get_store(), doc)
    audit("download.original", document_id=doc.id, patient_id=doc.patient_id, detail={"api": True})
    return attachment(path, mimetype, f"chartroom-document-{doc.id}-original.{ext}")


@bp.post("/patients/search")
@permission("patients")
def patients_search() -> Response:
    text = body().get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("Give `text`: a name or an MRN.")
    scope = visible_scope()
    matches = [
        p for p in charts.find_patients(get_store(), text[:200]) if scope.allows_patient(p.id or 0)
    ]
    audit("patient.search", detail={"matches": len(matches), "api": True})
    return jsonify({"patients": [patient_json(p) for p in matches]})


@bp.get("/patients/<int:patient_id>")
@permission("view")
def patient(patient_id: int) -> Response:
    seen = visible_chart(patient_id)
    out = {
        "patient": patient_json(seen.patient),
        "documents": [d.as_json() for d in seen.documents],
        "diagnoses": [
            {
                "code": d.code,
                "description": d.description,
                "first_seen": d.first_seen.isoformat() if d.first_seen else None,
                "last_seen": d.last_seen.isoformat() if d.last_seen else None,
                "documents": d.documents,
            }
            for d in seen.summary
        ],
    }
    audit(
        "patient.view",
        patient_id=patient_id,
        detail={"document_ids": seen.document_ids, "api": True},
    )
    return jsonify(out)
