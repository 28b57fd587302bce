"""Audit pages: who searched, viewed, downloaded, filed what, when and from where; emergency
access shown first; and the patient access report (every access to one patient's documents in
a period) as a page and as CSV. CSV cells that a spreadsheet would run as a formula
(starting with = + - @, tab or carriage return) get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for
from werkzeug.wrappers import Response

from chartroom.errors import InvalidRequest
from records.access import AuditEntry, AuditFilter
from webapp.access import permission
from webapp.audit import ACTIONS, audit
from webapp.stores import get_access, get_store

log = logging.getLogger(__name__)

bp = Blueprint("audit_views", __name__, url_prefix="/audit")

PAGE = 100
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("id", "at", "user", "role", "action", "document_id", "patient_id", "address", "detail")


def neutralise(value: object) -> str:
    """A CSV cell a spreadsheet shows as text (never runs as a formula)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _day(raw: str, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidRequest(f"{field} must be a date like 2026-01-31") from exc


def _period(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    low = datetime.combine(start, time.min, UTC) if start else None
    high = datetime.combine(end, time.min, UTC) + timedelta(days=1) if end else None
    return low, high


def _int(raw: str) -> int | None:
    return int(raw) if raw.strip().isdigit() else None


@bp.get("/")
@permission("audit")
def index() -> str:
    args = request.args
    page = max(1, _int(args.get("page", "1")) or 1)
    start, end = _period(_day(args.get("start", ""), "start"), _day(args.get("end", ""), "end"))
    where = AuditFilter(
        user_name=args.get("user", "").strip()[:100],
        action=args.get("action", "") if args.get("action", "") in ACTIONS else "",
        document_id=_int(args.get("document_id", "")),
        patient_id=_int(args.get("patient_id", "")),
        start=start,
        end=end,
    )
    access = get_access()
    rows = access.audit_entries(where, limit=PAGE + 1, offset=(page - 1) * PAGE)
    emergency = access.audit_entries(AuditFilter(action="break_glass"), limit=10)
    audit("audit.view", detail={"page": page})
    kept: dict[str, Any] = {k: v for k, v in args.items() if k != "page" and v}
    return render_template(
        "audit/index.html",
        rows=rows[:PAGE],
        newer_url=url_for("audit_views.index", page=page - 1, **kept) if page > 1 else "",
        older_url=url_for("audit_views.index", page=page + 1, **kept) if len(rows) > PAGE else "",
        emergency=emergency,
        actions=sorted(ACTIONS),
        args=args,
    )


@bp.get("/report")
@permission("reports")
def report() -> str:
    return render_template("audit/report.html", rows=None, values={}, error="")


@bp.post("/report")
@permission("reports")
def report_post() -> tuple[str, int] | str | Response:
    """The patient access report; `format=csv` downloads it. POST: the MRN stays out of URLs."""
    values = {k: request.form.get(k, "").strip() for k in ("mrn", "start", "end", "format")}
    try:
        patient = get_store().patient_by_mrn(values["mrn"]) if values["mrn"] else None
        if patient is None or patient.id is None:
            raise InvalidRequest("no patient with this MRN in the master patient index")
        first, last = _day(values["start"], "start"), _day(values["end"], "end")
        if first and last and last < first:
            raise InvalidRequest("the period ends before it starts")
    except InvalidRequest as exc:
        return render_template(
            "audit/report.html", rows=None, values=values, error=exc.message
        ), 400
    start, end = _period(first, last)
    rows = _all_rows(AuditFilter(patient_id=patient.id, start=start, end=end))
    audit(
        "audit.report",
        patient_id=patient.id,
        detail={"rows": len(rows), "format": values["format"] or "html"},
    )
    if values["format"] == "csv":
        name = f"access-report-patient-{patient.id}.csv"
        return Response(
            to_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return render_template("audit/report.html", rows=rows, values=values, error="", patient=patient)


def _all_rows(where: AuditFilter, limit: int = 100_000) -> list[AuditEntry]:
    rows: list[AuditEntry] = []
    access = get_access()
    while len(rows) < limit:
        batch = access.audit_entries(where, limit=1000, offset=len(rows))
        rows.extend(batch)
        if len(batch) < 1000:
            break
    return rows


def to_csv(rows: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows:
        detail = ", ".join(f"{k}={v}" for k, v in sorted(row.detail.items()))
        cells = (
            row.id,
            row.at.isoformat(timespec="seconds"),
            row.user_name,
            row.role,
            row.action,
            row.document_id,
            row.patient_id,
            row.address,
            detail,
        )
        writer.writerow([neutralise(c) for c in cells])
    return out.getvalue()
