"""Initial schema: patients, intake, documents, pages, findings, filings, events, index outbox.

Events are append-only in the database itself: triggers refuse UPDATE and DELETE (and, on
PostgreSQL, TRUNCATE). Column types are spelled out here rather than imported from
records/schema.py, so this script keeps describing the schema as it was at revision 0001.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STAMP = sa.DateTime(timezone=True)


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, nullable=False)


def _ref(owner: str, name: str, table: str, *, nullable: bool = False) -> sa.Column[int]:
    foreign_key = sa.ForeignKey(f"{table}.id", name=f"fk_{owner}_{name}_{table}")
    return sa.Column(name, ID, foreign_key, nullable=nullable)


def _index(table: str, *columns: str, **kw: object) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns), **kw)  # type: ignore[arg-type]


SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
)
POSTGRES_APPEND_ONLY = (
    "CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'events are append-only' USING ERRCODE = 'insufficient_privilege'; "
    "END $$",
    "CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION events_append_only()",
    "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
    "FOR EACH STATEMENT EXECUTE FUNCTION events_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "patients",
        _id(),
        sa.Column("mrn", sa.String(64), nullable=False),
        sa.Column("last_name", sa.String(200), nullable=False),
        sa.Column("first_name", sa.String(200), nullable=False),
        sa.Column("dob", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patients"),
        sa.UniqueConstraint("mrn", name="uq_patients_mrn"),
    )
    _index("patients", "dob")
    op.create_index("ix_patients_name", "patients", ["last_name", "first_name"])

    op.create_table(
        "intake",
        _id(),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("source_name", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("file_type", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("document_ids", sa.JSON(), nullable=False),
        sa.Column("patient_ids", sa.JSON(), nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intake"),
        sa.UniqueConstraint("key", name="uq_intake_key"),
    )
    _index("intake", "outcome")
    _index("intake", "sha256")

    op.create_table(
        "documents",
        _id(),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("source_name", sa.LargeBinary(), nullable=False),
        sa.Column("source_display", sa.Text(), nullable=False),
        sa.Column("first_page", sa.Integer(), nullable=False),
        sa.Column("last_page", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("document_type", sa.String(40), nullable=False),
        sa.Column("type_confidence", sa.Float(), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("admission_date", sa.Date(), nullable=True),
        sa.Column("discharge_date", sa.Date(), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column("report_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        _ref("documents", "patient_id", "patients", nullable=True),
        _ref("documents", "intake_id", "intake"),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("updated_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
    )
    for column in ("created_at", "intake_id", "patient_id", "sha256", "status"):
        _index("documents", column)

    op.create_table(
        "pages",
        _id(),
        _ref("pages", "document_id", "documents"),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=False),
        sa.Column("text_offset", sa.Integer(), nullable=True),
        sa.Column("ocr_text", sa.Text(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("cleanup", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("low_confidence", sa.Boolean(), nullable=False),
        sa.Column("blank", sa.Boolean(), nullable=False),
        sa.Column("barcodes", sa.JSON(), nullable=False),
        sa.Column("text_source", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pages"),
        sa.UniqueConstraint("document_id", "number", name="uq_pages_document_id_number"),
    )

    op.create_table(
        "findings",
        _id(),
        _ref("findings", "document_id", "documents"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("assertion", sa.String(16), nullable=False),
        sa.Column("section", sa.String(64), nullable=False),
        sa.Column("release", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_findings"),
    )
    _index("findings", "code")
    _index("findings", "document_id")

    op.create_table(
        "filings",
        _id(),
        _ref("filings", "document_id", "documents"),
        _ref("filings", "patient_id", "patients", nullable=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("closed_at", STAMP, nullable=True),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_filings"),
    )
    _index("filings", "document_id")
    _index("filings", "patient_id")
    op.create_index(
        "uq_filings_active_document",
        "filings",
        ["document_id"],
        unique=True,
        sqlite_where=sa.text("active"),
        postgresql_where=sa.text("active"),
    )

    op.create_table(
        "events",
        _id(),
        sa.Column("at", STAMP, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("document_id", ID, nullable=True),
        sa.Column("patient_id", ID, nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    for column in ("action", "document_id", "patient_id"):
        _index("events", column)

    op.create_table(
        "index_outbox",
        _id(),
        sa.Column("document_id", ID, nullable=False),
        sa.Column("op", sa.String(8), nullable=False),
        sa.Column("created_at", STAMP, nullable=False),
        sa.Column("done_at", STAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_index_outbox"),
    )
    _index("index_outbox", "document_id")
    op.create_index(
        "ix_index_outbox_pending",
        "index_outbox",
        ["id"],
        sqlite_where=sa.text("done_at IS NULL"),
        postgresql_where=sa.text("done_at IS NULL"),
    )

    dialect = op.get_bind().dialect.name
    for statement in POSTGRES_APPEND_ONLY if dialect == "postgresql" else SQLITE_APPEND_ONLY:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
        op.execute("DROP TRIGGER IF EXISTS events_no_update_delete ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    for table in ("index_outbox", "events", "filings", "findings", "pages", "documents"):
        op.drop_table(table)
    op.drop_table("intake")
    op.drop_table("patients")
