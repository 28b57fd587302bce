"""Error answers without tracebacks: HTML pages, and under /api/ one JSON shape
`{"error": {"type": ..., "message": ...}}`. Unexpected exceptions are logged by type only."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from chartroom.errors import (
    AuditUnavailable,
    ChartroomError,
    DatabaseBusy,
    IndexBusy,
    IndexUnavailable,
    InvalidRequest,
    QueryError,
    RecordNotFound,
    StorageFull,
)

log = logging.getLogger(__name__)

STATUS: dict[type[ChartroomError], int] = {
    RecordNotFound: 404,
    InvalidRequest: 409,
    QueryError: 400,
    AuditUnavailable: 503,
    DatabaseBusy: 503,
    IndexBusy: 503,
    IndexUnavailable: 503,
    StorageFull: 507,
}


def status_for(exc: ChartroomError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 500


def answer(status: int, type_name: str, message: str) -> Response:
    """The error as JSON under /api/, else the error page."""
    response: Response
    if request.path.startswith("/api/"):
        response = jsonify({"error": {"type": type_name, "message": message}})
    else:
        body = render_template(
            "errors/error.html", status=status, title=_title(status), message=message
        )
        response = Response(body, mimetype="text/html")
    response.status_code = status
    return response


def _title(status: int) -> str:
    return {
        400: "Bad request",
        401: "Sign in first",
        403: "Not allowed",
        404: "Not found",
        405: "Not allowed",
        409: "Conflict",
        413: "Too large",
        429: "Too many attempts",
        503: "Unavailable",
    }.get(status, "Something went wrong")


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if isinstance(exc, InternalServerError):
            message = "The server could not answer. The error was logged."
        elif status == 404:
            message = "There is nothing here, or you may not see it."
        else:
            message = exc.description or _title(status)
        response = answer(status, type(exc).__name__, message)
        if status == 401 and request.path.startswith("/api/"):
            response.headers["WWW-Authenticate"] = 'Bearer realm="chartroom"'
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(ChartroomError)
    def chartroom_error(exc: ChartroomError) -> Response:
        status = status_for(exc)
        log.warning("%s on %s: answered %d", exc.type_name, request.endpoint, status)
        if status == 404:
            return answer(404, "NotFound", "There is nothing here, or you may not see it.")
        return answer(status, exc.type_name, str(exc))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        # Type and endpoint only: messages of library exceptions may carry PHI.
        log.error("unexpected %s on %s", type(exc).__name__, request.endpoint)
        return answer(500, "InternalServerError", "The server could not answer. It was logged.")
