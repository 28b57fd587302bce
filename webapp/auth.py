"""Sign in, sign out, and the start page.

Sign-in is throttled per account name and per client address (failures counted in the database
over `web_login_window_minutes`), answers the same message for an unknown user, a wrong
password and a disabled account, and always starts a new server-side session.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from webapp import security
from webapp.access import PUBLIC, SIGNED_IN, User, permission, signed_in_user
from webapp.audit import audit, client_address
from webapp.passwords import verify_password
from webapp.stores import get_access, get_settings

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

FAILED = "The user name or password is not right."
THROTTLED = "Too many failed sign-ins. Wait a few minutes and try again."


@bp.get("/login")
@permission(PUBLIC)
def login() -> str | Response:
    if signed_in_user() is not None:
        return redirect(url_for("auth.home"))
    return render_template("auth/login.html", error="", name="")


@bp.post("/login")
@permission(PUBLIC)
def login_post() -> tuple[str, int] | Response:
    settings = get_settings()
    access = get_access()
    name = request.form.get("name", "").strip()[:100]
    password = request.form.get("password", "")
    address = client_address()
    moment = security.now()
    since = moment - timedelta(minutes=settings.web_login_window_minutes)
    by_account, by_address = access.login_failures(name.lower(), address, since)
    if (
        by_account >= settings.web_login_account_limit
        or by_address >= settings.web_login_address_limit
    ):
        audit("login.failed", user_name=name or "-", detail={"reason": "throttled"})
        log.info("sign-in throttled")
        return render_template("auth/login.html", error=THROTTLED, name=name), 429
    record = access.user_by_name(name) if name else None
    ok = verify_password(record.password_hash if record else None, password)
    if record is None or not ok or not record.active:
        access.record_login_failure(name.lower(), address, moment)
        audit("login.failed", user_name=name or "-", detail={"reason": "credentials"})
        return render_template("auth/login.html", error=FAILED, name=name), 401
    access.forget_login_failures(since)  # failures older than the window count no more
    security.start_session(session, record.id, address)
    user = User(record.id, record.name, record.role, "session", session.record.id)  # type: ignore[attr-defined]
    audit("login", user=user)
    log.info("user %d signed in", record.id)
    return redirect(url_for("auth.home"))


@bp.post("/logout")
@permission(SIGNED_IN)
def logout() -> Response:
    user = signed_in_user()
    if user is not None:
        audit("logout", user=user)
    security.end_session(session)
    return redirect(url_for("auth.login"))


@bp.get("/")
@permission(SIGNED_IN)
def home() -> str:
    return render_template("auth/home.html")
