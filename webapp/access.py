"""Who may do what: roles, permissions, the signed-in user, and what documents they may see.

Every view function carries `@permission("...")`; `enforce` (a before_request hook installed by
create_app) checks it for every endpoint in one place, and refuses endpoints without one.
Documents and patients a user may not see are answered 404 (never 403, which would confirm
that they exist) and audited as "denied": use `require_document` / `require_patient`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NoReturn, TypeVar

from flask import abort, current_app, g, redirect, request, url_for
from werkzeug.exceptions import Forbidden, Unauthorized
from werkzeug.wrappers import Response

from indexer.index_query import Restriction
from records.charts import DiagnosisSeen, DocumentInfo
from records.types import PatientRecord, StoredDocument

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

ROLES = ("clerk", "records", "auditor", "admin")
ROLE_LABELS = {
    "clerk": "Clerk",
    "records": "Records staff",
    "auditor": "Auditor",
    "admin": "Administrator",
}
PUBLIC = "public"  # the sign-in page and static files
SIGNED_IN = "signed_in"  # any signed-in user (home page, sign out)
_CLERK = frozenset({"search", "view", "file", "break_glass"})
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "clerk": _CLERK,
    "records": _CLERK | {"refile", "split_merge", "patients", "roster_import", "reports"},
    "auditor": frozenset({"audit", "reports"}),
    "admin": frozenset({"users", "settings", "audit"}),
}
PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values()) | {PUBLIC, SIGNED_IN}
ATTRIBUTE = "_chartroom_permission"


def permission(name: str) -> Callable[[F], F]:
    """Mark a view function with the permission it needs (checked by `enforce`)."""
    if name not in PERMISSIONS:
        raise ValueError(f"unknown permission {name!r}")

    def mark(view: F) -> F:
        setattr(view, ATTRIBUTE, name)
        return view

    return mark


def endpoint_permission(endpoint: str) -> str | None:
    view = current_app.view_functions.get(endpoint)
    return None if view is None else getattr(view, ATTRIBUTE, None)


@dataclass(frozen=True)
class User:
    """The signed-in user of this request (`via`: "session" or "token")."""

    id: int
    name: str
    role: str
    via: str = "session"
    session_id: int | None = None

    def can(self, name: str) -> bool:
        return name in (PUBLIC, SIGNED_IN) or name in ROLE_PERMISSIONS.get(self.role, frozenset())

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)


def signed_in_user() -> User | None:
    user = g.get("user")
    return user if isinstance(user, User) else None


def current_user() -> User:
    """The signed-in user; Unauthorized if none (never happens behind `enforce`)."""
    user = signed_in_user()
    if user is None:
        raise Unauthorized()
    return user


def is_api() -> bool:
    return request.path.startswith("/api/")


def enforce() -> Response | None:
    """before_request: the endpoint's permission against the signed-in user (one place)."""
    endpoint = request.endpoint
    if endpoint is None:  # no route matched: the 404/405 handlers answer
        return None
    needed = endpoint_permission(endpoint)
    if needed is None:
        log.error("endpoint %s has no permission rule: refused", endpoint)
        raise Forbidden("This page has no access rule.")
    if needed == PUBLIC:
        return None
    user = signed_in_user()
    if user is None:
        if is_api() or request.method not in ("GET", "HEAD"):
            raise Unauthorized("Sign in first.")
        return redirect(url_for("auth.login"))
    if not user.can(needed):
        _audit_denied(endpoint, needed)
        raise Forbidden("Your role does not allow this.")
    return None


def _audit_denied(endpoint: str, needed: str) -> None:
    from webapp.audit import audit

    audit("denied", detail={"endpoint": endpoint, "permission": needed})


