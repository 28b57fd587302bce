"""PostgreSQL-specific behaviour, against a real server started by tests/_postgres.py.

The whole store suite (tests/test_records.py) also runs against PostgreSQL through its
parametrised fixture; these tests cover what only PostgreSQL has.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy

from chartroom.settings import Settings
from records import db
from records.store import RecordStore
from records.types import Outcome, SourceFile
from tests import _postgres


@pytest.fixture
def pg_settings(settings: Settings) -> Settings:
    return settings.with_(database_url=_postgres.server().create_database())


@pytest.fixture
def pg_store(pg_settings: Settings) -> Iterator[RecordStore]:
    with RecordStore(pg_settings) as store:
        yield store


def failed_source(key: str) -> SourceFile:
    return SourceFile(b"x.pdf", key, "c" * 64, 10, "pdf")


def test_server_runs_on_localhost_and_a_unix_socket() -> None:
    server = _postgres.server()
    assert any(server.root.glob(".s.PGSQL.*"))  # the unix socket in the temporary folder
    dsn = f"host={server.root} port={server.port} user={_postgres.SUPERUSER} dbname=postgres"
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_plain_postgresql_urls_use_psycopg(pg_settings: Settings) -> None:
    plain = pg_settings.database_url.replace("postgresql+psycopg://", "postgresql://")
    with RecordStore(pg_settings.with_(database_url=plain)) as store:
        assert store.dialect == "postgresql"
        assert store.schema_revision() == "0002"


def test_events_refuse_update_delete_and_truncate(pg_store: RecordStore) -> None:
    pg_store.save_failed(failed_source("bad"), "DamagedFile", "truncated")
    engine = sqlalchemy.create_engine(db.database_url(pg_store.settings))
    for statement in (
        "UPDATE events SET actor = 'user:mallory'",
        "DELETE FROM events",
        "TRUNCATE events",
    ):
        with pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"), engine.begin() as c:
            c.execute(sqlalchemy.text(statement))
    engine.dispose()
    assert len(pg_store.events()) == 1


def test_concurrent_first_opens_migrate_once(pg_settings: Settings) -> None:
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            RecordStore(pg_settings).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with RecordStore(pg_settings) as store:
        assert store.schema_revision() == "0002"
        assert store.save_failed(failed_source("k"), "OcrError", "x").outcome == Outcome.FAILED


def test_timestamps_are_timezone_aware_columns(pg_store: RecordStore) -> None:
    result = pg_store.save_failed(failed_source("bad"), "DamagedFile", "x")
    assert result.outcome == Outcome.FAILED
    engine = sqlalchemy.create_engine(db.database_url(pg_store.settings))
    with engine.connect() as conn:
        kind = conn.execute(
            sqlalchemy.text(
                "SELECT data_type FROM information_schema.columns"
                " WHERE table_name = 'events' AND column_name = 'at'"
            )
        ).scalar()
    engine.dispose()
    assert kind == "timestamp with time zone"
    assert pg_store.events()[0].at.utcoffset() is not None
