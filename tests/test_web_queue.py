"""The unfiled queue: candidates, patient lookup by POST, file / re-file / unfile with a reason,
split and merge; permissions by role; CSRF on every form."""

from __future__ import annotations

import re

from flask import Flask

from records import charts
from records.types import DocumentStatus
from tests._web import *  # noqa: F403
from tests._web import Login, post
from tests._web_archive import Archive
from tests._web_checks import *  # noqa: F403
from tests._web_checks import assert_escaped, audit_rows
from webapp.stores import get_store


def status_of(app: Flask, document_id: int) -> tuple[DocumentStatus, int | None]:
    with app.app_context():
        doc = get_store().document(document_id)
    assert doc is not None
    return doc.status, doc.patient_id


def test_queue_lists_visible_candidates_and_reasons(login: Login, archive: Archive) -> None:
    clerk = login("clerk").get("/queue").get_data(as_text=True)
    assert f'href="/queue/{archive.ids["unfiled"]}"' in clerk
    assert "no MRN on the pages" in clerk and "Brindlemoor, Orla" in clerk
    assert "Hiddenfield" not in clerk  # a restricted candidate is not shown to a clerk
    records = login("records").get("/queue").get_data(as_text=True)
    assert "Hiddenfield" in records


def test_find_a_patient_and_file_the_document(app: Flask, login: Login, archive: Archive) -> None:
    doc = archive.ids["unfiled"]
    client = login("clerk")
    item = client.get(f"/queue/{doc}")
    html = item.get_data(as_text=True)
    forms = re.findall(r"<form method=\"post\".*?</form>", html, re.S)
    assert forms and all('name="csrf_token"' in f for f in forms)
    found = post(client, f"/queue/{doc}/find", {"patient": "quellbrook"}, token_from="/queue")
    assert "Quellbrook, Jasper" in found.get_data(as_text=True)
    assert "quellbrook" not in found.request.url
    hidden = post(client, f"/queue/{doc}/find", {"patient": "Hiddenfield"}, token_from="/queue")
    assert "No patient matches" in hidden.get_data(as_text=True)
    assert (
        client.post(
            f"/documents/{doc}/file", data={"patient_id": archive.jasper, "reason": "x"}
        ).status_code
        == 400
    )
    no_reason = post(
        client,
        f"/documents/{doc}/file",
        {"patient_id": archive.jasper, "reason": " "},
        token_from="/queue",
    )
    assert no_reason.status_code == 409 and status_of(app, doc)[0] == DocumentStatus.UNFILED
    to_hidden = post(
        client,
        f"/documents/{doc}/file",
        {"patient_id": archive.hidden, "reason": "sure"},
        token_from="/queue",
    )
    assert to_hidden.status_code == 404 and status_of(app, doc)[0] == DocumentStatus.UNFILED
    done = post(
        client,
        f"/documents/{doc}/file",
        {"patient_id": archive.jasper, "reason": "name and DOB on page 1"},
        token_from="/queue",
    )
    assert done.status_code == 302
    assert status_of(app, doc) == (DocumentStatus.FILED, archive.jasper)
    with app.app_context():
        event = get_store().events(doc)[-1]
    assert event.actor == "user:clerk1" and event.detail["reason"] == "name and DOB on page 1"
    assert audit_rows(app, "document.file", document_id=doc)[0].patient_id == archive.jasper
    assert f'href="/queue/{doc}"' not in client.get("/queue").get_data(as_text=True)
    with app.app_context():  # the filing reached the search index with the request
        assert get_store().index_outbox(100) == []
    again = post(
        client,
        f"/documents/{doc}/file",
        {"patient_id": archive.orla, "reason": "x"},
        token_from="/queue",
    )
    assert again.status_code == 409


def test_clerks_cannot_refile_split_or_merge(login: Login, archive: Archive) -> None:
    client = login("clerk")
    doc = archive.ids["dc2019"]
    for action, form in (
        ("refile", {"mrn": "00234567", "reason": "x"}),
        ("unfile", {"reason": "x"}),
        ("split", {"at_page": 2, "reason": "x"}),
        ("merge", {"other": archive.ids["dc2021"], "reason": "x"}),
    ):
        assert (
            post(client, f"/documents/{doc}/{action}", form, token_from="/queue").status_code == 403
        )
    for role in ("auditor", "admin"):
        other = login(role)
        assert other.get("/queue").status_code == 403
        assert (
            post(
                other,
                f"/documents/{archive.ids['unfiled']}/file",
                {"patient_id": archive.orla, "reason": "x"},
            ).status_code
            == 403
        )


def test_records_staff_refile_and_unfile(app: Flask, login: Login, archive: Archive) -> None:
    client = login("records")
    doc = archive.ids["dc2021"]
    moved = post(client, f"/documents/{doc}/refile", {"mrn": "00234567", "reason": "wrong MRN"})
    assert moved.status_code == 302 and status_of(app, doc) == (
        DocumentStatus.FILED,
        archive.jasper,
    )
    nobody = post(client, f"/documents/{doc}/refile", {"mrn": "99999999", "reason": "x"})
    assert nobody.status_code == 404
    back = post(client, f"/documents/{doc}/unfile", {"reason": "not this patient's"})
    assert back.status_code == 302 and status_of(app, doc)[0] == DocumentStatus.UNFILED
    assert audit_rows(app, "document.refile", document_id=doc)
    assert audit_rows(app, "document.unfile", document_id=doc)[0].patient_id == archive.jasper
    assert post(client, f"/documents/{doc}/unfile", {"reason": "x"}).status_code == 409


def test_records_staff_split_and_merge(app: Flask, login: Login, archive: Archive) -> None:
    client = login("records")
    doc = archive.ids["unfiled"]
    html = client.get(f"/queue/{doc}").get_data(as_text=True)
    assert 'name="at_page"' in html and 'name="other"' in html
    split = post(client, f"/documents/{doc}/split", {"at_page": 2, "reason": "two documents"})
    assert split.status_code == 302
    with app.app_context():
        entries = charts.queue(get_store())
    new_id = max(e.document.id for e in entries)
    assert split.headers["Location"] == f"/queue/{new_id}"
    assert client.get(f"/queue/{new_id}").status_code == 200
    merged = post(client, f"/documents/{new_id}/merge", {"other": doc, "reason": "one after all"})
    assert merged.status_code == 302
    with app.app_context():
        info = charts.get_document(get_store(), doc)
        assert info is not None and info.page_count == 3
        assert get_store().document(new_id) is None
    assert audit_rows(app, "document.split") and audit_rows(app, "document.merge")
    bad = post(client, f"/documents/{doc}/merge", {"other": archive.ids["dc2019"], "reason": "x"})
    assert bad.status_code == 409


def test_attack_strings_in_the_queue_are_text(login: Login, archive: Archive) -> None:
    client = login("records")
    found = post(client, f"/queue/{archive.ids['unfiled']}/find", {"patient": "00456789"})
    assert "&lt;img src=x onerror=alert(1)&gt;" in found.get_data(as_text=True)
    assert_escaped(found.get_data(as_text=True))