# --- restricted documents ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What one user may see. Unrestricted when nothing is hidden from their role."""

    hidden_types: frozenset[str] = frozenset()
    hidden_patients: frozenset[int] = frozenset()
    granted_documents: frozenset[int] = frozenset()  # break-the-glass grants
    granted_patients: frozenset[int] = frozenset()
    visible_ids: Callable[[], frozenset[int]] | None = field(default=None, compare=False)

    @property
    def unrestricted(self) -> bool:
        return not self.hidden_types and not self.hidden_patients

    def allows(self, document_id: int, patient_id: int | None, document_type: str) -> bool:
        if document_id in self.granted_documents:
            return True
        if patient_id is not None and patient_id in self.granted_patients:
            return True
        if document_type in self.hidden_types:
            return False
        return patient_id is None or patient_id not in self.hidden_patients

    def allows_document(self, document: StoredDocument) -> bool:
        return self.allows(document.id, document.patient_id, document.document_type)

    def allows_patient(self, patient_id: int) -> bool:
        return patient_id in self.granted_patients or patient_id not in self.hidden_patients

    @cached_property
    def restriction(self) -> Restriction | None:
        """For `Search.search(restriction=...)`: None when unrestricted."""
        if self.unrestricted:
            return None
        ids = self.visible_ids() if self.visible_ids else frozenset()
        return Restriction(documents=ids | self.granted_documents, patients=self.granted_patients)


def visible_scope(user: User | None = None) -> Scope:
    """The scope of `user` (default: the signed-in user), cached for the request."""
    from webapp import security
    from webapp.stores import get_access

    user = user or current_user()
    cache: dict[int, Scope] = g.setdefault("_scopes", {})
    if user.id in cache:
        return cache[user.id]
    access = get_access()
    restricted_roles = set(current_app.config["CHARTROOM_SETTINGS"].web_restricted_roles)
    hidden_types: set[str] = set()
    hidden_patients: set[int] = set()
    if user.role not in restricted_roles:
        for kind, value in access.restrictions():
            if kind == "type":
                hidden_types.add(value)
            elif kind == "patient" and value.isdigit():
                hidden_patients.add(int(value))
    grants = (
        access.active_grants(user.id, security.now()) if hidden_types or hidden_patients else []
    )
    types, patients = frozenset(hidden_types), frozenset(hidden_patients)
    scope = Scope(
        hidden_types=types,
        hidden_patients=patients,
        granted_documents=frozenset(x.document_id for x in grants if x.document_id is not None),
        granted_patients=frozenset(x.patient_id for x in grants if x.patient_id is not None),
        visible_ids=lambda: access.visible_document_ids(types, patients),
    )
    cache[user.id] = scope
    return scope


def can_view_document(user: User, document_id: int) -> bool:
    from webapp.stores import get_store

    if not user.can("view"):
        return False
    document = get_store().document(document_id)
    return document is not None and visible_scope(user).allows_document(document)


def can_view_patient(user: User, patient_id: int) -> bool:
    from webapp.stores import get_store

    if not user.can("view"):
        return False
    return get_store().patient(patient_id) is not None and visible_scope(user).allows_patient(
        patient_id
    )


def deny(*, document_id: int | None = None, patient_id: int | None = None) -> NoReturn:
    """Audit a refused access and answer 404 (the same as for an id that does not exist)."""
    from webapp.audit import audit

    audit(
        "denied",
        document_id=document_id,
        patient_id=patient_id,
        detail={"endpoint": request.endpoint or ""},
    )
    abort(404)


def require_document(document_id: int) -> StoredDocument:
    """The document if the signed-in user may see it; else audited 404."""
    from webapp.stores import get_store

    document = get_store().document(document_id)
    if document is None or not visible_scope().allows_document(document):
        deny(document_id=document_id)
    return document


def require_patient(patient_id: int) -> PatientRecord:
    """The patient if the signed-in user may see them; else audited 404."""
    from webapp.stores import get_store

    patient = get_store().patient(patient_id)
    if patient is None or not visible_scope().allows_patient(patient_id):
        deny(patient_id=patient_id)
    return patient


@dataclass(frozen=True)
class VisibleChart:
    """A patient's chart as the signed-in user may see it (web page and API alike)."""

    patient: PatientRecord
    documents: list[DocumentInfo]
    summary: list[DiagnosisSeen]

    @property
    def document_ids(self) -> list[int]:
        return sorted(d.id for d in self.documents)


def visible_chart(patient_id: int) -> VisibleChart:
    """The patient (else audited 404), the documents of theirs this user may see, and the
    diagnosis summary of those documents only."""
    from records import charts
    from webapp.stores import get_store

    patient = require_patient(patient_id)
    store, scope = get_store(), visible_scope()
    documents = [
        d
        for d in charts.patient_documents(store, patient_id)
        if scope.allows(d.id, d.patient_id, d.document_type)
    ]
    allowed = {d.id for d in documents}
    summary = charts.diagnosis_summary(store, patient_id, document_ids=allowed)
    return VisibleChart(patient, documents, summary)
