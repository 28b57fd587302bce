"""Alembic migrations of the system of record (run in code by `records.db.migrate`)."""
