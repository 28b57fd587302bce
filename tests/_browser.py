"""Browser test fixtures: the app served by waitress on 127.0.0.1 in a thread, driven by
Debian's chromium through Playwright (never `playwright install`: the system browser is used).

    from tests._browser import *  # noqa: F403   (live_server, page, browser)

    def test_x(live_server: LiveServer, page: Page) -> None:
        live_server.sign_in(page, "clerk")

`live_server` (one per test module) holds a temporary CHARTROOM_HOME seeded with the small
archive of tests/_search_docs.py (indexed), plus one user per role: `clerk`, `records`,
`auditor`, `admin`, all with the password `PASSWORD`. The `page` fixture fails the test on any
JavaScript dialog (alert, confirm, prompt) and on any uncaught page error.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chartroom.settings import Settings
from tests._search_docs import archive
from tests._web import PASSWORD, SECRET

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROLES = ("clerk", "records", "auditor", "admin")

__all__ = ["CHROMIUM", "PASSWORD", "LiveServer", "browser", "live_server", "page"]

needs_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian's chromium is not installed (make test does)"
)


@dataclass
class LiveServer:
    url: str
    settings: Settings
    documents: dict[str, int]  # key in tests/_search_docs.py -> document id
    dialogs: list[str] = field(default_factory=list)

    def sign_in(self, page: Any, name: str, password: str = PASSWORD) -> None:
        page.goto(self.url + "/login")
        page.fill("#name", name)
        page.fill("#password", password)
        page.click("button[type=submit]")

    def sign_out(self, page: Any) -> None:
        page.click("header form button[type=submit]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(settings: Settings) -> dict[str, int]:
    from indexer.reindex import reindex
    from records.access import AccessStore
    from records.store import RecordStore
    from webapp.passwords import hash_password
    from webapp.security import now

    with RecordStore(settings) as store:
        documents = archive(store)
        reindex(settings, store)
    access = AccessStore(settings)
    try:
        for role in ROLES:
            access.create_user(role, role, hash_password(PASSWORD), now())
    finally:
        access.close()
    return documents


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from waitress.server import create_server

    from webapp import create_app
    from webapp.stores import close_stores

    home = tmp_path_factory.mktemp("live") / "home"
    settings = Settings.from_env(
        {}, home=Path(home), workers=1, web_secret_key=SECRET, web_secure_cookies=False
    )
    documents = seed(settings)
    app = create_app(settings=settings)
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4, ident="chartroom")
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", settings, documents)
    finally:
        server.close()
        thread.join(timeout=5)
        close_stores(app)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if shutil.which(CHROMIUM) is None:
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A fresh browser context and page; any dialog or uncaught script error fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    events: list[str] = []

    def on_dialog(dialog: Any) -> None:
        events.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: events.append(f"page error: {error}"))
    try:
        yield page
    finally:
        context.close()
    assert events == [], f"JavaScript dialogs or errors: {events}"
