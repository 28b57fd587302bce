"""The document viewer, page images, downloads; every page route for every role; attacks on
document ids by users who may not see them (404, an audit row, no data)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import Flask
from PIL import Image

from chartroom.errors import DatabaseError
from tests._web import *  # noqa: F403
from tests._web import Login, post
from tests._web_archive import Archive
from tests._web_checks import *  # noqa: F403
from tests._web_checks import ROLES, assert_escaped, audit_rows
from webapp import security
from webapp.access import ROLE_PERMISSIONS
from webapp.stores import get_access, get_store


def test_viewer_draws_findings_flags_low_confidence_and_offers_downloads(
    app: Flask, login: Login, archive: Archive
) -> None:
    doc = archive.ids["dc2019"]
    client = login("clerk")
    html = client.get(f"/documents/{doc}").get_data(as_text=True)
    assert f'src="/documents/{doc}/pages/1/image"' in html
    assert 'viewBox="0 0 850 1100"' in html and '<rect class="box dx"' in html
    assert '<rect class="box date"' in html and "Diagnosis I50.23 (affirmed)" in html
    assert "Congestive heart failure" in html  # the OCR text beside the image
    assert "E11.9" in html and "Diabetes Mellitus" in html and "discharge" in html
    assert "low OCR confidence" in html  # page 2 is flagged in the page list
    assert (
        f"/documents/{doc}/download/pdf" in html and f"/documents/{doc}/download/original" in html
    )
    assert "style=" not in html  # CSP style-src 'self': no inline styles
    page2 = client.get(f"/documents/{doc}?page=2").get_data(as_text=True)
    assert "OCR confidence is low" in page2
    assert client.get(f"/documents/{doc}?page=9").status_code == 404
    rows = audit_rows(app, "document.view", document_id=doc)
    assert len(rows) == 2 and rows[0].patient_id == archive.orla


def test_a_hit_opened_from_search_is_highlighted(login: Login, archive: Archive) -> None:
    doc = archive.ids["dc2019"]
    client = login("clerk")
    response = post(
        client, f"/documents/{doc}", {"q": "furosemide", "page": "1"}, token_from="/search"
    )
    html = response.get_data(as_text=True)
    assert '<rect class="box hit"' in html and "<mark>furosemide</mark>." in html
    assert "1 search hit highlighted" in html
    bad = post(client, f"/documents/{doc}", {"q": "dx:", "page": "1"}, token_from="/search")
    assert bad.status_code == 200 and '<rect class="box hit"' not in bad.get_data(as_text=True)


def test_page_images_are_rendered_once_and_audited(
    app: Flask, login: Login, archive: Archive
) -> None:
    doc = archive.ids["dc2019"]
    client = login("clerk")
    image = client.get(f"/documents/{doc}/pages/2/image")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(image.data)).size == (850, 1100)
    thumb = client.get(f"/documents/{doc}/pages/1/thumbnail")
    assert Image.open(io.BytesIO(thumb.data)).width == 200
    with app.app_context():
        store = get_store()
        sha = store.document(doc).sha256  # type: ignore[union-attr]
        assert store.blobs.derived_path(sha, "page-00002.jpg").is_file()
    assert client.get(f"/documents/{doc}/pages/3/image").status_code == 404
    assert len(audit_rows(app, "page.view", document_id=doc)) == 2


def test_downloads_are_attachments_with_generated_names(login: Login, archive: Archive) -> None:
    client = login("clerk")
    doc = archive.ids["note2020"]  # stored under a file name holding markup
    pdf = client.get(f"/documents/{doc}/download/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    disposition = pdf.headers["Content-Disposition"]
    assert disposition == f"attachment; filename=chartroom-document-{doc}.pdf"
    assert pdf.headers["X-Content-Type-Options"] == "nosniff"
    original = client.get(f"/documents/{doc}/download/original")
    assert (
        original.mimetype == "image/png"
        and "onerror" not in original.headers["Content-Disposition"]
    )
    tiff = client.get(f"/documents/{archive.ids['dc2019']}/download/original")
    with Image.open(io.BytesIO(tiff.data)) as img:
        assert img.n_frames == 2
    assert_escaped(client.get(f"/documents/{doc}").get_data(as_text=True))


PAGES = (
    ("/search", "search"),
    ("/documents/{dc}", "view"),
    ("/documents/{dc}/pages/1/image", "view"),
    ("/documents/{dc}/pages/1/thumbnail", "view"),
    ("/documents/{dc}/download/pdf", "view"),
    ("/documents/{dc}/download/original", "view"),
    ("/queue", "file"),
    ("/queue/{unfiled}", "file"),
    ("/patients", "patients"),
    ("/patients/{orla}", "view"),
    ("/patients/import", "roster_import"),
)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(login: Login, archive: Archive, role: str) -> None:
    client = login(role)
    values = {"dc": archive.ids["dc2019"], "unfiled": archive.ids["unfiled"], "orla": archive.orla}
    for url, needed in PAGES:
        expected = 200 if needed in ROLE_PERMISSIONS[role] else 403
        assert client.get(url.format(**values)).status_code == expected, (url, role)


DOCUMENT_URLS = (
    "/documents/{d}",
    "/documents/{d}?page=1",
    "/documents/{d}/pages/1/image",
    "/documents/{d}/pages/1/thumbnail",
    "/documents/{d}/download/pdf",
    "/documents/{d}/download/original",
    "/queue/{d}",
)


def test_documents_a_user_may_not_see_are_404_audited_and_empty(
    app: Flask, login: Login, archive: Archive
) -> None:
    client = login("clerk")
    for d in (archive.ids["secret"], 9999):
        for url in DOCUMENT_URLS:
            before = len(audit_rows(app, "denied"))
            response = client.get(url.format(d=d))
            assert response.status_code == 404, url
            assert "Confidential" not in response.get_data(as_text=True)
            assert len(audit_rows(app, "denied")) == before + 1, url
        for url, form in (
            (f"/documents/{d}", {"q": "heart", "page": "1"}),
            (f"/queue/{d}/find", {"patient": "Brindlemoor"}),
            (f"/documents/{d}/file", {"patient_id": archive.orla, "reason": "x"}),
        ):
            response = post(client, url, form, token_from="/search")
            assert response.status_code == 404, url
            assert "Confidential" not in response.get_data(as_text=True)
    denied = audit_rows(app, "denied", document_id=archive.ids["secret"])
    assert denied and all(r.user_name == "clerk1" for r in denied)


def test_a_granted_emergency_access_opens_the_document(
    app: Flask, login: Login, archive: Archive
) -> None:
    client = login("clerk")
    secret = archive.ids["secret"]
    assert client.get(f"/documents/{secret}").status_code == 404
    with app.app_context():
        access = get_access()
        user = access.user_by_name("clerk1")
        assert user is not None
        now = security.now()
        access.grant(
            user.id,
            "patient in the emergency room",
            now,
            now + timedelta(minutes=30),
            document_id=secret,
        )
    assert client.get(f"/documents/{secret}").status_code == 200


def test_nothing_is_served_when_the_audit_row_cannot_be_written(
    app: Flask, login: Login, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login("clerk")
    doc = archive.ids["dc2019"]
    with app.app_context():
        access = get_access()

    def broken(entry: object) -> int:
        raise DatabaseError("the audit table is unavailable")

    monkeypatch.setattr(access, "append_audit", broken)
    for url in (
        f"/documents/{doc}",
        f"/documents/{doc}/pages/1/image",
        f"/documents/{doc}/download/pdf",
    ):
        response = client.get(url)
        assert response.status_code == 503
        assert b"furosemide" not in response.data and not response.data.startswith(b"%PDF")
    response = post(client, "/search", {"query": "furosemide"}, token_from="/search")
    assert response.status_code == 503 and b"<mark>" not in response.data
