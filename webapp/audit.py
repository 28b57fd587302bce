"""`audit(...)`: one row in the hash-chained, append-only audit log for every access.

    audit("document.view", document_id=doc.id, patient_id=doc.patient_id)

Who (the signed-in user), when, from which address, what. When the row cannot be written,
`AuditUnavailable` is raised and the caller must not serve the data: the error handler
answers 503. `detail` holds ids, counts and reasons - never OCR text or patient names.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g, has_request_context, request

from chartroom.errors import AuditUnavailable, ChartroomError
from records.audit_log import AuditEntry
from webapp import security
from webapp.access import User
from webapp.stores import get_access

log = logging.getLogger(__name__)

ACTIONS = frozenset(
    {
        "search",
        "document.view",
        "page.view",
        "download.original",
        "download.pdf",
        "document.file",
        "document.refile",
        "document.unfile",
        "document.split",
        "document.merge",
        "patient.view",
        "patient.search",
        "roster.import",
        "break_glass",
        "login",
        "logout",
        "login.failed",
        "denied",
        "audit.view",
        "audit.report",
        "user.create",
        "user.update",
        "restriction.add",
        "restriction.remove",
    }
)


def audit(
    action: str,
    *,
    document_id: int | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    user: User | None = None,
    user_name: str | None = None,
) -> int:
    """Write one audit row; returns its id. Raises AuditUnavailable when it cannot."""
    if action not in ACTIONS and not action.startswith("user."):
        raise ValueError(f"unknown audit action {action!r}")
    entry = build_entry(action, document_id, patient_id, detail, user, user_name)
    try:
        row_id = get_access().append_audit(entry)
    except (ChartroomError, OSError) as exc:
        log.error("audit row for %s could not be written: %s", action, type(exc).__name__)
        raise AuditUnavailable("the access could not be recorded, so it was refused") from exc
    log.debug("audit %d: %s", row_id, action)
    return row_id


def build_entry(
    action: str,
    document_id: int | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    user: User | None = None,
    user_name: str | None = None,
) -> AuditEntry:
    who = user or (g.get("user") if has_request_context() else None)
    address = client_address() if has_request_context() else "cli"
    return AuditEntry(
        at=security.now(),
        user_id=who.id if isinstance(who, User) else None,
        user_name=(user_name or (who.name if isinstance(who, User) else "-"))[:100],
        role=who.role if isinstance(who, User) else "",
        action=action,
        document_id=document_id,
        patient_id=patient_id,
        address=address,
        detail=dict(detail or {}),
    )


def client_address() -> str:
    """The client's address (ProxyFix applies X-Forwarded-For from trusted proxies only)."""
    return (request.remote_addr or "-")[:64]
