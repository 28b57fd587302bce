"""Patients: master patient index search, the chart with its diagnosis summary, roster import."""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask

from tests._web import *  # noqa: F403
from tests._web import Login, post
from tests._web_archive import Archive
from tests._web_checks import *  # noqa: F403
from tests._web_checks import assert_escaped, audit_rows
from webapp import patients_views
from webapp.stores import get_store


def test_patient_search_by_name_and_mrn(app: Flask, login: Login, archive: Archive) -> None:
    client = login("records")
    by_name = post(client, "/patients", {"patient": "brindle"}, token_from="/patients")
    assert f'href="/patients/{archive.orla}"' in by_name.get_data(as_text=True)
    by_mrn = post(client, "/patients", {"patient": "00234567"}, token_from="/patients")
    assert "Quellbrook, Jasper" in by_mrn.get_data(as_text=True)
    xss = post(client, "/patients", {"patient": "00456789"}, token_from="/patients")
    assert_escaped(xss.get_data(as_text=True))
    assert audit_rows(app, "patient.search")


def test_chart_shows_demographics_documents_and_diagnosis_summary(
    app: Flask, login: Login, archive: Archive
) -> None:
    client = login("clerk")
    html = client.get(f"/patients/{archive.orla}").get_data(as_text=True)
    assert "Brindlemoor, Orla" in html and "1952-07-09" in html and "00123456" in html
    dc2021, dc2019 = archive.ids["dc2021"], archive.ids["dc2019"]
    assert html.index(f"Document {dc2021}") < html.index(f"Document {dc2019}")  # newest first
    assert "I50.23" in html and "J18.9" in html and "2019-03-14" in html and "2021-06-05" in html
    rows = audit_rows(app, "patient.view", patient_id=archive.orla)
    assert rows and rows[0].detail["document_ids"] == sorted([dc2019, dc2021])


def test_restricted_and_unknown_patients_are_404_and_audited(
    app: Flask, login: Login, archive: Archive
) -> None:
    client = login("clerk")
    for patient_id in (archive.hidden, 9999):
        response = client.get(f"/patients/{patient_id}")
        assert response.status_code == 404
        assert "Hiddenfield" not in response.get_data(as_text=True)
    assert audit_rows(app, "denied", patient_id=archive.hidden)
    assert login("records").get(f"/patients/{archive.hidden}").status_code == 200


def test_attack_strings_in_a_chart_are_text(login: Login, archive: Archive) -> None:
    client = login("clerk")
    with client.application.app_context():
        patient = get_store().patient_by_mrn("00456789")
    assert patient is not None
    html = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert_escaped(html)


def test_roster_import_csv_and_fhir(app: Flask, login: Login, archive: Archive) -> None:
    client = login("records")
    csv_data = (
        b"MRN,Last Name,First Name,DOB,Sex\n00999001,Farrowdale,Mira,1980-02-03,F\n,Nomrn,Ada,,\n"
    )
    response = post(
        client,
        "/patients/import",
        {"roster": (io.BytesIO(csv_data), "roster.csv")},
        token_from="/patients/import",
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "1 created" in html and "1 rejected" in html
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "00999002"}],
                    "name": [{"family": "Ostrander", "given": ["Pell"]}],
                    "birthDate": "1977-05-06",
                    "gender": "male",
                }
            }
        ],
    }
    response = post(
        client,
        "/patients/import",
        {"roster": (io.BytesIO(json.dumps(bundle).encode()), "bundle.json")},
        token_from="/patients/import",
        content_type="multipart/form-data",
    )
    assert "1 created" in response.get_data(as_text=True)
    with app.app_context():
        assert get_store().patient_by_mrn("00999002") is not None
    rows = audit_rows(app, "roster.import")
    assert [r.detail["format"] for r in rows] == ["fhir", "csv"]


def test_roster_import_is_size_limited_and_for_records_staff(
    login: Login, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(patients_views, "MAX_ROSTER_MB", 1)
    client = login("records")
    big = io.BytesIO(b"mrn,last_name\n" + b"1234567,X\n" * 120_000)
    response = post(
        client,
        "/patients/import",
        {"roster": (big, "big.csv")},
        token_from="/patients/import",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "larger than 1 MB" in response.get_data(as_text=True)
    empty = post(client, "/patients/import", {}, token_from="/patients/import")
    assert empty.status_code == 400
    clerk = login("clerk")
    assert clerk.get("/patients/import").status_code == 403
    assert (
        post(
            clerk,
            "/patients/import",
            {"roster": (io.BytesIO(b"x"), "r.csv")},
            content_type="multipart/form-data",
        ).status_code
        == 403
    )
