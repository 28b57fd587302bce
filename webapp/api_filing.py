"""The JSON API's filing and audit routes, `/api/v1/` (see webapp/api.py for the rest).

Filing changes go through records/ (the filing history and the event log) and are audited; the
audit routes read the hash-chained audit log (auditors and administrators)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Response

from records import charts, charts_edit
from records.audit_log import AuditEntry, AuditFilter
from webapp.access import current_user, permission, require_patient, visible_scope
from webapp.api import body
from webapp.audit import audit
from webapp.documents import load_document
from webapp.stores import get_access, get_store

bp = Blueprint("api_filing", __name__, url_prefix="/api/v1")

MAX_LIST = 500


def _int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise BadRequest(f"`{name}` must be a positive whole number.")
    return value


def _reason(data: dict[str, Any]) -> str:
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise BadRequest("Give a `reason`: it is kept in the filing history.")
    return reason.strip()[:2000]


def _limit() -> tuple[int, int]:
    limit = request.args.get("limit", 100, type=int) or 100
    offset = request.args.get("offset", 0, type=int) or 0
    if not 1 <= limit <= MAX_LIST or offset < 0:
        raise BadRequest(f"limit is 1-{MAX_LIST}, offset 0 or more.")
    return limit, offset


@bp.get("/queue")
@permission("file")
def queue() -> Response:
    limit, offset = _limit()
    scope = visible_scope()
    entries = [
        e
        for e in charts.queue(get_store(), limit=limit, offset=offset)
        if scope.allows(e.document.id, None, e.document.document_type)
    ]
    out = [
        {
            "document": e.document.as_json(),
            "queued_at": e.queued_at.isoformat(),
            "reasons": list(e.reasons),
            "candidates": [
                {"patient_id": c.patient_id, "score": c.score, "reasons": list(c.reasons)}
                for c in e.candidates
                if scope.allows_patient(c.patient_id)
            ],
        }
        for e in entries
    ]
    audit(
        "search",
        detail={"list": "unfiled", "document_ids": [e.document.id for e in entries], "api": True},
    )
    return jsonify({"documents": out})


def _done(action: str, document_id: int, patient_id: int | None, **detail: Any) -> Response:
    audit(action, document_id=document_id, patient_id=patient_id, detail={**detail, "api": True})
    doc = charts.get_document(get_store(), document_id)
    return jsonify({"document": doc.as_json() if doc else None})


@bp.post("/documents/<int:document_id>/file")
@permission("file")
def file(document_id: int) -> Response:
    data = body()
    doc = load_document(document_id)
    patient = require_patient(_int(data, "patient_id"))
    assert patient.id is not None
    get_store().file_document(doc.id, patient.id, current_user().name, _reason(data))
    return _done("document.file", doc.id, patient.id)


@bp.post("/documents/<int:document_id>/refile")
@permission("refile")
def refile(document_id: int) -> Response:
    data = body()
    doc = load_document(document_id)
    patient = require_patient(_int(data, "patient_id"))
    assert patient.id is not None
    get_store().refile_document(doc.id, patient.id, current_user().name, _reason(data))
    return _done("document.refile", doc.id, patient.id, from_patient_id=doc.patient_id)


@bp.post("/documents/<int:document_id>/unfile")
@permission("refile")
def unfile(document_id: int) -> Response:
    data = body()
    doc = load_document(document_id)
    get_store().unfile_document(doc.id, current_user().name, _reason(data))
    return _done("document.unfile", doc.id, doc.patient_id)


@bp.post("/documents/<int:document_id>/split")
@permission("split_merge")
def split(document_id: int) -> Response:
    data = body()
    doc = load_document(document_id)
    at_page = _int(data, "at_page")
    new_id = charts_edit.split(get_store(), doc.id, at_page, current_user().name, _reason(data))
    audit(
        "document.split",
        document_id=doc.id,
        patient_id=doc.patient_id,
        detail={"at_page": at_page, "new_document_id": new_id, "api": True},
    )
    new = charts.get_document(get_store(), new_id)
    return jsonify({"document_id": doc.id, "new_document": new.as_json() if new else None})


@bp.post("/documents/<int:document_id>/merge")
@permission("split_merge")
def merge(document_id: int) -> Response:
    data = body()
    doc = load_document(document_id)
    other = load_document(_int(data, "other_document_id"))
    first, second = (doc, other) if doc.first_page <= other.first_page else (other, doc)
    charts_edit.merge(get_store(), first.id, second.id, current_user().name, _reason(data))
    return _done("document.merge", first.id, first.patient_id, merged_document_id=second.id)


def _when(name: str) -> datetime | None:
    raw = request.args.get(name, "")
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"`{name}` must be an ISO date or date-time.") from None


def entry_json(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "at": e.at.isoformat(),
        "user": e.user_name,
        "role": e.role,
        "action": e.action,
        "document_id": e.document_id,
        "patient_id": e.patient_id,
        "address": e.address,
        "detail": e.detail,
    }


@bp.get("/audit")
@permission("audit")
def audit_log() -> Response:
    """Audit rows, newest first, filtered by user, action, document, patient and period."""
    limit, offset = _limit()
    where = AuditFilter(
        user_name=request.args.get("user", "")[:100],
        action=request.args.get("action", "")[:64],
        document_id=request.args.get("document_id", type=int),
        patient_id=request.args.get("patient_id", type=int),
        start=_when("start"),
        end=_when("end"),
    )
    entries = get_access().audit_entries(where, limit=limit, offset=offset)
    audit(
        "audit.view",
        patient_id=where.patient_id,
        document_id=where.document_id,
        detail={"rows": len(entries), "api": True},
    )
    return jsonify({"entries": [entry_json(e) for e in entries]})
