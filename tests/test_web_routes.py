"""Every route has an access rule, and every role gets exactly what its rule allows.

The sweep walks `app.url_map`: a route without `@permission(...)` fails the test (and is
refused at run time). Each route is then requested signed out and as every role.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests._web import *  # noqa: F403
from tests._web import Login
from webapp.access import ATTRIBUTE, PUBLIC, ROLES, SIGNED_IN, User, permission

SAMPLE_ARGS = {"int": "999999", "string": "x", "default": "x", "path": "x"}


def endpoints(app: Flask) -> list[tuple[str, str, str]]:
    """(method, url, permission) for every rule, with placeholder ids."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        needed = getattr(view, ATTRIBUTE, None)
        url = rule.rule
        for name, converter in rule._converters.items():
            kind = type(converter).__name__.lower().replace("converter", "")
            url = re.sub(rf"<[^>]*{name}>", SAMPLE_ARGS.get(kind, "1"), url)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, url, needed or ""))
    return found


def test_every_route_has_an_access_rule(app: Flask) -> None:
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], ATTRIBUTE, None) is None
    ]
    assert missing == []
    assert len(list(app.url_map.iter_rules())) > 10


def test_a_route_without_a_rule_is_refused_at_run_time(app: Flask, login: Login) -> None:
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    admin = login("admin")
    assert admin.get("/forgotten").status_code == 403


def test_signed_out_requests_reach_only_public_routes(app: Flask, client: FlaskClient) -> None:
    for method, url, needed in endpoints(app):
        response = client.open(url, method=method)
        if needed == PUBLIC:
            continue
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url)
            assert response.get_json()["error"]["type"] == "Unauthorized"
        elif method == "GET":
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"] == "/login"
        else:
            assert response.status_code == 401, (method, url)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_routes(app: Flask, login: Login, role: str) -> None:
    client = login(role)
    user = User(0, "x", role)
    for method, url, needed in endpoints(app):
        if url == "/logout" or url.startswith("/api/"):
            continue  # sign-out ends the session; the API is swept with tokens below
        response = client.open(url, method=method)
        if user.can(needed):
            assert response.status_code not in (401, 403), (role, method, url)
            assert response.status_code < 500 or response.status_code == 503, (role, method, url)
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_its_api_routes(app: Flask, role: str) -> None:
    from tests._web import make_user
    from webapp import security
    from webapp.stores import get_access

    uid = make_user(app, f"api-{role}", role)
    with app.app_context():
        get_access().create_token(uid, security.digest(f"token-{role}"), security.now())
    client = app.test_client()
    headers = {"Authorization": f"Bearer token-{role}"}
    user = User(uid, "x", role, via="token")
    for method, url, needed in endpoints(app):
        if not url.startswith("/api/"):
            continue
        response = client.open(url, method=method, headers=headers, json={})
        assert response.is_json, (method, url)
        if user.can(needed):
            assert response.status_code not in (401, 403), (role, method, url)
        else:
            assert response.status_code == 403, (role, method, url)
            assert response.get_json()["error"]["type"] == "Forbidden"


def test_the_decorator_refuses_unknown_permissions() -> None:
    with pytest.raises(ValueError):
        permission("everything")
    assert SIGNED_IN != PUBLIC
