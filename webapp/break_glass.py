"""Emergency access ("break the glass") to a restricted document or patient.

A reason is required; the grant lasts `web_break_glass_minutes`; it is written in the same
transaction as a prominent `break_glass` audit row (shown first on the audit page).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from chartroom.errors import AuditUnavailable, ChartroomError
from webapp import security
from webapp.access import current_user, permission
from webapp.audit import build_entry
from webapp.stores import get_access, get_settings, get_store

log = logging.getLogger(__name__)

bp = Blueprint("break_glass", __name__, url_prefix="/emergency-access")

MIN_REASON = 10


@bp.get("/")
@permission("break_glass")
def form() -> str:
    minutes = get_settings().web_break_glass_minutes
    return render_template("auth/break_glass.html", minutes=minutes, error="", values={})


@bp.post("/")
@permission("break_glass")
def grant() -> tuple[str, int] | Response:
    user = current_user()
    settings = get_settings()
    values = {k: request.form.get(k, "").strip() for k in ("document_id", "mrn", "reason")}
    reason = values["reason"][:2000]
    document_id = int(values["document_id"]) if values["document_id"].isdigit() else None
    patient_id = None
    if document_id is None and values["mrn"]:
        patient = get_store().patient_by_mrn(values["mrn"])
        patient_id = patient.id if patient else None
    error = ""
    if len(reason) < MIN_REASON:
        error = f"Give the reason for emergency access (at least {MIN_REASON} characters)."
    elif document_id is None and patient_id is None:
        error = "Give a document number, or the MRN of a patient in the master patient index."
    elif document_id is not None and get_store().document(document_id) is None:
        error = "There is no such document."
    if error:
        return render_template(
            "auth/break_glass.html",
            minutes=settings.web_break_glass_minutes,
            error=error,
            values=values,
        ), 400
    moment = security.now()
    expires = moment + timedelta(minutes=settings.web_break_glass_minutes)
    entry = build_entry(
        "break_glass",
        document_id=document_id,
        patient_id=patient_id,
        detail={"reason": reason, "minutes": settings.web_break_glass_minutes},
        user=user,
    )
    try:
        get_access().grant(
            user.id,
            reason,
            moment,
            expires,
            document_id=document_id,
            patient_id=patient_id,
            audit=entry,
        )
    except ChartroomError as exc:
        raise AuditUnavailable("emergency access could not be recorded, so it was refused") from exc
    log.warning(
        "break-the-glass grant to user %d (document %s, patient %s)",
        user.id,
        document_id,
        patient_id,
    )
    flash(
        f"Emergency access granted for {settings.web_break_glass_minutes} minutes. "
        "It is recorded and will be reviewed.",
        "warning",
    )
    if document_id is not None and "documents.view" in _endpoints():
        return redirect(url_for("documents.view", document_id=document_id))
    if patient_id is not None and "patients.chart" in _endpoints():
        return redirect(url_for("patients.chart", patient_id=patient_id))
    return redirect(url_for("auth.home"))


def _endpoints() -> set[str]:
    from flask import current_app

    return set(current_app.view_functions)
