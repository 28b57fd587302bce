"""`chartroom check`: does the database agree with the stored files?

Problems (the check fails):
- missing: a stored file (an intake row with outcome stored, or a document) whose blob is gone;
- damaged: a blob whose content no longer hashes to its name.
Warnings (reported; fail only with `strict`):
- unreferenced: a blob no stored file refers to. Harmless: the copy of a file whose scan failed,
  or of a file that was copied in just before a crash (the next run reuses it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from records.blobs import BlobStore
from records.types import StoredDocument

log = logging.getLogger(__name__)


class CheckSource(Protocol):
    def iter_stored_shas(self) -> Iterator[str]: ...

    def iter_documents(self) -> Iterator[StoredDocument]: ...


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
