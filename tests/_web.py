"""Fixtures for the web app tests (Flask test client, real SQLite in a temporary home).

    from tests._web import *  # noqa: F403  (app, client, login, seeded, ...)

`login(role)` returns a test client signed in as a new user of that role; `post(client, url,
data)` adds the CSRF token of the client's page. Argon2 runs with its cheapest parameters here
(the production parameters are tested once, in test_web_auth.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from chartroom.settings import Settings
from records.access import AccessStore
from records.store import RecordStore
from webapp import create_app, passwords, security
from webapp.stores import close_stores, get_access, get_store

SECRET = "test-secret-9f3b2c7d1e4a6b8c0d2e4f6a8b0c2d4e"
PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
Login = Callable[..., FlaskClient]

__all__ = [
    "PASSWORD",
    "SECRET",
    "Login",
    "app",
    "client",
    "csrf_of",
    "login",
    "make_user",
    "post",
    "runner",
    "web_settings",
]


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return Settings.from_env(
        {}, home=tmp_path / "home", workers=1, web_secret_key=SECRET, web_secure_cookies=True
    )


@pytest.fixture
def app(web_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    cheap = PasswordHasher.from_parameters(CHEAPEST)
    monkeypatch.setattr(passwords, "HASHER", cheap)
    monkeypatch.setattr(passwords, "_DUMMY", cheap.hash("no-such-user-password"))
    application = create_app({"TESTING": True}, settings=web_settings)
    yield application
    close_stores(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


def store_of(app: Flask) -> RecordStore:
    with app.app_context():
        return get_store()


def access_of(app: Flask) -> AccessStore:
    with app.app_context():
        return get_access()


def make_user(app: Flask, name: str, role: str, password: str = PASSWORD) -> int:
    with app.app_context():
        user = get_access().create_user(
            name, role, passwords.hash_password(password), security.now()
        )
    return user.id


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token from a page of this client (the sign-in page, or any signed-in page)."""
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    found = CSRF.search(page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def post(
    client: FlaskClient,
    url: str,
    data: dict[str, Any] | None = None,
    token_from: str = "/",
    **kw: Any,
) -> TestResponse:
    """POST with the client's CSRF token (from `token_from`)."""
    form = dict(data or {})
    form.setdefault("csrf_token", csrf_of(client, token_from))
    return client.post(url, data=form, **kw)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> TestResponse:
    return post(client, "/login", {"name": name, "password": password}, token_from="/login")


@pytest.fixture
def login(app: Flask) -> Login:
    """login("clerk") -> a new test client signed in as a new clerk (name: clerk1, clerk2...)."""
    made: dict[str, int] = {}

    def make(role: str, name: str | None = None) -> FlaskClient:
        made[role] = made.get(role, 0) + 1
        user = name or f"{role}{made[role]}"
        make_user(app, user, role)
        c = app.test_client()
        response = sign_in(c, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return c

    return make
