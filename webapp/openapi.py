"""The OpenAPI 3.1 description of the JSON API (served at /api/v1/openapi.json).

A test checks that every `/api/v1/` route of the app is described here and nothing else is.
"""

from __future__ import annotations

from typing import Any

JSON = "application/json"
ERROR = {"$ref": "#/components/responses/Error"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _op(
    summary: str,
    *,
    tag: str,
    permission: str,
    body: dict[str, Any] | None = None,
    ok: dict[str, Any] | None = None,
    media: str = JSON,
    params: tuple[str, ...] = (),
    query: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "description": f"Needs the `{permission}` permission.",
        "responses": {
            "200": {
                "description": "OK",
                "content": {media: {"schema": ok or {"type": "object"}}},
            },
            "400": ERROR,
            "401": ERROR,
            "403": ERROR,
            "404": ERROR,
            "409": ERROR,
            "503": ERROR,
        },
    }
    parameters = [
        {"name": p, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
        for p in params
    ]
    parameters += [{"name": n, "in": "query", "schema": {"type": t}} for n, t in query]
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": body}}}
    return op


def _obj(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


STR = {"type": "string"}
INT = {"type": "integer", "minimum": 1}
REASON = {"type": "string", "minLength": 1, "maxLength": 2000}
DOC = ("document_id",)
PAGE = ("document_id", "number")
LIST = (("limit", "integer"), ("offset", "integer"))


def _paths() -> dict[str, dict[str, Any]]:
    search_body = _obj(
        query=STR,
        patient=STR,
        type=STR,
        date_from={"type": "string", "format": "date"},
        date_to={"type": "string", "format": "date"},
        diagnosis=STR,
        page=INT,
        page_size={"type": "integer", "minimum": 1, "maximum": 100},
        sort={"enum": ["relevance", "date"]},
    )
    filing = _obj(("patient_id", "reason"), patient_id=INT, reason=REASON)
    return {
        "/api/v1/openapi.json": {
            "get": _op("This description", tag="meta", permission="signed_in")
        },
        "/api/v1/search": {
            "post": _op(
                "Search pages (query language + filters), with facets and paging",
                tag="search",
                permission="search",
                body=search_body,
                ok=_ref("Results"),
            )
        },
        "/api/v1/documents/{document_id}": {
            "get": _op(
                "A document: dates, pages, findings", tag="documents", permission="view", params=DOC
            )
        },
        "/api/v1/documents/{document_id}/pages/{number}": {
            "get": _op(
                "A page: OCR text and word boxes", tag="documents", permission="view", params=PAGE
            )
        },
        "/api/v1/documents/{document_id}/pages/{number}/image": {
            "get": _op(
                "A page image (JPEG)",
                tag="documents",
                permission="view",
                params=PAGE,
                media="image/jpeg",
                ok={"type": "string", "contentMediaType": "image/jpeg"},
            )
        },
        "/api/v1/documents/{document_id}/download/pdf": {
            "get": _op(
                "The searchable PDF (attachment)",
                tag="documents",
                permission="view",
                params=DOC,
                media="application/pdf",
                ok={"type": "string"},
            )
        },
        "/api/v1/documents/{document_id}/download/original": {
            "get": _op(
                "The document's original pages (attachment)",
                tag="documents",
                permission="view",
                params=DOC,
                media="application/octet-stream",
                ok={"type": "string"},
            )
        },
        "/api/v1/patients/search": {
            "post": _op(
                "Master patient index search",
                tag="patients",
                permission="patients",
                body=_obj(("text",), text=STR),
            )
        },
        "/api/v1/patients/{patient_id}": {
            "get": _op(
                "A patient's chart: documents and diagnosis summary",
                tag="patients",
                permission="view",
                params=("patient_id",),
            )
        },
        "/api/v1/queue": {
            "get": _op(
                "The unfiled queue, oldest first", tag="filing", permission="file", query=LIST
            )
        },
        "/api/v1/documents/{document_id}/file": {
            "post": _op(
                "File an unfiled document", tag="filing", permission="file", params=DOC, body=filing
            )
        },
        "/api/v1/documents/{document_id}/refile": {
            "post": _op(
                "Re-file to another patient",
                tag="filing",
                permission="refile",
                params=DOC,
                body=filing,
            )
        },
        "/api/v1/documents/{document_id}/unfile": {
            "post": _op(
                "Back to the unfiled queue",
                tag="filing",
                permission="refile",
                params=DOC,
                body=_obj(("reason",), reason=REASON),
            )
        },
        "/api/v1/documents/{document_id}/split": {
            "post": _op(
                "Split at a page (the rest goes to the queue)",
                tag="filing",
                permission="split_merge",
                params=DOC,
                body=_obj(("at_page", "reason"), at_page=INT, reason=REASON),
            )
        },
        "/api/v1/documents/{document_id}/merge": {
            "post": _op(
                "Merge with the adjacent document of the same scan",
                tag="filing",
                permission="split_merge",
                params=DOC,
                body=_obj(("other_document_id", "reason"), other_document_id=INT, reason=REASON),
            )
        },
        "/api/v1/audit": {
            "get": _op(
                "Audit log rows, newest first",
                tag="audit",
                permission="audit",
                query=(
                    ("user", "string"),
                    ("action", "string"),
                    ("document_id", "integer"),
                    ("patient_id", "integer"),
                    ("start", "string"),
                    ("end", "string"),
                    *LIST,
                ),
            )
        },
    }


def openapi_document() -> dict[str, Any]:
    hit = _obj(
        document_id=INT,
        page=INT,
        page_count=INT,
        score={"type": "number"},
        snippet={"type": "string", "description": "escaped HTML; hit words in <mark>"},
        patient={"type": ["object", "null"]},
        document_type=STR,
        dates={"type": "object"},
        filed={"type": "boolean"},
        low_confidence={"type": "boolean"},
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "chartroom",
            "version": "1",
            "description": "Search, view and file scanned medical records. Every call is audited.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `chartroom users token NAME`.",
                }
            },
            "schemas": {
                "Error": _obj(("error",), error=_obj(("type", "message"), type=STR, message=STR)),
                "Hit": hit,
                "Results": _obj(
                    total={"type": "integer"},
                    page=INT,
                    page_size=INT,
                    sort=STR,
                    hits={"type": "array", "items": _ref("Hit")},
                    facets={"type": "object"},
                ),
            },
            "responses": {
                "Error": {
                    "description": "The one error shape of the API",
                    "content": {JSON: {"schema": _ref("Error")}},
                }
            },
        },
    }
