"""Patients: master patient index search (POST: names never in URLs), the patient chart
(demographics, documents by date and type, diagnosis summary), and the roster import (CSV or a
FHIR bundle) for records staff, size-limited and parsed by records/patients_import.py."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from flask import Blueprint, render_template, request

from records import charts
from records.patients_import import import_patients
from webapp.access import permission, visible_chart, visible_scope
from webapp.audit import audit
from webapp.search_views import type_label
from webapp.stores import get_settings, get_store

log = logging.getLogger(__name__)

bp = Blueprint("patients", __name__)

MAX_ROSTER_MB = 20


@bp.get("/patients")
@permission("patients")
def index() -> str:
    return render_template("patients/index.html", text="", matches=None)


@bp.post("/patients")
@permission("patients")
def search() -> str:
    text = request.form.get("patient", "").strip()[:200]
    scope = visible_scope()
    matches = [
        p for p in charts.find_patients(get_store(), text) if scope.allows_patient(p.id or 0)
    ]
    audit("patient.search", detail={"matches": len(matches)})
    return render_template("patients/index.html", text=text, matches=matches)


@bp.get("/patients/<int:patient_id>")
@permission("view")
def chart(patient_id: int) -> str:
    seen = visible_chart(patient_id)
    audit("patient.view", patient_id=patient_id, detail={"document_ids": seen.document_ids})
    return render_template(
        "patients/chart.html",
        patient=seen.patient,
        documents=seen.documents,
        summary=seen.summary,
        type_label=type_label,
    )


@bp.get("/patients/import")
@permission("roster_import")
def import_form() -> str:
    return render_template("patients/import.html", summary=None, error="", limit=_limit_mb())


def _limit_mb() -> int:
    return min(MAX_ROSTER_MB, get_settings().web_upload_mb)


@bp.post("/patients/import")
@permission("roster_import")
def import_roster() -> tuple[str, int]:
    upload = request.files.get("roster")
    data = upload.read(_limit_mb() * 1024 * 1024 + 1) if upload else b""
    error = ""
    if not data:
        error = "Choose a roster file (CSV, or a FHIR bundle in JSON)."
    elif len(data) > _limit_mb() * 1024 * 1024:
        error = f"The file is larger than {_limit_mb()} MB; split it."
    if error:
        return render_template(
            "patients/import.html", summary=None, error=error, limit=_limit_mb()
        ), 400
    is_fhir = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    with tempfile.TemporaryDirectory(prefix="chartroom-roster-") as folder:
        path = Path(folder) / ("roster.json" if is_fhir else "roster.csv")
        path.write_bytes(data)
        summary = import_patients(get_store(), path)
    audit(
        "roster.import",
        detail={
            "format": "fhir" if is_fhir else "csv",
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "rejected": len(summary.rejected),
        },
    )
    log.info("roster import: %d created, %d updated", summary.created, summary.updated)
    return render_template(
        "patients/import.html", summary=summary, error="", limit=_limit_mb()
    ), 200
