"""Search at archive scale: a synthetic archive of N pages (default 100,000) of chart text.

    .venv/bin/python bench/search_scale.py [--pages N] [--home DIR] [--rounds R]

1. fills a fresh system of record (SQLite, through RecordStore.save_stored) with generated
   documents: 1-6 pages each of ~300 words of chart prose, 2,000 patients, dates 2015-2024,
   ICD-10-CM diagnoses with assertions, ~10% unfiled (no OCR, no NLP: a seeded generator);
2. rebuilds the index from it with `chartroom reindex`'s code (indexer/reindex.py) in a child
   process with `--index-workers` chunk builders (default: the setting's default): build rate
   (pages/s of wall time and of CPU time, workers included), rebuild time, peak memory of the
   reindex process and of the largest worker (ru_maxrss; the rebuild's total is at most the
   reindex process plus workers x that), index size;
3. runs a fixed mix of word, phrase, field, code-prefix, date-range and faceted queries (every
   query also computes all four facets) in one process on one core: median and p95 latency of
   `Search.search` (parse, match, rank, facets, snippets), after one warm-up round, and a
   per-query table (matches, median and max ms). `--queries-only --home DIR` times the queries
   again on the index already in DIR (no fill, no rebuild); `--whoosh-baseline` then also times
   them through Whoosh's own searcher in the same process (the ratio to the bare engine).

Goals (issue 5): p95 < 100 ms, median < 30 ms at 100,000 pages; build >= 300 pages/s; rebuild
peak memory < 1 GB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _search_corpus import (  # noqa: E402
    DIAGNOSES,
    TYPES,
    chart_diagnoses,
    long_tail,
    roster,
    scanned_pages,
)
from _stats import percentile  # noqa: E402

from chartroom.settings import Settings  # noqa: E402


def populate(settings: Settings, pages: int, seed: int = 7) -> tuple[int, int, float]:
    """Fill the store with about `pages` pages; returns (documents, pages, seconds)."""
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
    started = time.perf_counter()
    documents = made = 0
    with RecordStore(settings) as store:
        patients = roster(rng, 2000)
        store.upsert_patients(patients)
        ids = [p.id for p in (store.patient_by_mrn(r.mrn) for r in patients) if p and p.id]
        batch_no = 0
        while made < pages:
            docs: list[NewDocument] = []
            for _ in range(20):
                if made >= pages:
                    break
                n = min(pages - made, rng.choice([1, 1, 2, 2, 3, 4, 6]))
                doc_type = rng.choice(TYPES)
                dxs = rng.sample(DIAGNOSES, rng.randint(1, 4))
                day = date(2015, 1, 1) + timedelta(days=rng.randint(0, 3650))
                sizes = [(k + 1, 2550, 3300) for k in range(n)]
                scanned = scanned_pages(rng, doc_type, dxs, tail, sizes)
                dates = [DateMention("d", 0, 1, day.isoformat(), DateRole.SERVICE)]
                if doc_type == "discharge_summary":
                    dates = [
                        DateMention("a", 0, 1, day.isoformat(), DateRole.ADMISSION),
                        DateMention(
                            "d",
                            0,
                            1,
                            (day + timedelta(days=rng.randint(1, 9))).isoformat(),
                            DateRole.DISCHARGE,
                        ),
                    ]
                diagnoses = chart_diagnoses(rng, dxs)
                findings = Findings(
                    diagnoses, tuple(dates), (), DocumentTypeGuess(DocumentType(doc_type), 0.9)
                )
                pid = rng.choice(ids) if rng.random() > 0.1 else None
                decision = FilingDecision(pid, "barcode" if pid else "", 0.9)
                docs.append(NewDocument(scanned, findings, decision))
                made += n
                documents += 1
            batch_no += 1
            sha = hashlib.sha256(f"bench-{seed}-{batch_no}".encode()).hexdigest()
            store.save_stored(SourceFile(b"batch.pdf", f"bench:{batch_no}", sha, 1, "pdf"), docs)
        # the journal is rebuilt from scratch below: mark it applied
        while items := store.index_outbox(limit=5000):
            store.index_outbox_done([i.id for i in items])
    return documents, made, time.perf_counter() - started


def reused_store(settings: Settings) -> tuple[int, int, float]:
    """(documents, pages, 0.0) of the store already in the data folder; (0, 0, 0.0) if none."""
    from records.store import RecordStore

    if not settings.home.is_dir():
        return 0, 0, 0.0
    with RecordStore(settings) as store:
        counts = store.counts()
    return counts["documents"], counts["pages"], 0.0


def rebuild_child(home: str, index_workers: int) -> None:
    from indexer.reindex import reindex
    from records.store import RecordStore

    settings = Settings.from_env({}, home=Path(home), workers=1, index_workers=index_workers)
    with RecordStore(settings) as store:
        report = reindex(settings, store)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the chunk builders
    main_mb = usage.ru_maxrss / 1024
    worker_mb = max(report.worker_peak_rss_mb, children.ru_maxrss / 1024)
    cpu = usage.ru_utime + usage.ru_stime + children.ru_utime + children.ru_stime
    bound = main_mb + (index_workers * worker_mb if index_workers > 1 else 0)
    print(
        json.dumps(
            {
                "pages": report.pages,
                "documents": report.documents,
                "seconds": report.seconds,
                "index_workers": index_workers,
                "main_peak_rss_mb": main_mb,
                "worker_peak_rss_mb": worker_mb,
                "peak_rss_mb": max(main_mb, worker_mb) if index_workers == 1 else bound,
                "cpu_seconds": cpu,
            }
        )
    )


def queries(settings: Settings) -> list[str]:
    from records.store import RecordStore

    with RecordStore(settings) as store:
        mrn = store.patient(1).mrn if store.patient(1) else "10000000"  # type: ignore[union-attr]
    return [
        "furosemide",
        "pneumonia",
        "epilepsy",
        "cardiomegaly",
        "heart failure",
        '"shortness of breath"',
        '"spiculated mass"',
        '"invasive ductal carcinoma"',
        f"patient:{mrn}",
        "patient:tallowmere",
        "type:discharge_summary",
        "type:pathology_report",
        "dx:I50",
        "dx:C50",
        "dx:E11.*",
        'dx:"breast"',
        "date:2019-01-01..2019-06-30",
        "admitted:2020-03",
        "date:2017",
        "dx:C50 date:2019",
        "type:discharge_summary dx:I50 date:2020",
        "pneumonia filed:no",
        "apixaban AND dx:I48",
        "sepsis NOT dx:A41.9",
        "cellulitis OR appendicitis",
        "tamoxifen~",
        "echocardiog*",
    ]


def latency_summary(latencies: list[float]) -> dict[str, float]:
    """Median, p95 (nearest rank) and max of timings in seconds, in ms."""
    ordered = sorted(latencies)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p95_ms": percentile(ordered, 0.95) * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def run_queries(settings: Settings, rounds: int) -> dict[str, float]:
    from indexer.search import Search

    mix = queries(settings)
    latencies: list[float] = []
    totals: dict[str, int] = {}
    per_query: dict[str, list[float]] = {q: [] for q in mix}
    with Search(settings) as search:
        opened = time.perf_counter()
        search.reader()
        open_seconds = time.perf_counter() - opened
        for q in mix:  # warm-up round (caches of the columns and the stemmer)
            totals[q] = search.search(q).total
        for _ in range(rounds):
            for q in mix:
                t = time.perf_counter()
                search.search(q, sort="date" if "date:" in q else "relevance")
                per_query[q].append(time.perf_counter() - t)
                latencies.append(per_query[q][-1])
        memory = resident_mb()  # the searcher open, its caches (columns, field lengths) filled
    reopened = time.perf_counter()  # a new reader of the same index (the web app: per request)
    with Search(settings) as again:
        again.search(mix[1])
    reopen_seconds = time.perf_counter() - reopened
    print("# per-query hits:", json.dumps(totals))
    print(f"# per query (median of {rounds} rounds):")
    print("| query | matches | median ms | max ms |")
    print("|---|---|---|---|")
    for q in mix:
        times = per_query[q]
        print(
            f"| `{q}` | {totals[q]:,} | {statistics.median(times) * 1000:.1f} "
            f"| {max(times) * 1000:.1f} |"
        )
    print(
        f"# query process memory: RSS {memory['rss_mb']:.0f} MB "
        f"(anonymous {memory['anon_mb']:.0f} MB, mapped index files {memory['file_mb']:.0f} MB)"
    )
    return {
        **latency_summary(latencies),
        "queries": len(latencies),
        "open_ms": open_seconds * 1000,
        "reopen_and_search_ms": reopen_seconds * 1000,
        **memory,
    }


def run_whoosh_baseline(settings: Settings, rounds: int) -> dict[str, float]:
    """The same queries through Whoosh's own searcher (`searcher.search(query, limit=20)`, the
    exact total, the hits' stored fields): the bare engine at the same moment, for a ratio that
    the machine's noise does not move. It does less than `Search.search` (no facets, no
    snippets, relevance order for every query) and uses chartroom's translation of each query
    (pair terms for phrases, year/month date terms)."""
    from indexer.index_query import translate
    from indexer.query import parse
    from indexer.search import Search

    mix = queries(settings)
    latencies: list[float] = []
    with Search(settings) as search:
        searcher = search.reader().searcher
        translated = {q: translate(parse(q)) for q in mix}
        for query in translated.values():  # warm-up round
            len(searcher.search(query, limit=20))
        for _ in range(rounds):
            for query in translated.values():
                t = time.perf_counter()
                results = searcher.search(query, limit=20)
                len(results)
                for hit in results:
                    hit.fields()
                latencies.append(time.perf_counter() - t)
    return latency_summary(latencies)


def resident_mb() -> dict[str, float]:
    """This process's resident memory now (Linux /proc): total, anonymous, file-backed (MB)."""
    found = {"VmRSS": 0.0, "RssAnon": 0.0, "RssFile": 0.0}
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in found:
                found[key] = float(value.split()[0]) / 1024
    return {"rss_mb": found["VmRSS"], "anon_mb": found["RssAnon"], "file_mb": found["RssFile"]}


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--home", type=Path, help="data folder (default: a temporary one)")
    parser.add_argument(
        "--reuse-store",
        action="store_true",
        help="use the store already in --home when it holds pages (no refill; its own size)",
    )
    parser.add_argument(
        "--build-only", action="store_true", help="stop after the rebuild (no queries)"
    )
    parser.add_argument(
        "--queries-only",
        action="store_true",
        help="only time the queries on the index already in --home (no fill, no rebuild)",
    )
    parser.add_argument(
        "--index-workers",
        type=int,
        default=Settings().index_workers,
        help="processes building the rebuild's chunks (default %(default)s)",
    )
    parser.add_argument(
        "--whoosh-baseline",
        action="store_true",
        help="with --queries-only: also time the queries through Whoosh's own searcher",
    )
    parser.add_argument("--rebuild-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rebuild_child:
        rebuild_child(args.rebuild_child[0], int(args.rebuild_child[1]))
        return 0
    if args.queries_only:
        if args.home is None:
            parser.error("--queries-only needs --home")
        only = Settings.from_env({}, home=args.home, workers=1)
        print(f"# search_scale queries only, home {args.home}")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"# load {load}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        latency = run_queries(only, args.rounds)
        print(json.dumps({"latency": latency}))
        if args.whoosh_baseline:
            bare = run_whoosh_baseline(only, args.rounds)
            print(
                f"whoosh alone: median {bare['median_ms']:.1f} ms, p95 {bare['p95_ms']:.1f} ms; "
                f"chartroom/whoosh: median {latency['median_ms'] / bare['median_ms']:.2f}x, "
                f"p95 {latency['p95_ms'] / bare['p95_ms']:.2f}x"
            )
            print(json.dumps({"whoosh": bare}))
        return 0
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    home = args.home or Path(tempfile.mkdtemp(prefix="chartroom-bench-"))
    settings = Settings.from_env({}, home=home, workers=1)
    print(f"# search_scale {args.pages} pages, home {home}")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# python {platform.python_version()}, {os.cpu_count()} cores, load {load}, {when}")
    documents, pages, seconds = reused_store(settings) if args.reuse_store else (0, 0, 0.0)
    if pages:
        print(f"store: reused, {documents} documents, {pages} pages")
    else:
        documents, pages, seconds = populate(settings, args.pages)
        rate = pages / seconds
        print(f"store: {documents} documents, {pages} pages in {seconds:.0f}s ({rate:.0f} pages/s)")
    child = subprocess.run(
        [sys.executable, __file__, "--rebuild-child", str(home), str(args.index_workers)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_THREAD_LIMIT": "1"},
    )
    rebuild = json.loads(child.stdout.strip().splitlines()[-1])
    size = dir_size(settings.index_dir)
    print(
        f"rebuild: {rebuild['pages']} pages in {rebuild['seconds']:.0f}s = "
        f"{rebuild['pages'] / rebuild['seconds']:.0f} pages/s; "
        f"CPU {rebuild['cpu_seconds']:.0f}s = {rebuild['pages'] / rebuild['cpu_seconds']:.0f} "
        f"pages/s ({1000 * rebuild['cpu_seconds'] / max(1, rebuild['pages']):.1f} ms/page); "
        f"{rebuild['index_workers']} worker(s); peak RSS {rebuild['peak_rss_mb']:.0f} MB "
        f"(reindex process {rebuild['main_peak_rss_mb']:.0f} MB, largest worker "
        f"{rebuild['worker_peak_rss_mb']:.0f} MB); "
        f"index {size / 1e6:.0f} MB ({size / max(1, pages) / 1024:.1f} KiB/page)"
    )
    if args.build_only:
        print(json.dumps({"pages": pages, "rebuild": rebuild, "index_bytes": size}))
        return 0
    lat = run_queries(settings, args.rounds)
    print(
        f"queries: {lat['queries']} timed, median {lat['median_ms']:.1f} ms, p95 "
        f"{lat['p95_ms']:.1f} ms, max {lat['max_ms']:.1f} ms "
        f"(index opened in {lat['open_ms']:.0f} ms)"
    )
    print(
        json.dumps(
            {
                "pages": pages,
                "documents": documents,
                "store_seconds": seconds,
                "rebuild": rebuild,
                "index_bytes": size,
                "latency": lat,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
