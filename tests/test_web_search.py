"""The search page: POSTed queries and filters, escaped snippets, facets, paging, restrictions."""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask

from tests._web import *  # noqa: F403
from tests._web import Login, post
from tests._web_archive import XSS, Archive
from tests._web_checks import *  # noqa: F403
from tests._web_checks import assert_escaped, audit_rows


def results_of(html: str) -> list[int]:
    """Document ids of the hits, in order."""
    return [int(x) for x in re.findall(r'action="/documents/(\d+)"', html)]


@pytest.mark.parametrize(
    ("role", "status"), [("clerk", 200), ("records", 200), ("auditor", 403), ("admin", 403)]
)
def test_search_page_by_role(login: Login, archive: Archive, role: str, status: int) -> None:
    client = login(role)
    assert client.get("/search").status_code == status
    if status == 200:
        response = post(client, "/search", {"query": "furosemide"}, token_from="/search")
        assert response.status_code == 200
        assert results_of(response.get_data(as_text=True)) == [archive.ids["dc2019"]]


def test_hits_show_patient_type_dates_page_snippet_and_thumbnail(
    app: Flask, login: Login, archive: Archive
) -> None:
    client = login("clerk")
    response = post(client, "/search", {"query": "furosemide"}, token_from="/search")
    html = response.get_data(as_text=True)
    doc = archive.ids["dc2019"]
    assert "Brindlemoor, Orla" in html and "MRN 00123456" in html
    assert "Discharge summary" in html and "admission: 2019-03-11" in html
    assert "<mark>furosemide</mark>" in html and "Page 1 of 2" in html
    assert f'src="/documents/{doc}/pages/1/thumbnail"' in html
    assert response.headers["Cache-Control"] == "no-store"
    rows = audit_rows(app, "search")
    assert rows and rows[0].detail["document_ids"] == [doc] and rows[0].detail["total"] == 1


def test_filters_are_anded_with_the_query(login: Login, archive: Archive) -> None:
    client = login("records")
    ids = archive.ids

    def search(**form: str) -> set[int]:
        response = post(client, "/search", form, token_from="/search")
        assert response.status_code == 200, response.get_data(as_text=True)
        return set(results_of(response.get_data(as_text=True)))

    assert search(query="heart failure", patient="Brindlemoor") == {ids["dc2019"]}
    assert search(patient="00234567") == {ids["path2019"], ids["note2020"]}
    assert search(type="pathology_report") == {ids["path2019"]}
    assert search(query="discharge", date_from="2021-01-01") == {ids["dc2021"]}
    assert search(query="discharge", date_to="2020-12-31") == {ids["dc2019"]}
    assert search(diagnosis="C50") == {ids["path2019"]}
    assert search(diagnosis="pneumonia") == {ids["dc2021"]}


def test_bad_input_is_explained(login: Login, archive: Archive) -> None:
    client = login("clerk")
    for form in (
        {"query": "dx:"},
        {"query": ""},
        {"query": "x", "date_from": "yesterday"},
        {"query": "x", "type": "nonsense"},
        {"query": "x", "page": "0"},
        {"query": "x", "date_from": "2020-01-02", "date_to": "2020-01-01"},
    ):
        response = post(client, "/search", form, token_from="/search")
        assert response.status_code == 400
        assert 'role="alert"' in response.get_data(as_text=True)


def test_facets_count_and_apply(login: Login, archive: Archive) -> None:
    client = login("clerk")
    html = post(client, "/search", {"query": "discharge"}, token_from="/search").get_data(
        as_text=True
    )
    assert "Document type" in html and "(2)" in html
    assert 'value="type:discharge_summary"' in html
    narrowed = post(
        client,
        "/search",
        {"query": "heart", "apply": "type:pathology_report"},
        token_from="/search",
    )
    assert results_of(narrowed.get_data(as_text=True)) == []
    by_year = post(
        client, "/search", {"query": "discharge", "apply": "year:2021"}, token_from="/search"
    )
    assert results_of(by_year.get_data(as_text=True)) == [archive.ids["dc2021"]]


def test_paging_by_post(
    app: Flask, login: Login, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = app.config["CHARTROOM_SETTINGS"]
    app.config["CHARTROOM_SETTINGS"] = settings.with_(search_page_size=2)
    client = login("records")
    first = post(client, "/search", {"query": "heart"}, token_from="/search").get_data(as_text=True)
    assert 'name="page" value="2"' in first and len(results_of(first)) == 2
    second = post(client, "/search", {"query": "heart", "page": "2"}, token_from="/search")
    assert 'aria-current="page" class="current">2<' in second.get_data(as_text=True)
    assert set(results_of(second.get_data(as_text=True))).isdisjoint(results_of(first))


def test_restricted_documents_are_not_counted_or_shown(login: Login, archive: Archive) -> None:
    clerk = post(login("clerk"), "/search", {"query": "confidential"}, token_from="/search")
    assert results_of(clerk.get_data(as_text=True)) == []
    assert "0 pages found" in clerk.get_data(as_text=True)
    assert "Hiddenfield" not in clerk.get_data(as_text=True)
    records = post(login("records"), "/search", {"query": "confidential"}, token_from="/search")
    assert results_of(records.get_data(as_text=True)) == [archive.ids["secret"]]


def test_attack_strings_are_shown_as_text(login: Login, archive: Archive) -> None:
    client = login("records")
    for form in (
        {"query": XSS},
        {"query": "doing well"},
        {"query": "letter"},
        {"query": "x", "patient": XSS},
        {"query": "x", "diagnosis": XSS},
    ):
        response = post(client, "/search", form, token_from="/search")
        assert_escaped(response.get_data(as_text=True))
    html = post(client, "/search", {"query": "doing well"}, token_from="/search").get_data(
        as_text=True
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_queries_stay_out_of_urls_and_logs(
    login: Login, archive: Archive, caplog: pytest.LogCaptureFixture
) -> None:
    client = login("clerk")
    caplog.set_level(logging.DEBUG)
    html = post(
        client, "/search", {"query": "furosemide", "patient": "Brindlemoor"}, token_from="/search"
    ).get_data(as_text=True)
    assert "furosemide" not in caplog.text and "Brindlemoor" not in caplog.text
    for url in re.findall(r'(?:href|src|action)="([^"]+)"', html):
        assert "furosemide" not in url and "Brindlemoor" not in url
    # a query in the URL is ignored: GET only shows the empty form
    assert results_of(client.get("/search?query=furosemide").get_data(as_text=True)) == []


def test_forms_carry_the_csrf_token_and_are_refused_without(login: Login, archive: Archive) -> None:
    client = login("clerk")
    html = post(client, "/search", {"query": "heart"}, token_from="/search").get_data(as_text=True)
    forms = re.findall(r"<form method=\"post\".*?</form>", html, re.S)
    assert len(forms) > 3 and all('name="csrf_token"' in f for f in forms)
    assert client.post("/search", data={"query": "heart"}).status_code == 400
