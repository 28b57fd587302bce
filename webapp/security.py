"""Sessions, CSRF, API tokens and security headers.

- Sessions live on the server (`web_sessions`): the cookie holds only a random id, stored as
  its SHA-256. A session ends at logout, when its user is disabled, after
  `web_idle_minutes` without a request and `web_session_hours` after sign-in. Sign-in always
  starts a new session (a new id), so an id planted before sign-in is worthless.
- CSRF: every POST/PUT/PATCH/DELETE carries `csrf_token` (form field or X-CSRF-Token header)
  equal to the session's token; before sign-in, an HMAC of a random pre-session cookie.
- The JSON API (/api/) ignores cookies: `Authorization: Bearer <token>` only, so no CSRF.
- Headers: CSP without inline script, frame-ancestors 'none', nosniff, no-referrer, and
  `Cache-Control: no-store` on every response that is not a static file.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, g, request
from flask.sessions import SessionInterface, SessionMixin
from markupsafe import Markup
from werkzeug.datastructures import CallbackDict
from werkzeug.exceptions import BadRequest
from werkzeug.wrappers import Request, Response

from chartroom.settings import Settings
from records.access import SessionRecord
from webapp.access import User

log = logging.getLogger(__name__)

COOKIE = "chartroom_session"
PRE_COOKIE = "chartroom_pre"  # pre-sign-in CSRF binding (random, no state on the server)
TOUCH_SECONDS = 30  # last_seen is written at most this often per session
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def now() -> datetime:
    """The web app's clock (tests monkeypatch it)."""
    return datetime.now(UTC)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """Flask's `session`: data kept in the session row; the cookie holds the id only."""

    def __init__(self, record: SessionRecord | None = None, token: str = "") -> None:
        def changed(_self: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(record.data if record else None, changed)
        self.record = record
        self.token = token  # the cookie value (set for a new or an open session)
        self.fresh = False  # a new id to send to the browser
        self.ended = False  # send a cookie deletion
        self.modified = False


class ServerSessionInterface(SessionInterface):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        if request.path.startswith("/api/"):
            return ServerSession()  # the API authenticates by bearer token only
        token = request.cookies.get(COOKIE, "")
        if not token:
            return ServerSession()
        from webapp.stores import get_access

        access = get_access()
        record = access.session(digest(token))
        if record is None or record.revoked or not record.user.active:
            return _ended()
        moment = now()
        idle = timedelta(minutes=self.settings.web_idle_minutes)
        absolute = timedelta(hours=self.settings.web_session_hours)
        if moment - record.last_seen > idle or moment - record.created_at > absolute:
            access.revoke_session(record.id, moment)
            log.info("session %d expired", record.id)
            return _ended()
        return ServerSession(record, token)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not isinstance(session, ServerSession):
            return
        if session.ended and not session.fresh:
            response.delete_cookie(
                COOKIE,
                path="/",
                secure=self.settings.web_secure_cookies,
                httponly=True,
                samesite="Strict",
            )
            return
        record = session.record
        if record is None:
            return
        from webapp.stores import get_access

        moment = now()
        stale = (moment - record.last_seen).total_seconds() >= TOUCH_SECONDS
        if session.modified or stale:
            get_access().touch_session(
                record.id, moment, dict(session) if session.modified else None
            )
        if session.fresh:
            set_cookie(response, COOKIE, session.token, self.settings)


def _ended() -> ServerSession:
    session = ServerSession()
    session.ended = True
    return session


def set_cookie(response: Response, name: str, value: str, settings: Settings) -> None:
    """Session cookie (no Max-Age: gone when the browser closes): Secure, HttpOnly, Strict."""
    response.set_cookie(
        name, value, path="/", secure=settings.web_secure_cookies, httponly=True, samesite="Strict"
    )


def start_session(session: SessionMixin, user_id: int, address: str) -> ServerSession:
    """Sign-in: revoke the session in use (if any) and start one with a new id and CSRF token."""
    from webapp.stores import get_access

    assert isinstance(session, ServerSession)
    access = get_access()
    moment = now()
    if session.record is not None:
        access.revoke_session(session.record.id, moment)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session_id = access.create_session(digest(token), user_id, csrf, address, moment)
    record = access.session(digest(token))
    assert record is not None and record.id == session_id
    session.clear()
    session.record, session.token, session.fresh, session.modified = record, token, True, False
    return session


def end_session(session: SessionMixin) -> None:
    """Sign-out: revoke the session on the server and delete the cookie."""
    from webapp.stores import get_access

    assert isinstance(session, ServerSession)
    if session.record is not None:
        get_access().revoke_session(session.record.id, now())
    session.clear()
    session.record, session.token, session.fresh, session.ended = None, "", False, True
    session.modified = False


def load_user() -> None:
    """before_request: g.user from the session (pages) or the bearer token (/api/)."""
    from flask import session

    from webapp.stores import get_access

    g.user = None
    if request.path.startswith("/api/"):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            user = get_access().user_for_token(digest(token.strip()))
            if user is not None and user.active:
                g.user = User(user.id, user.name, user.role, via="token")
        return
    if isinstance(session, ServerSession) and session.record is not None:
        record = session.record
        g.user = User(record.user.id, record.user.name, record.user.role, "session", record.id)


# --- CSRF ------------------------------------------------------------------------------------


def csrf_token() -> str:
    """The token forms must send: the session's, or before sign-in a pre-session HMAC."""
    from flask import current_app, session

    if isinstance(session, ServerSession) and session.record is not None:
        return session.record.csrf_token
    pre = g.get("_pre_cookie") or request.cookies.get(PRE_COOKIE, "")
    if not pre:
        pre = secrets.token_urlsafe(32)
        g._pre_cookie_new = pre
    g._pre_cookie = pre
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, pre.encode(), hashlib.sha256).hexdigest()


def csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(csrf_token())


def check_csrf() -> None:
    """before_request: refuse a state-changing request without the right token."""
    if request.method not in UNSAFE:
        return
    user = g.get("user")
    if isinstance(user, User) and user.via == "token":
        return  # bearer-token API call: no cookie involved, nothing to forge
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    if not sent or not hmac.compare_digest(sent.encode(), csrf_token().encode()):
        log.info("CSRF token missing or wrong on %s", request.endpoint)
        raise BadRequest("The form expired or did not come from this site. Reload and try again.")


# --- headers ---------------------------------------------------------------------------------


def add_headers(response: Response) -> Response:
    """after_request: security headers everywhere; no-store except on static files."""
    from flask import current_app

    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    settings: Settings = current_app.config["CHARTROOM_SETTINGS"]
    if settings.web_secure_cookies:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    if request.endpoint == "static":
        response.headers["Cache-Control"] = "private, max-age=3600"
    else:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    fresh_pre = g.get("_pre_cookie_new")
    if fresh_pre:
        set_cookie(response, PRE_COOKIE, fresh_pre, settings)
    return response
