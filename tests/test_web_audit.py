"""The audit log: hash chain, append-only, tamper detection by `chartroom check`, no audit row
means no data, restricted documents, break the glass, the patient access report as CSV."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy
from flask import Flask

from chartroom.errors import DatabaseError
from records import db
from records.access import AccessStore
from records.audit_log import AuditEntry
from tests._search_docs import archive
from tests._web import *  # noqa: F403
from tests._web import Login, access_of, post, store_of
from webapp import security
from webapp.access import (
    SIGNED_IN,
    User,
    can_view_document,
    can_view_patient,
    permission,
    require_document,
    visible_scope,
)
from webapp.audit import audit
from webapp.audit_views import neutralise


def entry(action: str = "search", **kw: object) -> AuditEntry:
    return AuditEntry(at=security.now(), user_name="ana", action=action, **kw)  # type: ignore[arg-type]


def test_rows_are_chained_and_verified(app: Flask) -> None:
    access = access_of(app)
    for n in range(5):
        access.append_audit(entry(detail={"n": n}))
    rows, problems = access.verify_audit()
    assert rows == 5 and problems == []


def test_the_database_refuses_update_and_delete(app: Flask) -> None:
    access = access_of(app)
    access.append_audit(entry())
    engine = db.create(app.config["CHARTROOM_SETTINGS"])
    for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlalchemy.exc.DatabaseError), engine.begin() as conn:
            conn.execute(sqlalchemy.text(statement))
    engine.dispose()


def test_tampering_is_found_by_chartroom_check(
    app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    from chartroom.cli import main

    access = access_of(app)
    for n in range(3):
        access.append_audit(entry(detail={"n": n}))
    settings = app.config["CHARTROOM_SETTINGS"]
    env = {"CHARTROOM_HOME": str(settings.home)}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        main(["check"])
        assert "audit log: 3 rows, hash chain intact" in capsys.readouterr().out
        engine = db.create(settings)
        with engine.begin() as conn:  # someone with database access drops the guard...
            conn.execute(sqlalchemy.text("DROP TRIGGER audit_log_no_update"))
            conn.execute(sqlalchemy.text("UPDATE audit_log SET user_name = 'bob' WHERE id = 2"))
        engine.dispose()
        assert main(["check"]) == 90
        out = capsys.readouterr().out
        assert "AUDIT LOG TAMPERED: audit row 2 was altered" in out


def test_no_audit_row_means_no_data(
    app: Flask, login: Login, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = archive(store_of(app))

    @permission("view")
    def show(document_id: int) -> str:
        document = require_document(document_id)
        audit("document.view", document_id=document.id, patient_id=document.patient_id)
        return "SECRET CONTENT"

    app.add_url_rule("/test-doc/<int:document_id>", "test_doc", show)
    clerk = login("clerk")
    assert clerk.get(f"/test-doc/{ids['dc2019']}").get_data(as_text=True) == "SECRET CONTENT"

    def broken(self: AccessStore, e: AuditEntry) -> int:
        raise DatabaseError("cannot open or reach the database")

    monkeypatch.setattr(AccessStore, "append_audit", broken)
    response = clerk.get(f"/test-doc/{ids['dc2019']}")
    assert response.status_code == 503 and "SECRET" not in response.get_data(as_text=True)
    if "documents.view" in app.view_functions:  # W2's viewer honours it too
        viewer = clerk.get(f"/documents/{ids['dc2019']}")
        assert viewer.status_code == 503
        assert "furosemide" not in viewer.get_data(as_text=True)


def test_restricted_types_and_patients_and_break_the_glass(app: Flask, login: Login) -> None:
    store = store_of(app)
    ids = archive(store)
    access = access_of(app)
    path = store.document(ids["path2019"])
    assert path and path.patient_id
    access.restrict("type", "discharge_summary", "admin", security.now())
    access.restrict("patient", str(path.patient_id), "admin", security.now())
    clerk_id = access.create_user("ana", "clerk", "x", security.now()).id
    records_id = access.create_user("rex", "records", "x", security.now()).id
    clerk, staff = User(clerk_id, "ana", "clerk"), User(records_id, "rex", "records")
    with app.test_request_context("/"):
        scope = visible_scope(clerk)
        assert not scope.unrestricted
        assert not can_view_document(clerk, ids["dc2019"])  # restricted type
        assert not can_view_document(clerk, ids["path2019"])  # restricted patient
        assert not can_view_patient(clerk, path.patient_id)
        assert can_view_document(clerk, ids["unfiled"])
        restriction = scope.restriction
        assert restriction is not None and restriction.documents == frozenset({ids["unfiled"]})
        assert visible_scope(staff).restriction is None  # records staff see everything
        assert can_view_document(staff, ids["dc2019"])
    c = login("clerk")
    form = {"document_id": str(ids["dc2019"]), "reason": "short"}
    assert post(c, "/emergency-access/", form).status_code == 400  # a reason is required
    form["reason"] = "patient in the emergency department, needs the last discharge summary"
    assert post(c, "/emergency-access/", form).status_code == 302
    me = access.user_by_name("clerk1")
    assert me
    with app.test_request_context("/"):
        granted = User(me.id, "clerk1", "clerk")
        assert can_view_document(granted, ids["dc2019"])
        assert not can_view_document(granted, ids["dc2021"])  # only the one document
    row = access.audit_entries(None, limit=10)
    assert any(r.action == "break_glass" and r.document_id == ids["dc2019"] for r in row)
    with app.test_request_context("/"):
        later = User(me.id, "clerk1", "clerk")
        expired = security.now() + timedelta(minutes=61)
        import webapp.security as sec

        original = sec.now
        sec.now = lambda: expired  # type: ignore[assignment]
        try:
            assert not can_view_document(later, ids["dc2019"])
        finally:
            sec.now = original  # type: ignore[assignment]


def test_a_hidden_document_is_404_and_audited(app: Flask, login: Login) -> None:
    ids = archive(store_of(app))
    access = access_of(app)
    access.restrict("type", "progress_note", "admin", security.now())

    @permission(SIGNED_IN)
    def show(document_id: int) -> str:
        return str(require_document(document_id).id)

    app.add_url_rule("/test-doc/<int:document_id>", "test_doc", show)
    clerk = login("clerk")
    assert clerk.get(f"/test-doc/{ids['note2020']}").status_code == 404
    assert clerk.get("/test-doc/999999").status_code == 404  # the same answer
    denied = [r for r in access.audit_entries(None) if r.action == "denied"]
    assert {r.document_id for r in denied} == {ids["note2020"], 999999}


def test_patient_access_report_csv_neutralises_formulas(app: Flask, login: Login) -> None:
    store = store_of(app)
    ids = archive(store)
    doc = store.document(ids["dc2019"])
    assert doc and doc.patient_id
    access = access_of(app)
    access.append_audit(entry("document.view", document_id=doc.id, patient_id=doc.patient_id))
    access.append_audit(
        AuditEntry(
            at=security.now(), user_name='=HYPERLINK("x")', action="page.view", document_id=doc.id
        )
    )
    access.append_audit(entry("document.view", document_id=ids["path2019"]))  # other patient
    auditor = login("auditor")
    patient = store.patient(doc.patient_id)
    assert patient
    response = post(
        auditor, "/audit/report", {"mrn": patient.mrn, "format": "csv"}, token_from="/audit/report"
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.get_data(as_text=True).strip().splitlines()
    assert lines[0].startswith("id,at,user")
    assert len(lines) == 3
    assert any("'=HYPERLINK" in line for line in lines)
    assert not any(",=HYPERLINK" in line for line in lines)
    page = post(auditor, "/audit/report", {"mrn": patient.mrn}, token_from="/audit/report")
    assert "3 accesses" in page.get_data(as_text=True)  # the CSV export counts too
    assert patient.mrn not in (response.headers.get("Content-Disposition") or "")


def test_neutralise() -> None:
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+1") == "'+1" and neutralise("-1") == "'-1" and neutralise("@x") == "'@x"
    assert neutralise("ana") == "ana" and neutralise(None) == "" and neutralise(7) == "7"


def test_audit_page_lists_who_did_what_and_emergency_access_first(app: Flask, login: Login) -> None:
    access = access_of(app)
    access.append_audit(entry("break_glass", document_id=3, detail={"reason": "emergency"}))
    access.append_audit(entry("search", detail={"hits": 2}))
    auditor = login("auditor")
    body = auditor.get("/audit/").get_data(as_text=True)
    assert "Recent emergency access" in body and "break_glass" in body and "search" in body
    filtered = auditor.get("/audit/?action=search").get_data(as_text=True)
    assert "hits=2" in filtered
    assert login("clerk").get("/audit/").status_code == 403
    assert any(r.action == "audit.view" for r in access.audit_entries(None))


def test_sign_in_and_out_are_audited(app: Flask, login: Login) -> None:
    c = login("clerk")
    post(c, "/logout")
    actions = [r.action for r in access_of(app).audit_entries(None)]
    assert "login" in actions and "logout" in actions
