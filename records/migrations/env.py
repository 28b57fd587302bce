"""Alembic environment: runs on the connection `records.db.migrate` hands over (never a URL).

No logging configuration here: the process's own logging setup applies.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from records.schema import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through records.db.migrate, which passes a connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
