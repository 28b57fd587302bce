"""The fast index writer (indexer/index_writer.py, index_analysis.py) and the rebuild's copying
merge (index_merge.py) build the same index as Whoosh's own writer and merge: every posting
(term, docnum, weight, value bytes), term statistic, field length and stored field, through a
plain commit, chunked commits merged at the end, and a pool that spills."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.writing import SegmentWriter

from indexer.index_analysis import fast_kind
from indexer.index_merge import copy_merge
from indexer.index_positions import PackedPositions
from indexer.index_postings import PACKED_BLOCK_MIN
from indexer.index_schema import EXACT, PAIRS, STEMMED, TOKENS, PageEntry, build_schema, fields_of
from indexer.index_writer import Writer
from indexer.search_index import PROGRESS_FILE, SearchIndex

WORDS = [
    "the", "of", "and", "Patient", "patient's", "presents", "with", "shortness", "breath",
    "Heart", "failure", "HEART", "I50.22", "3.5", "mg", "O'Neil", "O’Brien", "Café", "naïve",
    "Ångström", "ﬁbrosis", "İstanbul", "straße", "x-ray", "running", "runs", "ran", "is", "a",
    "denied", "no", "not", "tamoxifen", "furosemide", "40mg", "résumé", "e.g", "U.S.A", "_x_",
    "a1c", "7.2%", "ΣΙΣΥΦΟΣ", "ﬀ", "it's", "its", "co-morbid", "2019-03-14", "…", "—", "ⅷ",
]  # fmt: skip


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)) + rng.choice(["", ".", "\n", " ,"])


def _entries(count: int, seed: int = 3) -> list[PageEntry]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        doc = 1 + i // 2
        out.append(
            PageEntry(
                document_id=doc,
                page=1 + i % 2,
                page_count=2,
                text=_text(rng, rng.randint(0, 120)) if i % 7 else "",
                document_type=rng.choice(["discharge_summary", "progress_note"]),
                patient_id=rng.choice([None, 1, 2]),
                mrn=rng.choice(["", "10000001"]),
                patient_name=rng.choice(["", "Brindlemoor, Ada", "Ñúñez, José"]),
                dates=(("service", f"2019-03-{1 + i % 28:02d}"), ("birth", "1950-01-02")),
                diagnoses=(("I50.22", "affirmed", _text(rng, 6)), ("C50.9", "negated", "x")),
                filed=bool(i % 3),
                source="batch.pdf",
                text_source="ocr",
                ingested="2026-01-01",
                low_confidence=False,
            )
        )
    return out


def _dump(directory: Path) -> dict[str, Any]:
    ix = windex.open_dir(str(directory))
    with ix.reader() as reader:
        postings = list(reader.iter_postings())
        names = sorted(reader.indexed_field_names())
        lengths = {
            n: [reader.doc_field_length(d, n) for d in range(reader.doc_count_all())] for n in names
        }
        stored = list(reader.iter_docs())
        segments = len(ix._segments())
        stats = []
        for fieldname, btext in reader.all_terms():
            info = reader.term_info(fieldname, btext)
            stats.append(
                (
                    fieldname,
                    btext,
                    info.weight(),
                    info.doc_frequency(),
                    info.min_length(),
                    info.max_length(),
                    info.max_weight(),
                    info.min_id(),
                    info.max_id(),
                )
            )
    ix.close()
    return {
        "postings": postings,
        "lengths": lengths,
        "stored": stored,
        "segments": segments,
        "terms": stats,
    }


def _build(directory: Path, entries: list[PageEntry], fast: bool, chunk: int, **kw: Any) -> None:
    """Chunks committed as segments, then merged: the fast way as a rebuild does it (parts
    written with their final document numbers, merged by copying), or Whoosh's own."""
    directory.mkdir()
    ix = windex.create_in(str(directory), build_schema())
    for start in range(0, len(entries), chunk):
        writer = Writer(ix, postings_base=start, **kw) if fast else SegmentWriter(ix, **kw)
        for entry in entries[start : start + chunk]:
            writer.add_document(**fields_of(entry))
        writer.commit(merge=False)
    if len(ix._segments()) > 1:
        if fast:
            Writer(ix, **kw).commit(mergetype=copy_merge)
        else:
            SegmentWriter(ix, **kw).commit(optimize=True)
    ix.close()


def _same(tmp_path: Path, entries: list[PageEntry], chunk: int, **kw: Any) -> None:
    _build(tmp_path / "whoosh", entries, False, chunk)
    _build(tmp_path / "fast", entries, True, chunk, **kw)
    expected, got = _dump(tmp_path / "whoosh"), _dump(tmp_path / "fast")
    assert got["segments"] == expected["segments"] == 1
    assert len(got["postings"]) == len(expected["postings"]) > 1000
    for want, have in zip(expected["postings"], got["postings"], strict=True):
        assert want == have
    assert got["lengths"] == expected["lengths"]
    assert got["stored"] == expected["stored"]
    assert got["terms"] == expected["terms"]


def test_one_commit_builds_the_same_index(tmp_path: Path) -> None:
    _same(tmp_path, _entries(300), chunk=300)


def test_chunks_merged_at_the_end_build_the_same_index(tmp_path: Path) -> None:
    _same(tmp_path, _entries(300), chunk=70)


