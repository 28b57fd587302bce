"""Plain records for web access (users, sessions, break-glass grants) crossing records/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    role: str
    active: bool
    password_hash: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class SessionRecord:
    id: int
    user: UserRecord
    csrf_token: str
    data: dict[str, Any]
    created_at: datetime
    last_seen: datetime
    revoked: bool


@dataclass(frozen=True)
class Grant:
    """An active break-the-glass grant."""

    id: int
    user_id: int
    document_id: int | None
    patient_id: int | None
    reason: str
    granted_at: datetime
    expires_at: datetime
