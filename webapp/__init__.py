"""The chartroom web app: authorized staff search, view and file scanned charts.

    app = create_app(settings=Settings.from_env())      # refuses a missing or example secret key

One blueprint per area (BLUEPRINTS); every view function carries `@permission(...)` from
webapp/access.py and one before_request hook checks it. Sessions live on the server, every
state-changing request carries a CSRF token, every access is audited (webapp/audit.py).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from chartroom.errors import ConfigError
from chartroom.settings import Settings

log = logging.getLogger(__name__)

# Modules that define a `bp` Blueprint, registered in this order. W2 appends its modules here.
BLUEPRINTS: tuple[str, ...] = (
    "webapp.auth",
    "webapp.admin",
    "webapp.audit_views",
    "webapp.break_glass",
    "webapp.search_views",
    "webapp.documents",
    "webapp.queue",
    "webapp.patients_views",
    "webapp.api",
    "webapp.api_filing",
)
# Navigation: (endpoint, label); shown when the endpoint exists and the user may use it.
NAV: tuple[tuple[str, str], ...] = (
    ("search.index", "Search"),
    ("queue.index", "Unfiled"),
    ("patients.index", "Patients"),
    ("audit_views.index", "Audit"),
    ("audit_views.report", "Access report"),
    ("admin.users", "Users"),
    ("admin.restrictions", "Restrictions"),
)
EXAMPLE_KEYS = frozenset(
    {"change-me", "changeme", "secret", "dev", "development", "example", "test", "please-change"}
)
MIN_KEY_CHARS = 32


def check_secret_key(key: str) -> None:
    """ConfigError for a missing, short or example secret key."""
    if not key:
        raise ConfigError("CHARTROOM_WEB_SECRET_KEY is not set; the web app will not start")
    lowered = key.strip().lower()
    if lowered in EXAMPLE_KEYS or "change-me" in lowered or "example" in lowered:
        raise ConfigError("CHARTROOM_WEB_SECRET_KEY is the example value; set a random one")
    if len(key) < MIN_KEY_CHARS or len(set(key)) < 8:
        raise ConfigError(
            f"CHARTROOM_WEB_SECRET_KEY must be at least {MIN_KEY_CHARS} random characters"
        )


def create_app(
    test_config: Mapping[str, Any] | None = None, settings: Settings | None = None
) -> Flask:
    """The Flask app for `settings` (default: from the environment)."""
    from webapp import access, errors, security, stores

    settings = settings or Settings.from_env()
    check_secret_key(settings.web_secret_key)
    bad_roles = set(settings.web_restricted_roles) - set(access.ROLES)
    if bad_roles:
        raise ConfigError(f"CHARTROOM_WEB_RESTRICTED_ROLES names unknown roles {sorted(bad_roles)}")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.web_secret_key,
        CHARTROOM_SETTINGS=settings,
        MAX_CONTENT_LENGTH=settings.web_upload_mb * 1024 * 1024,
        MAX_FORM_MEMORY_SIZE=2 * 1024 * 1024,
        SESSION_COOKIE_NAME=security.COOKIE,
        SESSION_COOKIE_SECURE=settings.web_secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        PROPAGATE_EXCEPTIONS=False,
        TRAP_HTTP_EXCEPTIONS=False,
        DEBUG=False,
        JSON_SORT_KEYS=False,
    )
    if test_config:
        app.config.update(test_config)
    if settings.web_trusted_proxies > 0:
        n = settings.web_trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)  # type: ignore[method-assign]
    app.session_interface = security.ServerSessionInterface(settings)
    stores.open_stores(app, settings)

    app.before_request(security.load_user)
    app.before_request(access.enforce)
    app.before_request(security.check_csrf)
    app.after_request(security.add_headers)
    app.after_request(stores.sync_index_after_change)
    errors.register(app)

    for name in BLUEPRINTS:
        app.register_blueprint(importlib.import_module(name).bp)
    _public_static(app)

    app.jinja_env.globals.update(
        csrf_field=security.csrf_field,
        csrf_token=security.csrf_token,
        nav_links=_nav_links,
        current_user=access.signed_in_user,
    )
    log.info("web app created with %d blueprint(s)", len(BLUEPRINTS))
    return app


def _public_static(app: Flask) -> None:
    """Static-file endpoints (Flask's own and blueprints') are public."""
    from webapp.access import PUBLIC, permission

    for endpoint, view in list(app.view_functions.items()):
        if endpoint == "static" or endpoint.endswith(".static"):

            def static(filename: str, _view: Any = view) -> Any:
                return _view(filename=filename)

            app.view_functions[endpoint] = permission(PUBLIC)(static)


def _nav_links() -> list[tuple[str, str, bool]]:
    """(url, label, active) for the links the signed-in user may follow."""
    from flask import request, url_for

    from webapp.access import endpoint_permission, signed_in_user

    user = signed_in_user()
    if user is None:
        return []
    links = []
    for endpoint, label in NAV:
        needed = endpoint_permission(endpoint)
        if needed is not None and user.can(needed):
            links.append((url_for(endpoint), label, request.endpoint == endpoint))
    return links
