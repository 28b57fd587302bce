"""Browser flows in real headless Chromium (Debian's, through Playwright) against the app served
by waitress: sign in, search, open a hit and see the highlighted page, file a document from the
unfiled queue, sign out. Any script dialog fails the test (the `page` fixture); the attack string
is in OCR text, a file name, a patient name and a query. Screenshots of the main pages are taken
on every run; with CHARTROOM_UPDATE_SCREENSHOTS=1 they are saved into docs/screenshots/ (embedded
in the README), otherwise into a temporary folder so a test run leaves the checkout unchanged.

The live server here is seeded with tests/_web_archive.py (real page images as blobs), so page
images and thumbnails render; everything else comes from tests/_browser.py.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chartroom.settings import Settings
from tests._browser import *  # noqa: F403
from tests._browser import PASSWORD, LiveServer, free_port, needs_chromium
from tests._web import SECRET
from tests._web_archive import XSS, Archive, seed_stores

pytestmark = needs_chromium

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
_SCRATCH = Path(tempfile.gettempdir()) / "chartroom-screenshots"
ROLES = ("clerk", "records", "auditor", "admin")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from waitress.server import create_server

    from records.access import AccessStore
    from records.store import RecordStore
    from webapp import create_app
    from webapp.passwords import hash_password
    from webapp.security import now
    from webapp.stores import close_stores

    home = tmp_path_factory.mktemp("live-w2") / "home"
    settings = Settings.from_env(
        {}, home=Path(home), workers=1, web_secret_key=SECRET, web_secure_cookies=False
    )
    store, access = RecordStore(settings), AccessStore(settings)
    try:
        archive: Archive = seed_stores(store, access, settings)
        for role in ROLES:
            access.create_user(role, role, hash_password(PASSWORD), now())
    finally:
        access.close()
        store.close()
    app = create_app(settings=settings)
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4, ident="chartroom")
    thread = threading.Thread(target=server.run, name="live-server-w2", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings, dict(archive.ids))
    finally:
        server.close()
        thread.join(timeout=5)
        close_stores(app)


def shot(page: Any, name: str) -> None:
    folder = SHOTS if os.environ.get("CHARTROOM_UPDATE_SCREENSHOTS") == "1" else _SCRATCH
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)
    assert (folder / f"{name}.png").stat().st_size > 0


def images_loaded(page: Any) -> bool:
    """Every image on the page loaded (waits for them; False if one failed)."""
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    return bool(page.evaluate("() => [...document.images].every(i => i.naturalWidth > 0)"))


def test_search_open_a_hit_file_from_the_queue_and_sign_out(
    live_server: LiveServer, page: Any
) -> None:
    live_server.sign_in(page, "clerk")
    page.wait_for_selector("text=Welcome, clerk")

    page.click("nav >> text=Search")
    page.fill("#query", "heart failure")
    page.click("form.search-form button[type=submit]")
    page.wait_for_selector("table.results")
    assert page.locator("td.snippet mark").count() > 0
    assert images_loaded(page)
    assert "heart" not in page.url  # the query went by POST
    page.locator("#results-heading").scroll_into_view_if_needed()
    shot(page, "search")

    dc2019 = live_server.documents["dc2019"]
    page.click(f"button:has-text('of document {dc2019}')")
    page.wait_for_selector("rect.box.hit")
    assert page.locator("rect.box.hit").count() >= 2  # "heart" and "failure"
    assert page.locator(".ocr-text mark").count() >= 2
    assert images_loaded(page)
    shot(page, "viewer")

    # the attack string as OCR text, file name and query: shown, never run
    page.goto(live_server.url + f"/documents/{live_server.documents['note2020']}")
    assert XSS in page.inner_text(".ocr-text pre")
    page.goto(live_server.url + "/search")
    page.fill("#query", XSS)
    page.click("form.search-form button[type=submit]")
    page.wait_for_selector("h2#results-heading")

    page.click("nav >> text=Unfiled")
    page.wait_for_selector("table.queue")
    shot(page, "queue")
    unfiled = live_server.documents["unfiled"]
    page.click(f"text=Document {unfiled}")
    page.wait_for_selector("text=Candidate patients")
    assert images_loaded(page)
    shot(page, "queue-item")
    page.fill("#find-patient", "00456789")  # the patient whose name is the attack string
    page.click("form:has(#find-patient) button[type=submit]")
    page.wait_for_selector("text=patient found")
    page.click("button:has-text('File to Brindlemoor, Orla')")
    page.wait_for_selector(f"text=Document {unfiled} filed.")
    assert page.locator(f"a[href='/queue/{unfiled}']").count() == 0

    live_server.sign_out(page)
    page.wait_for_selector("#password")
    page.goto(live_server.url + "/queue")
    assert "/login" in page.url


def test_patient_chart_and_records_pages(live_server: LiveServer, page: Any) -> None:
    live_server.sign_in(page, "records")
    page.wait_for_selector("text=Welcome, records")
    page.click("nav >> text=Patients")
    page.fill("#patient", "brindlemoor")
    page.click("form[role=search] button[type=submit]")
    page.click("text=Brindlemoor, Orla")
    page.wait_for_selector("text=Diagnosis summary")
    shot(page, "patient-chart")
    page.goto(live_server.url + "/patients/import")
    page.wait_for_selector("#roster")
    live_server.sign_out(page)
