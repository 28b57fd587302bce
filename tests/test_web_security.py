"""CSRF, security headers, cookie flags, secret-key refusal, upload limit, error pages, XSS."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chartroom.errors import ConfigError
from chartroom.settings import Settings
from tests._web import *  # noqa: F403
from tests._web import SECRET, Login, csrf_of, make_user, post, sign_in
from webapp import check_secret_key, create_app
from webapp.access import PUBLIC, permission

XSS = "<img src=x onerror=alert(1)>"


def test_post_without_a_csrf_token_is_refused(app: Flask, login: Login) -> None:
    admin = login("admin")
    response = admin.post(
        "/admin/users", data={"name": "eve", "role": "admin", "password": "a long enough password"}
    )
    assert response.status_code == 400
    with app.app_context():
        from webapp.stores import get_access

        assert get_access().user_by_name("eve") is None


def test_post_with_another_sessions_csrf_token_is_refused(app: Flask, login: Login) -> None:
    admin = login("admin")
    other = login("admin")
    foreign = csrf_of(other, "/")
    assert foreign != csrf_of(admin, "/")
    response = admin.post(
        "/admin/users",
        data={
            "name": "eve",
            "role": "admin",
            "password": "a long enough password",
            "csrf_token": foreign,
        },
    )
    assert response.status_code == 400
    ok = post(
        admin,
        "/admin/users",
        {"name": "eve", "role": "clerk", "password": "a long enough password"},
    )
    assert ok.status_code == 302


def test_the_csrf_token_can_come_in_a_header(login: Login) -> None:
    admin = login("admin")
    token = csrf_of(admin, "/")
    response = admin.post("/logout", headers={"X-CSRF-Token": token})
    assert response.status_code == 302


def test_security_headers_on_pages(login: Login, client: FlaskClient) -> None:
    for response in (client.get("/login"), login("clerk").get("/")):
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Frame-Options"] == "DENY"


def test_static_files_are_public_and_cacheable(client: FlaskClient) -> None:
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers["Cache-Control"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_no_inline_script_or_style_in_templates(app: Flask) -> None:
    from pathlib import Path

    import webapp

    for path in Path(webapp.__file__).parent.glob("templates/**/*.html"):
        text = path.read_text()
        assert "<script>" not in text and "style=" not in text and "<style" not in text, path
        assert " onclick=" not in text and " onload=" not in text, path


@pytest.mark.parametrize(
    "key", ["", "change-me", "short-but-random-1", "example-secret-key-example-secret-key-00"]
)
def test_the_app_refuses_a_missing_or_example_secret_key(tmp_path: object, key: str) -> None:
    with pytest.raises(ConfigError):
        check_secret_key(key)
    settings = Settings.from_env({}, home=tmp_path, web_secret_key=key)  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        create_app(settings=settings)
    check_secret_key(SECRET)


def test_secure_cookie_flag_can_be_turned_off_for_local_http(tmp_path: object) -> None:
    settings = Settings.from_env(
        {"CHARTROOM_WEB_SECURE_COOKIES": "false"}, home=tmp_path, web_secret_key=SECRET
    )  # type: ignore[arg-type]
    assert settings.web_secure_cookies is False
    with pytest.raises(ConfigError):
        Settings.from_env({"CHARTROOM_WEB_SECURE_COOKIES": "maybe"})


def test_request_bodies_over_the_upload_limit_are_refused(app: Flask, login: Login) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    admin = login("admin")
    response = admin.post("/admin/users", data={"name": "x" * 4096, "csrf_token": "t"})
    assert response.status_code == 413


def test_errors_show_no_traceback(app: Flask, login: Login) -> None:
    @permission(PUBLIC)
    def boom() -> str:
        raise RuntimeError("secret patient Orla Brindlemoor")

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/v1/boom", "api_boom", boom)
    page = app.test_client().get("/boom")
    assert page.status_code == 500
    body = page.get_data(as_text=True)
    assert "Traceback" not in body and "Brindlemoor" not in body and "RuntimeError" not in body
    api = app.test_client().get("/api/v1/boom")
    assert api.status_code == 500
    assert api.get_json() == {
        "error": {
            "type": "InternalServerError",
            "message": "The server could not answer. It was logged.",
        }
    }
    missing = app.test_client().get("/no/such/page")
    assert missing.status_code == 404 and "Not found" in missing.get_data(as_text=True)
    assert app.test_client().get("/api/v1/no/such").get_json()["error"]["type"] == "NotFound"


def test_get_never_changes_state(app: Flask, login: Login) -> None:
    """Every state-changing view is POST-only: the GET routes of W1's areas are read-only."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in {
            "auth.logout",
            "admin.create_user",
            "admin.update_user",
            "admin.change_restriction",
            "break_glass.grant",
        }:
            assert "GET" not in (rule.methods or set()), rule


def test_user_names_are_shown_as_text(app: Flask, login: Login) -> None:
    make_user(app, "evil", "clerk")
    admin = login("admin")
    response = post(
        admin, "/admin/users", {"name": XSS, "role": "clerk", "password": "a long enough password"}
    )
    assert response.status_code == 400  # the name rule refuses markup...
    with app.app_context():  # ...and a name that got in some other way is escaped
        from webapp import passwords, security
        from webapp.stores import get_access

        get_access().create_user(
            XSS, "clerk", passwords.hash_password("a long enough password"), security.now()
        )
    body = admin.get("/admin/users").get_data(as_text=True)
    assert XSS not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    c = app.test_client()
    assert sign_in(c, XSS, "a long enough password").status_code == 302
    home = c.get("/").get_data(as_text=True)
    assert XSS not in home and "&lt;img" in home


def test_failed_sign_in_echoes_the_name_escaped(client: FlaskClient) -> None:
    body = sign_in(client, XSS).get_data(as_text=True)
    assert XSS not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
