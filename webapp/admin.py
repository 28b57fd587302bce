"""Administration: users (create, disable/enable, change role) and restricted documents
(a document type or a patient marked restricted: only `web_restricted_roles` see them).

Disabling a user revokes their sessions and API tokens on the server at once.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from chartroom.errors import InvalidRequest, RecordNotFound
from webapp import security
from webapp.access import ROLE_LABELS, ROLES, current_user, permission
from webapp.audit import audit
from webapp.passwords import hash_password
from webapp.stores import get_access, get_settings, get_store

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

NAME = re.compile(r"^[A-Za-z0-9._@-]{2,100}$")


def valid_name(name: str) -> str:
    if not NAME.match(name):
        raise InvalidRequest("a user name has 2-100 letters, digits, '.', '_', '@' or '-'")
    return name


@bp.get("/users")
@permission("users")
def users() -> str:
    return render_template(
        "admin/users.html", users=get_access().users(), roles=ROLES, labels=ROLE_LABELS, error=""
    )


@bp.post("/users")
@permission("users")
def create_user() -> tuple[str, int] | Response:
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    password = request.form.get("password", "")
    try:
        if role not in ROLES:
            raise InvalidRequest("choose a role")
        user = get_access().create_user(
            valid_name(name), role, hash_password(password), security.now()
        )
    except InvalidRequest as exc:
        page = render_template(
            "admin/users.html",
            users=get_access().users(),
            roles=ROLES,
            labels=ROLE_LABELS,
            error=exc.message,
        )
        return page, 400
    audit("user.create", detail={"user_id": user.id, "role": role})
    flash("User created.", "ok")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>")
@permission("users")
def update_user(user_id: int) -> Response:
    access = get_access()
    target = access.user(user_id)
    if target is None:
        raise RecordNotFound("no such user")
    role = request.form.get("role") or None
    action = request.form.get("action", "")
    if role is not None and role not in ROLES:
        raise InvalidRequest("choose a role")
    active = {"disable": False, "enable": True}.get(action)
    if user_id == current_user().id and (active is False or (role and role != "admin")):
        flash("You cannot disable yourself or give up your own administrator role.", "error")
        return redirect(url_for("admin.users"))
    if role == target.role:
        role = None
    if role is None and active is None:
        return redirect(url_for("admin.users"))
    access.update_user(user_id, security.now(), role=role, active=active)
    detail: dict[str, object] = {"user_id": user_id}
    if role:
        detail["role"] = role
    if active is not None:
        detail["active"] = active
    audit("user.update", detail=detail)
    flash("User changed.", "ok")
    return redirect(url_for("admin.users"))


@bp.get("/restrictions")
@permission("settings")
def restrictions() -> str:
    items = get_access().restrictions()
    return render_template(
        "admin/restrictions.html", items=items, roles=get_settings().web_restricted_roles, error=""
    )


@bp.post("/restrictions")
@permission("settings")
def change_restriction() -> tuple[str, int] | Response:
    kind = request.form.get("kind", "")
    value = request.form.get("value", "").strip()
    remove = request.form.get("action") == "remove"
    access = get_access()
    error = ""
    if kind == "patient" and not remove:
        patient = get_store().patient_by_mrn(value)
        if patient is None or patient.id is None:
            error = "No patient with this MRN in the master patient index."
        else:
            value = str(patient.id)
    elif kind == "type" and not re.fullmatch(r"[a-z0-9_]{1,40}", value):
        error = "A document type is a word like psychiatric_note."
    elif kind not in ("type", "patient"):
        error = "Choose a document type or a patient."
    if error:
        page = render_template(
            "admin/restrictions.html",
            items=access.restrictions(),
            roles=get_settings().web_restricted_roles,
            error=error,
        )
        return page, 400
    if remove:
        access.unrestrict(kind, value)
        audit("restriction.remove", detail={"kind": kind, "value": value})
    else:
        access.restrict(kind, value, current_user().name, security.now())
        audit("restriction.add", detail={"kind": kind, "value": value})
    flash("Restrictions changed.", "ok")
    return redirect(url_for("admin.restrictions"))
