"""Opening the database: engine, SQLite settings, migrations, retries and error translation.

SQLite (the embedded default at HOME/chartroom.db) runs in WAL mode with foreign keys on, a busy
timeout, and `BEGIN IMMEDIATE` for write transactions (so two writers queue on the busy timeout
instead of failing on a lock upgrade). PostgreSQL comes from CHARTROOM_DATABASE_URL.
Database exceptions never reach the caller: they become `DatabaseBusy` or `DatabaseError`, with
no SQL, parameters (PHI) or URL (password) in the message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import alembic.command
import sqlalchemy.exc
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from chartroom.errors import ChartroomError, DatabaseBusy, DatabaseError, StorageFull
from chartroom.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
WRITE = "chartroom_write"  # execution option: this connection will write (BEGIN IMMEDIATE)
MIGRATION_LOCK = 0x63686172  # PostgreSQL advisory lock key for migrations ("char")
_BUSY_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization failure, deadlock, lock not available


def database_url(settings: Settings) -> str:
    """The SQLAlchemy URL: settings.database_url, or SQLite at HOME/chartroom.db."""
    if not settings.database_url:
        return f"sqlite:///{settings.home / 'chartroom.db'}"
    url = settings.database_url
    if url.startswith(("postgresql://", "postgres://")):  # plain URLs use psycopg 3
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create(settings: Settings, *, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for the configured database (SQLite: the home folder is created)."""
    try:
        url = make_url(database_url(settings))
    except sqlalchemy.exc.ArgumentError as exc:
        raise DatabaseError("CHARTROOM_DATABASE_URL is not a valid database URL") from exc
    compact = _compact_json
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            try:
                Path(url.database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError("cannot create the data folder (CHARTROOM_HOME)") from exc
        engine = create_engine(url, json_serializer=compact)
        _sqlite_setup(engine, busy_timeout_ms)
        return engine
    if url.get_backend_name() != "postgresql":
        raise DatabaseError("CHARTROOM_DATABASE_URL must be a sqlite or postgresql URL")
    try:
        return create_engine(url, json_serializer=compact, pool_pre_ping=True)
    except (sqlalchemy.exc.ArgumentError, ImportError) as exc:
        raise DatabaseError("cannot use CHARTROOM_DATABASE_URL (driver or options)") from exc


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _sqlite_setup(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control from the sqlite3 module: we emit BEGIN ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = FULL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent; concurrent callers queue).

    A database already at head is only read (no write lock), so opening a store does not wait
    for another process's long write.
    """
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if with_retries(lambda: current_revision(engine), what="migrate") == head:
        return

    def upgrade() -> None:
        with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            alembic.command.upgrade(cfg, "head")

    with_retries(upgrade, what="migrate")


def alembic_config() -> Config:
    """An Alembic configuration built in code: the scripts ship inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    return cfg


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_busy(exc: BaseException) -> bool:
    """A transient lock conflict worth retrying (SQLite locked/busy, PostgreSQL deadlock...)."""
    if not isinstance(exc, sqlalchemy.exc.OperationalError | sqlalchemy.exc.DBAPIError):
        return False
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in _BUSY_SQLSTATES:
        return True
    message = str(orig).lower() if orig is not None else ""
    return "database is locked" in message or "database is busy" in message


def with_retries(
    fn: Callable[[], T], *, what: str, attempts: int = 5, first_delay: float = 0.05
) -> T:
    """Run `fn`, retrying transient lock conflicts with backoff; translate database errors."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except ChartroomError:
            raise
        except sqlalchemy.exc.SQLAlchemyError as exc:
            if is_busy(exc):
                if attempt == attempts:
                    log.warning("%s: database still locked after %d attempts", what, attempts)
                    raise DatabaseBusy("the database is locked by another process") from exc
                log.info("%s: database locked, retry %d in %.2fs", what, attempt, delay)
                time.sleep(delay)
                delay *= 2
                continue
            raise translate(exc, what) from exc
        except OSError as exc:
            raise translate(exc, what) from exc
    raise AssertionError("unreachable")  # pragma: no cover


def translate(exc: BaseException, what: str) -> ChartroomError:
    """A chartroom error for a database failure, logged by type and code only (no PHI)."""
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    log.error("%s failed: %s %s", what, type(orig).__name__, sqlstate)
    message = str(orig).lower()
    if "disk is full" in message or "database or disk is full" in message or sqlstate == "53100":
        return StorageFull("the database could not be written: the disk is full")
    if isinstance(exc, sqlalchemy.exc.OperationalError):
        return DatabaseError("cannot open or reach the database")
    if isinstance(exc, sqlalchemy.exc.IntegrityError):
        return DatabaseError("the change conflicts with what the database holds")
    return DatabaseError(f"the database refused the {what} request")
