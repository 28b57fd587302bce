"""Web access persistence: users, sessions, API tokens, login throttling, restrictions,
break-glass grants and the audit log (tables from migration 0002).

    access = AccessStore(settings)            # opens (and migrates) the same database
    user = access.create_user("ana", "clerk", password_hash)

Secrets never reach the database in the clear: sessions and tokens are stored as SHA-256 of
the random value the client holds; passwords as Argon2id hashes made by the web app. Times
are passed in by the caller (the web app's clock), so tests can move time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from chartroom.errors import InvalidRequest, RecordNotFound
from chartroom.settings import Settings
from records import audit_log, db
from records.access_schema import (
    BreakGlassRow,
    LoginFailureRow,
    RestrictionRow,
    SessionRow,
    TokenRow,
    UserRow,
)
from records.access_types import Grant, SessionRecord, UserRecord
from records.audit_log import AuditEntry, AuditFilter
from records.schema import Document

log = logging.getLogger(__name__)

T = TypeVar("T")
__all__ = ["AccessStore", "AuditEntry", "AuditFilter", "Grant", "SessionRecord", "UserRecord"]


def _user(row: UserRow) -> UserRecord:
    return UserRecord(row.id, row.name, row.role, row.active, row.password_hash, row.created_at)


class AccessStore:
    """Users, sessions, tokens, throttling, restrictions, break-glass and audit rows."""

    def __init__(self, settings: Settings, *, engine: Engine | None = None) -> None:
        self.settings = settings
        self._own = engine is None
        self._engine = engine or db.create(settings)
        if self._own:
            try:
                db.migrate(self._engine)
            except BaseException:
                self._engine.dispose()
                raise

    def close(self) -> None:
        if self._own:
            self._engine.dispose()

    def _write(self, fn: Callable[[Session], T], *, what: str) -> T:
        def attempt() -> T:
            conn = self._engine.connect().execution_options(**{db.WRITE: True})
            with conn, Session(bind=conn, expire_on_commit=False) as session, session.begin():
                return fn(session)

        return db.with_retries(attempt, what=what)

    def _run(self, fn: Callable[[Session], T], *, what: str) -> T:
        def attempt() -> T:
            with Session(self._engine) as session, session.begin():
                return fn(session)

        return db.with_retries(attempt, what=what)

    # --- users -------------------------------------------------------------------------------

    def create_user(self, name: str, role: str, password_hash: str, now: datetime) -> UserRecord:
        def write(s: Session) -> UserRecord:
            if s.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
                raise InvalidRequest("a user with this name exists already")
            row = UserRow(
                name=name,
                role=role,
                password_hash=password_hash,
                active=True,
                created_at=now,
                updated_at=now,
            )
            s.add(row)
            s.flush()
            return _user(row)

        user = self._write(write, what="create_user")
        log.info("user %d created with role %s", user.id, role)
        return user

    def user_by_name(self, name: str) -> UserRecord | None:
        def read(s: Session) -> UserRecord | None:
            row = s.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            return None if row is None else _user(row)

        return self._run(read, what="user_by_name")

    def user(self, user_id: int) -> UserRecord | None:
        def read(s: Session) -> UserRecord | None:
            row = s.get(UserRow, user_id)
            return None if row is None else _user(row)

        return self._run(read, what="user")

    def users(self) -> list[UserRecord]:
        def read(s: Session) -> list[UserRecord]:
            return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]

        return self._run(read, what="users")

    def update_user(
        self,
        user_id: int,
        now: datetime,
        *,
        role: str | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
    ) -> UserRecord:
        """Change a user; disabling (or a new password) revokes their sessions and tokens."""

        def write(s: Session) -> UserRecord:
            row = s.get(UserRow, user_id)
            if row is None:
                raise RecordNotFound("no such user")
            if role is not None:
                row.role = role
            if password_hash is not None:
                row.password_hash = password_hash
            if active is not None:
                row.active = active
            row.updated_at = now
            if active is False or password_hash is not None or role is not None:
                _revoke_user(s, user_id, now, tokens=active is False)
            return _user(row)

        return self._write(write, what="update_user")

    # --- sessions ----------------------------------------------------------------------------

    def create_session(
        self, token_hash: str, user_id: int, csrf_token: str, address: str, now: datetime
    ) -> int:
        def write(s: Session) -> int:
            row = SessionRow(
                token_hash=token_hash,
                user_id=user_id,
                csrf_token=csrf_token,
                data={},
                address=address[:64],
                created_at=now,
                last_seen=now,
            )
            s.add(row)
            s.flush()
            return row.id

        return self._write(write, what="create_session")

    def session(self, token_hash: str) -> SessionRecord | None:
        def read(s: Session) -> SessionRecord | None:
            found = s.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.token_hash == token_hash)
            ).first()
            if found is None:
                return None
            row, user = found
            return SessionRecord(
                id=row.id,
                user=_user(user),
                csrf_token=row.csrf_token,
                data=dict(row.data or {}),
                created_at=row.created_at,
                last_seen=row.last_seen,
                revoked=row.revoked_at is not None,
            )

        return self._run(read, what="session")

    def touch_session(
        self, session_id: int, now: datetime, data: dict[str, Any] | None = None
    ) -> None:
        values: dict[str, Any] = {"last_seen": now}
        if data is not None:
            values["data"] = data
        self._write(
            lambda s: s.execute(
                update(SessionRow).where(SessionRow.id == session_id).values(values)
            ),
            what="touch_session",
        )

    def revoke_session(self, session_id: int, now: datetime) -> None:
        stmt = (
            update(SessionRow)
            .where(SessionRow.id == session_id, SessionRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        self._write(lambda s: s.execute(stmt), what="revoke_session")

    # --- API tokens --------------------------------------------------------------------------

    def create_token(self, user_id: int, token_hash: str, now: datetime) -> int:
        def write(s: Session) -> int:
            row = TokenRow(token_hash=token_hash, user_id=user_id, created_at=now)
            s.add(row)
            s.flush()
            return row.id

        return self._write(write, what="create_token")

    def user_for_token(self, token_hash: str) -> UserRecord | None:
        def read(s: Session) -> UserRecord | None:
            row = s.scalars(
                select(UserRow)
                .join(TokenRow, TokenRow.user_id == UserRow.id)
                .where(TokenRow.token_hash == token_hash, TokenRow.revoked_at.is_(None))
            ).one_or_none()
            return None if row is None else _user(row)

        return self._run(read, what="user_for_token")

    # --- login throttling --------------------------------------------------------------------

    def record_login_failure(self, account: str, address: str, now: datetime) -> None:
        row = LoginFailureRow(account=account[:100], address=address[:64], at=now)
        self._write(lambda s: s.add(row), what="login_failure")

    def login_failures(self, account: str, address: str, since: datetime) -> tuple[int, int]:
        """Failures since `since` for this account name and for this address."""

        def read(s: Session) -> tuple[int, int]:
            recent = LoginFailureRow.at >= since
            by_account = select(func.count()).where(recent, LoginFailureRow.account == account)
            by_address = select(func.count()).where(recent, LoginFailureRow.address == address)
            return int(s.scalar(by_account) or 0), int(s.scalar(by_address) or 0)

        return self._run(read, what="login_failures")

    def forget_login_failures(self, before: datetime) -> None:
        stmt = delete(LoginFailureRow).where(LoginFailureRow.at < before)
        self._write(lambda s: s.execute(stmt), what="forget_login_failures")

    # --- restrictions ------------------------------------------------------------------------

    def restrictions(self) -> list[tuple[str, str]]:
        """(kind, value) pairs: ("type", "psychiatric_note"), ("patient", "42")."""

        def read(s: Session) -> list[tuple[str, str]]:
            rows = s.execute(select(RestrictionRow.kind, RestrictionRow.value).order_by("id"))
            return [(kind, value) for kind, value in rows]

        return self._run(read, what="restrictions")

    def restrict(self, kind: str, value: str, by: str, now: datetime) -> None:
        if kind not in ("type", "patient"):
            raise InvalidRequest("a restriction is on a document type or a patient")

        def write(s: Session) -> None:
            exists = select(RestrictionRow.id).where(
                RestrictionRow.kind == kind, RestrictionRow.value == value
            )
            if s.scalar(exists) is None:
                s.add(RestrictionRow(kind=kind, value=value, created_at=now, created_by=by))

        self._write(write, what="restrict")

    def unrestrict(self, kind: str, value: str) -> None:
        stmt = delete(RestrictionRow).where(
            RestrictionRow.kind == kind, RestrictionRow.value == value
        )
        self._write(lambda s: s.execute(stmt), what="unrestrict")

    def visible_document_ids(
        self, hidden_types: frozenset[str], hidden_patients: frozenset[int]
    ) -> frozenset[int]:
        """Every document whose type and patient are not hidden."""

        def read(s: Session) -> frozenset[int]:
            stmt = select(Document.id)
            if hidden_types:
                stmt = stmt.where(Document.document_type.not_in(hidden_types))
            if hidden_patients:
                stmt = stmt.where(
                    Document.patient_id.is_(None) | Document.patient_id.not_in(hidden_patients)
                )
            return frozenset(s.scalars(stmt))

        return self._run(read, what="visible_documents")

    # --- break the glass ---------------------------------------------------------------------

    def grant(
        self,
        user_id: int,
        reason: str,
        now: datetime,
        expires_at: datetime,
        *,
        document_id: int | None = None,
        patient_id: int | None = None,
        audit: AuditEntry | None = None,
    ) -> int:
        """A break-the-glass grant, written in one transaction with its audit row."""
        if (document_id is None) == (patient_id is None):
            raise InvalidRequest("emergency access is to one document or one patient")

        def write(s: Session) -> int:
            row = BreakGlassRow(
                user_id=user_id,
                document_id=document_id,
                patient_id=patient_id,
                reason=reason,
                granted_at=now,
                expires_at=expires_at,
            )
            s.add(row)
            s.flush()
            if audit is not None:
                audit_log.append(s, audit)
            return row.id

        return self._write(write, what="break_glass")

    def active_grants(self, user_id: int, now: datetime) -> list[Grant]:
        def read(s: Session) -> list[Grant]:
            rows = s.scalars(
                select(BreakGlassRow).where(
                    BreakGlassRow.user_id == user_id, BreakGlassRow.expires_at > now
                )
            )
            return [
                Grant(
                    r.id,
                    r.user_id,
                    r.document_id,
                    r.patient_id,
                    r.reason,
                    r.granted_at,
                    r.expires_at,
                )
                for r in rows
            ]

        return self._run(read, what="active_grants")

    # --- audit log ---------------------------------------------------------------------------

    def append_audit(self, entry: AuditEntry) -> int:
        return self._write(lambda s: audit_log.append(s, entry), what="audit")

    def audit_entries(
        self, where: AuditFilter | None = None, *, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        flt = where or AuditFilter()
        return self._run(lambda s: audit_log.query(s, flt, limit, offset), what="audit_query")

    def verify_audit(self) -> tuple[int, list[str]]:
        """(rows checked, problems) for the whole hash chain."""

        def batches() -> Iterator[list[tuple[AuditEntry, str]]]:
            after = 0
            while True:
                batch = self._run(
                    partial(audit_log.rows_after, after_id=after, batch=1000), what="audit_verify"
                )
                yield batch
                if len(batch) < 1000:
                    return
                after = batch[-1][0].id

        return audit_log.verify(batches())


def _revoke_user(s: Session, user_id: int, now: datetime, *, tokens: bool) -> None:
    s.execute(
        update(SessionRow)
        .where(SessionRow.user_id == user_id, SessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if tokens:
        s.execute(
            update(TokenRow)
            .where(TokenRow.user_id == user_id, TokenRow.revoked_at.is_(None))
            .values(revoked_at=now)
        )
