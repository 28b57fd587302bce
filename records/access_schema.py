"""The web app's tables: users, sessions, API tokens, login failures, restrictions, break-glass
grants and the hash-chained audit log (migration 0002).

Imported at the end of records/schema.py so these classes share `Base.metadata` (the test that
compares the ORM classes with the migrations sees them). Only records/ imports this module.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from records.schema import ID, Base


class UserRow(Base):
    """A person who signs in to the web app. The password is an Argon2id hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class SessionRow(Base):
    """A signed-in browser session. The cookie holds a random id; only its SHA-256 is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ID, ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class TokenRow(Base):
    """An API bearer token (stored as its SHA-256)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ID, ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginFailureRow(Base):
    """One failed sign-in, for throttling per account and per address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    account: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class RestrictionRow(Base):
    """A restricted document type (kind "type") or patient (kind "patient", value = its id)."""

    __tablename__ = "restrictions"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("kind", "value"),)


class BreakGlassRow(Base):
    """Emergency access of one user to one document or patient, until `expires_at`."""

    __tablename__ = "break_glass"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    user_id: Mapped[int] = mapped_column(ID, ForeignKey("users.id"), index=True)
    document_id: Mapped[int | None] = mapped_column(ID)
    patient_id: Mapped[int | None] = mapped_column(ID)
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class AuditRow(Base):
    """Append-only (triggers refuse UPDATE and DELETE); row_hash = H(prev_hash + canonical row)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ID)
    user_name: Mapped[str] = mapped_column(String(100), index=True)
    role: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(64), index=True)
    document_id: Mapped[int | None] = mapped_column(ID, index=True)
    patient_id: Mapped[int | None] = mapped_column(ID, index=True)
    address: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))
