"""Headless Chromium: sign in, see the start page, sign out; any script dialog fails a test."""

from __future__ import annotations

from typing import Any

from tests._browser import *  # noqa: F403
from tests._browser import LiveServer


def test_sign_in_home_and_sign_out(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.url + "/")
    assert page.url.endswith("/login")
    live_server.sign_in(page, "clerk")
    page.wait_for_url(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Welcome, clerk"
    assert page.locator(".who .role").inner_text() == "(Clerk)"
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["chartroom_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["expires"] == -1
    live_server.sign_out(page)
    page.wait_for_url(live_server.url + "/login")
    page.goto(live_server.url + "/")
    assert page.url.endswith("/login")


def test_wrong_password_shows_the_generic_message(live_server: LiveServer, page: Any) -> None:
    live_server.sign_in(page, "clerk", "not the right password")
    assert "not right" in page.locator("#login-error").inner_text()


def test_a_script_alert_fails_the_test(live_server: LiveServer, browser: Any) -> None:
    """The `page` fixture's guard works: a page that calls alert() is caught."""
    context = browser.new_context()
    page = context.new_page()
    seen: list[str] = []

    def on_dialog(dialog: Any) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(live_server.url + "/login")
    page.evaluate("window.alert('boom')")  # as an injected script would
    context.close()
    assert seen == ["boom"]


def test_the_csp_blocks_inline_script(live_server: LiveServer, page: Any) -> None:
    """Markup injected into a page cannot run inline script (CSP script-src 'self')."""
    page.goto(live_server.url + "/login")
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=alert(1)>')")
    page.wait_for_timeout(300)  # the fixture fails the test if alert(1) ran
