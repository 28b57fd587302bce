"""`chartroom check`: does the database agree with the stored files?

Problems (the check fails):
- missing: a stored file (an intake row with outcome stored, or a document) whose blob is gone;
- damaged: a blob whose content no longer hashes to its name.
Warnings (reported; fail only with `strict`):
- unreferenced: a blob no stored file refers to. Harmless: the copy of a file whose scan failed,
  or of a file that was copied in just before a crash (the next run reuses it).
And the search index against the database (`check_index`): every document indexed with its page
count, type, patient and filing status, nothing indexed that the database no longer holds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from chartroom.errors import ChartroomError
from indexer.search_index import SearchIndex
from records.blobs import BlobStore
from records.types import StoredDocument

log = logging.getLogger(__name__)


class CheckSource(Protocol):
    def iter_stored_shas(self) -> Iterator[str]: ...

    def iter_documents(self, after_id: int = 0) -> Iterator[StoredDocument]: ...


@dataclass
class CheckReport:
    stored: int = 0  # distinct SHA-256s the database refers to
    blobs: int = 0  # blobs in the store
    documents: int = 0
    missing: list[str] = field(default_factory=list)  # referenced, no blob
    damaged: list[str] = field(default_factory=list)  # blob content does not match its name
    unreferenced: list[str] = field(default_factory=list)  # blob nothing refers to

    def ok(self, strict: bool = False) -> bool:
        return not (self.missing or self.damaged or (strict and self.unreferenced))

    def as_json(self, strict: bool = False) -> dict[str, object]:
        return {
            "ok": self.ok(strict),
            "stored_files": self.stored,
            "blobs": self.blobs,
            "documents": self.documents,
            "missing": self.missing,
            "damaged": self.damaged,
            "unreferenced": self.unreferenced,
        }

    def lines(self, strict: bool = False) -> list[str]:
        out = [
            f"{self.documents} documents from {self.stored} stored files; {self.blobs} blobs",
        ]
        for label, shas, what in (
            ("MISSING", self.missing, "stored in the database, but its file is gone"),
            ("DAMAGED", self.damaged, "the file's content no longer matches its hash"),
            (
                "ERROR unreferenced" if strict else "warning: unreferenced",
                self.unreferenced,
                "a stored file no document refers to",
            ),
        ):
            out.extend(f"{label} {sha}: {what}" for sha in shas)
        out.append("ok" if self.ok(strict) else "FAILED")
        return out


def check_store(source: CheckSource, blobs: BlobStore) -> CheckReport:
    """Compare the database's SHA-256s with the blob store, rehashing every referenced blob."""
    report = CheckReport()
    referenced = set(source.iter_stored_shas())
    for document in source.iter_documents():
        report.documents += 1
        referenced.add(document.sha256)
    present = set(blobs.iter_shas())
    report.stored = len(referenced)
    report.blobs = len(present)
    for sha in sorted(referenced):
        if sha not in present:
            report.missing.append(sha)
        elif not blobs.verify(sha):
            report.damaged.append(sha)
    report.unreferenced = sorted(present - referenced)
    log.info(
        "check: %d stored, %d blobs, %d missing, %d damaged, %d unreferenced",
        report.stored,
        report.blobs,
        len(report.missing),
        len(report.damaged),
        len(report.unreferenced),
    )
    return report


# --- the search index against the database ----------------------------------------------


class IndexCheckSource(Protocol):
    def iter_documents(self, after_id: int = 0) -> Iterator[StoredDocument]: ...

    def counts(self) -> dict[str, int]: ...


@dataclass
class IndexCheckReport:
    """Does the search index hold every document as the database has it?"""

    unavailable: str = ""  # why the index cannot be read ("" when it can)
    documents: int = 0  # in the database
    indexed: int = 0  # documents in the index
    pending: int = 0  # journal rows not yet applied (they explain differences)
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # in the index, no longer in the database
    differ: list[int] = field(default_factory=list)  # pages, type, patient or filing differ

    def ok(self) -> bool:
        return not (self.unavailable or self.missing or self.stale or self.differ)

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok(),
            "unavailable": self.unavailable,
            "documents": self.documents,
            "indexed": self.indexed,
            "pending": self.pending,
            "missing": self.missing,
            "stale": self.stale,
            "differ": self.differ,
        }

    def lines(self) -> list[str]:
        if self.unavailable:
            return [f"INDEX UNAVAILABLE: {self.unavailable}; run `chartroom reindex`"]
        out = [f"index: {self.indexed} of {self.documents} documents, {self.pending} pending"]
        for label, ids, what in (
            ("INDEX MISSING", self.missing, "in the database, not in the search index"),
            ("INDEX STALE", self.stale, "in the search index, not in the database"),
            ("INDEX DIFFERS", self.differ, "pages, type, patient or filing differ"),
        ):
            out.extend(f"{label} document {i}: {what}" for i in ids)
        if not self.ok():
            out.append("run `chartroom reindex --journal` (or `chartroom reindex`) to repair")
        return out


def check_index(source: IndexCheckSource, index: SearchIndex) -> IndexCheckReport:
    """Compare every document in the database with what the search index holds for it."""
    report = IndexCheckReport()
    report.pending = source.counts().get("index_pending", 0)
    reason = index.needs_rebuild()
    if reason:
        report.unavailable = reason
        return report
    try:
        with index.reader() as reader:
            indexed = reader.documents()
    except ChartroomError as exc:
        report.unavailable = exc.message
        return report
    report.indexed = len(indexed)
    seen: set[int] = set()
    for document in source.iter_documents():
        report.documents += 1
        seen.add(document.id)
        entry = indexed.get(document.id)
        if entry is None:
            report.missing.append(document.id)
        elif (
            entry.pages != document.page_count
            or entry.document_type != document.document_type
            or entry.filed != (document.status == "filed")
            or entry.patient_id != document.patient_id
        ):
            report.differ.append(document.id)
    report.stale = sorted(set(indexed) - seen)
    log.info(
        "check index: %d documents, %d missing, %d stale, %d differ, %d pending",
        report.documents,
        len(report.missing),
        len(report.stale),
        len(report.differ),
        report.pending,
    )
    return report


# --- the audit log's hash chain -----------------------------------------------------------


class AuditCheckSource(Protocol):
    def verify_audit(self) -> tuple[int, list[str]]: ...


def check_audit(source: AuditCheckSource) -> tuple[int, list[str]]:
    """(rows, problems): the web app's audit log recomputed row by row (records/audit_log.py)."""
    rows, problems = source.verify_audit()
    log.info("check audit: %d rows, %d problems", rows, len(problems))
    return rows, problems


def audit_lines(rows: int, problems: list[str]) -> list[str]:
    if not problems:
        return [f"audit log: {rows} rows, hash chain intact"]
    return [f"AUDIT LOG TAMPERED: {p}" for p in problems]
