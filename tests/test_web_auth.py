"""Sign-in and sessions: Argon2id, throttling, one message, renewal, revocation, timeouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests._web import *  # noqa: F403
from tests._web import PASSWORD, Login, csrf_of, make_user, post, sign_in
from webapp import passwords, security
from webapp.auth import FAILED, THROTTLED
from webapp.security import COOKIE


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie(COOKIE)
    assert found is not None
    return found.value


def test_argon2id_hashes_with_the_production_parameters() -> None:
    hashed = passwords.HASHER.hash("x" * 20)
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "x" * 20)
    assert not passwords.verify_password(hashed, "y" * 20)
    assert not passwords.verify_password(None, "x" * 20)
    assert not passwords.verify_password("not a hash", "x" * 20)


def test_sign_in_sets_a_strict_session_cookie_and_shows_home(
    app: Flask, client: FlaskClient
) -> None:
    make_user(app, "ana", "clerk")
    response = sign_in(client, "ana")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    set_cookie = response.headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    assert "Expires" not in set_cookie and "Max-Age" not in set_cookie  # no remember-me
    home = client.get("/")
    assert home.status_code == 200 and "Welcome, ana" in home.get_data(as_text=True)


def test_the_same_message_for_a_wrong_user_a_wrong_password_and_a_disabled_user(
    app: Flask, client: FlaskClient
) -> None:
    uid = make_user(app, "ana", "clerk")
    wrong_user = sign_in(client, "nobody")
    wrong_password = sign_in(client, "ana", "not the password at all")
    with app.app_context():
        from webapp.stores import get_access

        get_access().update_user(uid, security.now(), active=False)
    disabled = sign_in(client, "ana")
    bodies = [r.get_data(as_text=True) for r in (wrong_user, wrong_password, disabled)]
    assert all(r.status_code == 401 for r in (wrong_user, wrong_password, disabled))
    assert all(FAILED in b for b in bodies)
    assert client.get_cookie(COOKIE) is None


def test_sign_in_is_throttled_per_account(app: Flask, client: FlaskClient) -> None:
    make_user(app, "ana", "clerk")
    for _ in range(app.config["CHARTROOM_SETTINGS"].web_login_account_limit):
        assert sign_in(client, "ana", "wrong password!!").status_code == 401
    refused = sign_in(client, "ana")  # even the right password is refused for a while
    assert refused.status_code == 429 and THROTTLED in refused.get_data(as_text=True)
    other = app.test_client()
    make_user(app, "bob", "clerk")
    assert sign_in(other, "bob").status_code == 302  # another account is not locked out


def test_sign_in_is_throttled_per_address(app: Flask, client: FlaskClient) -> None:
    settings = app.config["CHARTROOM_SETTINGS"]
    make_user(app, "ana", "clerk")
    for n in range(settings.web_login_address_limit):
        sign_in(client, f"guess{n}", "wrong password!!")
    assert sign_in(client, "ana").status_code == 429


def test_throttling_ends_after_the_window(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(app, "ana", "clerk")
    for _ in range(5):
        sign_in(client, "ana", "wrong password!!")
    assert sign_in(client, "ana").status_code == 429
    later = security.now() + timedelta(minutes=16)
    monkeypatch.setattr(security, "now", lambda: later)
    assert sign_in(client, "ana").status_code == 302


def test_the_session_id_is_renewed_at_sign_in(app: Flask, login: Login) -> None:
    c = login("clerk")
    before = cookie(c)
    assert sign_in(c, "clerk1").status_code == 302
    after = cookie(c)
    assert before != after
    replay = app.test_client()
    replay.set_cookie(COOKIE, before, domain="localhost")
    assert replay.get("/").status_code == 302  # the old id is revoked


def test_a_cookie_replayed_after_sign_out_is_refused(app: Flask, login: Login) -> None:
    c = login("clerk")
    stolen = cookie(c)
    response = post(c, "/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert c.get_cookie(COOKIE) is None
    replay = app.test_client()
    replay.set_cookie(COOKIE, stolen, domain="localhost")
    answer = replay.get("/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_disabling_a_user_revokes_their_session(app: Flask, login: Login) -> None:
    clerk = login("clerk")
    admin = login("admin")
    with app.app_context():
        from webapp.stores import get_access

        uid = get_access().user_by_name("clerk1").id  # type: ignore[union-attr]
    assert (
        post(
            admin, f"/admin/users/{uid}", {"action": "disable"}, token_from="/admin/users"
        ).status_code
        == 302
    )
    assert clerk.get("/").status_code == 302


def test_idle_timeout(app: Flask, login: Login, monkeypatch: pytest.MonkeyPatch) -> None:
    c = login("clerk")
    start = security.now()
    monkeypatch.setattr(security, "now", lambda: start + timedelta(minutes=14))
    assert c.get("/").status_code == 200  # activity keeps the session
    monkeypatch.setattr(security, "now", lambda: start + timedelta(minutes=28))
    assert c.get("/").status_code == 200
    monkeypatch.setattr(security, "now", lambda: start + timedelta(minutes=44))
    assert c.get("/").status_code == 302


def test_absolute_timeout(app: Flask, login: Login, monkeypatch: pytest.MonkeyPatch) -> None:
    c = login("clerk")
    start = security.now()
    hours = app.config["CHARTROOM_SETTINGS"].web_session_hours
    minute = 0
    while minute < hours * 60 - 10:  # active all along, never idle
        minute += 10
        moment = start + timedelta(minutes=minute)
        monkeypatch.setattr(security, "now", lambda m=moment: m)
        assert c.get("/").status_code == 200
    moment = start + timedelta(hours=hours, minutes=1)
    monkeypatch.setattr(security, "now", lambda: moment)
    assert c.get("/").status_code == 302


def test_signed_out_pages_redirect_and_the_api_answers_401(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"] == "/login"
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404 or response.status_code == 401
    assert response.is_json


def test_api_ignores_session_cookies_and_takes_bearer_tokens(app: Flask, login: Login) -> None:
    from webapp.access import PUBLIC, SIGNED_IN, current_user, permission

    @permission(SIGNED_IN)
    def whoami() -> dict[str, str]:
        return {"name": current_user().name}

    app.add_url_rule("/api/v1/whoami-test", "whoami_test", whoami)
    assert PUBLIC
    c = login("clerk")
    refused = c.get("/api/v1/whoami-test")
    assert refused.status_code == 401
    assert refused.get_json()["error"]["type"] == "Unauthorized"
    with app.app_context():
        from webapp.stores import get_access

        access = get_access()
        user = access.user_by_name("clerk1")
        assert user
        access.create_token(user.id, security.digest("tok-123"), security.now())
    ok = app.test_client().get("/api/v1/whoami-test", headers={"Authorization": "Bearer tok-123"})
    assert ok.status_code == 200 and ok.get_json() == {"name": "clerk1"}
    bad = app.test_client().get("/api/v1/whoami-test", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_login_page_needs_its_csrf_token(app: Flask, client: FlaskClient) -> None:
    make_user(app, "ana", "clerk")
    response = client.post("/login", data={"name": "ana", "password": PASSWORD})
    assert response.status_code == 400
    other = app.test_client()
    foreign = csrf_of(other)
    csrf_of(client)
    response = client.post(
        "/login", data={"name": "ana", "password": PASSWORD, "csrf_token": foreign}
    )
    assert response.status_code == 400


def test_cli_users_add_reads_the_password_from_stdin_and_token_prints_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    from chartroom.cli import main

    settings = app.config["CHARTROOM_SETTINGS"]
    monkeypatch.setenv("CHARTROOM_HOME", str(settings.home))
    monkeypatch.setattr("sys.stdin", io.StringIO("a fine long password\n"))
    assert main(["users", "add", "carol", "--role", "records"]) == 0
    assert "created user carol (records)" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["users", "add", "dave", "--role", "clerk"]) == 86
    with pytest.raises(SystemExit):
        main(["users", "add", "erin", "--role", "clerk", "--password", "x" * 20])
    capsys.readouterr()
    client = app.test_client()
    assert sign_in(client, "carol", "a fine long password").status_code == 302
    assert main(["users", "token", "carol"]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40
    with app.app_context():
        from webapp.stores import get_access

        found = get_access().user_for_token(security.digest(token))
    assert found is not None and found.name == "carol"
    assert main(["users", "token", "nobody"]) == 85


def test_serve_refuses_to_start_without_a_secret_key(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chartroom.cli import main

    monkeypatch.setenv("CHARTROOM_HOME", str(tmp_path))
    monkeypatch.delenv("CHARTROOM_WEB_SECRET_KEY", raising=False)
    assert main(["serve", "--port", "1"]) == 78
    assert "CHARTROOM_WEB_SECRET_KEY" in capsys.readouterr().err
