"""The archive of bench/web_load.py: generated chart text over real page images, and clerks.

Documents come in batches (one stored source file per batch, like a scanned batch): the batch's
file is a multi-page TIFF made of the real page images in sample_scans/ (cycled; 100-300 dpi
greyscale scans, deflate-compressed), and each document of the batch owns its own consecutive
pages of it. Every batch file gets a unique trailer after the TIFF data (readers ignore it), so
each batch is its own blob and page images are rendered per batch, not served from one shared
cache. Page text is bench/_search_corpus.py's generated chart prose (no OCR, no NLP, no word
boxes). Invented patients only.
"""

from __future__ import annotations

import io
import random
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from _search_corpus import DIAGNOSES, TYPES, chart_diagnoses, long_tail, roster, scanned_pages
from PIL import Image, ImageSequence

from chartroom.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_scans"
BATCH_PAGES = 40  # pages per stored batch file
PATIENTS = 2000


@dataclass(frozen=True)
class ArchiveInfo:
    documents: int
    pages: int
    batches: int
    blob_bytes: int
    seconds: float
    document_ids: tuple[int, ...]


def _frames() -> list[Image.Image]:
    frames: list[Image.Image] = []
    for path in sorted(SAMPLES.glob("*")):
        if path.suffix.lower() not in {".png", ".jpg", ".tif"}:
            continue
        with Image.open(path) as img:
            frames.extend(f.convert("L").copy() for f in ImageSequence.Iterator(img))
    if not frames:
        raise SystemExit("no page images in sample_scans/")
    return frames


def _template(frames: list[Image.Image]) -> tuple[bytes, list[tuple[int, int]]]:
    """A BATCH_PAGES-page TIFF cycling the sample frames, and each page's (width, height)."""
    pages = [frames[i % len(frames)] for i in range(BATCH_PAGES)]
    out = io.BytesIO()
    pages[0].save(
        out,
        format="TIFF",
        save_all=True,
        append_images=pages[1:],
        compression="tiff_adobe_deflate",
        dpi=(300, 300),
    )
    return out.getvalue(), [(p.width, p.height) for p in pages]


def build_archive(settings: Settings, pages: int, seed: int = 11) -> ArchiveInfo:
    """Fill a fresh store with about `pages` pages in BATCH_PAGES-page batches."""
    from models.types import (
        DateMention,
        DateRole,
        DocumentType,
        DocumentTypeGuess,
        Findings,
    )
    from records.store import RecordStore
    from records.types import FilingDecision, NewDocument, SourceFile

    rng = random.Random(seed)
    tail = long_tail(rng)
    template, sizes = _template(_frames())
    started = time.perf_counter()
    documents = made = batches = blob_bytes = 0
    ids: list[int] = []
    with RecordStore(settings) as store:
        patients = roster(rng, PATIENTS)
        store.upsert_patients(patients)
        patient_ids = [p.id for p in map(store.patient_by_mrn, (r.mrn for r in patients)) if p]
        while made < pages:
            docs: list[NewDocument] = []
            used = 0
            while used < BATCH_PAGES and made < pages:
                n = min(pages - made, BATCH_PAGES - used, rng.choice([1, 1, 2, 2, 3, 4, 6]))
                doc_type = rng.choice(TYPES)
                dxs = rng.sample(DIAGNOSES, rng.randint(1, 4))
                day = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))
                numbered = [(used + k + 1, *sizes[used + k]) for k in range(n)]
                scanned = scanned_pages(rng, doc_type, dxs, tail, numbered)
                role = DateRole.ADMISSION if doc_type == "discharge_summary" else DateRole.SERVICE
                dates = (DateMention("d", 0, 1, day.isoformat(), role),)
                diagnoses = chart_diagnoses(rng, dxs)
                findings = Findings(
                    diagnoses, dates, (), DocumentTypeGuess(DocumentType(doc_type), 0.9)
                )
                pid = rng.choice(patient_ids) if rng.random() > 0.1 else None
                decision = FilingDecision(pid, "barcode" if pid else "", 0.9)
                docs.append(NewDocument(scanned, findings, decision))
                made += n
                used += n
                documents += 1
            batches += 1
            data = template + f"chartroom-bench-batch-{seed}-{batches}".encode()
            sha = store.blobs.put_bytes(data)
            blob_bytes += len(data)
            source = SourceFile(
                f"batch{batches}.tif".encode(), f"bench:{batches}", sha, len(data), "tiff"
            )
            result = store.save_stored(source, docs)
            ids.extend(result.document_ids)
        # the index is rebuilt from scratch afterwards: mark the journal applied
        while items := store.index_outbox(limit=5000):
            store.index_outbox_done([i.id for i in items])
    return ArchiveInfo(
        documents, made, batches, blob_bytes, time.perf_counter() - started, tuple(ids)
    )


def create_clerks(settings: Settings, count: int, password: str) -> list[str]:
    """`count` clerk users (clerk01, clerk02, ...) with the same password."""
    from records.access import AccessStore
    from webapp.passwords import hash_password
    from webapp.security import now

    names = [f"clerk{i + 1:02d}" for i in range(count)]
    password_hash = hash_password(password)
    access = AccessStore(settings)
    try:
        for name in names:
            access.create_user(name, "clerk", password_hash, now())
    finally:
        access.close()
    return names


def audit_counts(settings: Settings) -> tuple[dict[str, int], int, list[str]]:
    """Audit rows per action, the rows in the chain, and the chain's problems (AccessStore)."""
    from records.access import AccessStore

    access = AccessStore(settings)
    try:
        rows, problems = access.verify_audit()
        counts: dict[str, int] = {}
        offset = 0
        while batch := access.audit_entries(limit=5000, offset=offset):
            for entry in batch:
                counts[entry.action] = counts.get(entry.action, 0) + 1
            offset += len(batch)
    finally:
        access.close()
    return counts, rows, problems