def test_a_spilled_pool_builds_the_same_index(tmp_path: Path) -> None:
    _same(tmp_path, _entries(300), chunk=150, limitmb=0.05)
    kinds = _block_kinds(tmp_path / "fast")
    assert kinds == {("array", "PackedValues"), ("array", "short tuple"), ("array", "other")}


def _block_kinds(directory: Path) -> set[tuple[str, str]]:
    """(ids kind, values kind) over every postings block of a phrase field or not: chartroom's
    writer, from its pool or spilled, and its copying merge write ids as arrays and phrase
    positions as PackedValues, or a tuple in short blocks (a long block's tuple is Whoosh's
    slower format)."""
    ix = windex.open_dir(str(directory))
    kinds: set[tuple[str, str]] = set()
    with ix.reader() as reader:
        for fieldname, btext in reader.all_terms():
            if reader.term_info(fieldname, btext).is_inlined():
                continue
            packed = type(reader.schema[fieldname].format) is PackedPositions
            matcher = reader.postings(fieldname, btext)
            while matcher.is_active():
                matcher._read_data()
                ids, _, values = matcher._data
                kind = type(values).__name__ if packed else "other"
                if kind == "tuple" and len(values) < PACKED_BLOCK_MIN:
                    kind = "short tuple"  # a rare term's block: the tuple is smaller
                kinds.add((type(ids).__name__, kind))
                matcher._next_block()
    ix.close()
    return kinds


def test_whoosh_merges_with_deleted_pages_match(tmp_path: Path) -> None:
    """Updates delete pages; Whoosh's own merges (through the fast writer's pool and its
    per-document copy) give the same index as with Whoosh's writer."""
    entries = _entries(120)
    for fast in (False, True):
        directory = tmp_path / ("fast" if fast else "whoosh")
        _build(directory, entries[:60], fast, chunk=30)  # merged into one segment
        ix = windex.open_dir(str(directory))
        writer = Writer(ix) if fast else SegmentWriter(ix)
        writer.delete_by_term("document_id", "3")
        for entry in entries[60:]:
            writer.add_document(**fields_of(entry))
        writer.commit(merge=False)
        writer = Writer(ix) if fast else SegmentWriter(ix)
        writer.commit(optimize=True)
        ix.close()
    expected, got = _dump(tmp_path / "whoosh"), _dump(tmp_path / "fast")
    assert got == expected
    assert len(expected["stored"]) == 118


def test_queries_analyse_as_before() -> None:
    # the analyzers themselves are Whoosh's: only indexing takes the shortcut
    assert [t.text for t in STEMMED("The patients' Cafés ran")] == ["patient", "cafe", "ran"]
    assert [t.text for t in EXACT("The Café")] == ["the", "cafe"]
    # pairs only where one word is common (a stop word): "shortness of", "of breath"
    assert [t.text for t in PAIRS("Shortness of breath noted")] == ["shortness of", "of breath"]
    assert fast_kind(PAIRS) == (TOKENS, "common_pairs")
    assert fast_kind(EXACT) == (TOKENS, "exact")
    assert fast_kind(STEMMED) == (TOKENS, "stemmed")


def test_rebuild_commits_early_at_a_document_boundary_when_memory_is_full(
    tmp_path: Path,
) -> None:
    entries = _entries(400)
    index = SearchIndex(tmp_path / "index", memory_mb=1)
    rebuild = index.rebuilder()
    assert rebuild.resume_after() == 0
    rebuild.add_chunk(entries, entries[-1].document_id)
    ix = windex.open_dir(str(rebuild.work))
    segments = ix._segments()
    ix.close()
    assert len(segments) > 1  # the 1 MB budget split the chunk
    progress = json.loads((rebuild.work / PROGRESS_FILE).read_text())
    assert progress["after_document_id"] == entries[-1].document_id
    assert progress["pages"] == 400
    rebuild.finish()
    assert index.needs_rebuild() == ""
    got = _dump(tmp_path / "index")
    _build(tmp_path / "whoosh", entries, False, chunk=400)
    expected = _dump(tmp_path / "whoosh")
    assert got["postings"] == expected["postings"]
    assert got["stored"] == expected["stored"]
    assert got["lengths"] == expected["lengths"]
    assert got["terms"] == expected["terms"]


def test_pool_memory_estimate_covers_the_pools_objects(tmp_path: Path) -> None:
    """`limitmb` is checked against an estimate of resident memory: never below what the pooled
    objects themselves take (sys.getsizeof), and not wildly above (calibrated at ~1.6x)."""
    import sys

    ix = windex.create_in(str(tmp_path), build_schema())
    writer = Writer(ix, limitmb=1000)
    for entry in _entries(300):
        writer.add_document(**fields_of(entry))
    seen: set[int] = set()
    objects = 0
    for terms in writer.pool.terms.values():
        for btext, postings in terms.items():
            for item in (btext, postings, *postings):
                if id(item) not in seen:
                    seen.add(id(item))
                    objects += sys.getsizeof(item)
    # below 1.4x, values the estimate takes for shared ones went uncounted (schema 4's 8-byte
    # positions did: 1.30x)
    assert 1.4 * objects < writer.pool.currentsize < 2.5 * objects
    writer.cancel()
    ix.close()
