"""The web app under load (issue 6): simulated clerks against `chartroom serve` during an ingest.

    .venv/bin/python bench/web_load.py [--pages 4000] [--clerks 20] [--seconds 60]

1. builds a synthetic archive in a temporary CHARTROOM_HOME (bench/_web_load_archive.py:
   generated chart text over real page images from sample_scans/, stored through RecordStore),
   then rebuilds the index with `chartroom reindex`, and creates one clerk user per client;
2. starts `chartroom serve` (waitress) on 127.0.0.1 on a free port (secure cookies off for plain
   http) and, once it answers, `chartroom ingest` of sample_scans/ into the same home (OCR + NLP
   + filing + index journal, one worker) in another subprocess;
3. runs the clerks (bench/_web_load_clients.py) for `--seconds` or `--max-requests`: sign in,
   then loop search -> open a hit -> view its page image, all with CSRF tokens as a browser sends;
4. stops the server, then counts the audit rows by action (AccessStore, after checking the hash
   chain) against the requests that were answered, and prints p50/p95/max latency per request
   type, errors, and whether the ingest ran during the whole load.

Goals (issue 6): no errors under 20 clerks during an ingest; one audit row per access.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _stats import percentile
from _web_load_archive import audit_counts, build_archive, create_clerks
from _web_load_clients import EXPECTED, Clerk, Recorder
from bench_common import machine_info, print_machine

from chartroom.settings import Settings

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "load-test-" + secrets.token_hex(8)
# request type -> the audit action each answered request must leave behind
# server log lines counted: journal drains done inside web requests, drains that found the
# index locked, and errors
SERVER_LOG_KEYS = ("index journal:", "index not updated", "ERROR", "Traceback")
SCAN_SUFFIXES = {".pdf", ".tif", ".tiff", ".png", ".jpg", ".jpeg"}
AUDITED = {"login": "login", "search": "search", "document": "document.view", "image": "page.view"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chartroom_cmd() -> list[str]:
    script = Path(sys.executable).parent / "chartroom"
    return [str(script)] if script.exists() else [sys.executable, "-m", "chartroom.cli"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scan_copies(source: Path, target: Path) -> Path:
    """The scans under `source` (PDF, TIFF, PNG, JPEG: not the ground-truth texts) copied."""
    target.mkdir()
    for path in sorted(source.rglob("*")):
        if path.is_file() and path.suffix.lower() in SCAN_SUFFIXES:
            shutil.copy2(path, target / path.name)
    return target


def wait_ready(url: str, server: subprocess.Popen[bytes], limit: float = 180) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if server.poll() is not None:
            raise SystemExit(f"chartroom serve exited {server.returncode}")
        try:
            if requests.get(url + "/login", timeout=5).status_code == 200:
                return time.monotonic() - started
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("chartroom serve did not answer")


def latency_rows(rec: Recorder) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for kind in EXPECTED:
        samples = [s for s in rec.samples if s.kind == kind]
        if not samples:
            continue
        times = sorted(s.seconds for s in samples)
        statuses: dict[str, int] = {}
        for s in samples:
            statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
        rows.append(
            {
                "type": kind,
                "requests": len(samples),
                "errors": sum(not s.ok for s in samples),
                "p50_ms": percentile(times, 0.50) * 1000,
                "p95_ms": percentile(times, 0.95) * 1000,
                "max_ms": times[-1] * 1000,
                "statuses": statuses,
            }
        )
    return rows


def run(args: argparse.Namespace, home: Path) -> dict[str, object]:
    env = {
        **os.environ,
        "CHARTROOM_HOME": str(home),
        "CHARTROOM_WEB_SECRET_KEY": secrets.token_hex(32),
        "CHARTROOM_WEB_SECURE_COOKIES": "false",
        "CHARTROOM_WORKERS": "1",
        "OMP_THREAD_LIMIT": "1",
    }
    if args.web_threads:
        env["CHARTROOM_WEB_THREADS"] = str(args.web_threads)
    settings = Settings.from_env(env)
    info = build_archive(settings, args.pages)
    print(
        f"archive: {info.documents} documents, {info.pages} pages in {info.batches} batch files "
        f"({info.blob_bytes / 1e6:.0f} MB) stored in {info.seconds:.0f}s",
        flush=True,
    )
    started = time.monotonic()
    subprocess.run([*chartroom_cmd(), "reindex"], env=env, check=True, capture_output=True)
    reindex_s = time.monotonic() - started
    print(f"reindex: {reindex_s:.0f}s ({info.pages / reindex_s:.0f} pages/s)", flush=True)
    names = create_clerks(settings, args.clerks, PASSWORD)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(home / "serve.log", "wb") as serve_log, open(home / "ingest.log", "wb") as ingest_log:
        server = subprocess.Popen(
            [*chartroom_cmd(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**env, "CHARTROOM_LOG_LEVEL": args.serve_log_level},
            stdout=serve_log,
            stderr=subprocess.STDOUT,
        )
        ingest: subprocess.Popen[bytes] | None = None
        try:
            ready_s = wait_ready(url, server)
            if args.ingest:
                cmd = [*chartroom_cmd(), "ingest", "--no-progress", "--json", "--workers", "1"]
                scans = scan_copies(args.ingest, home / "ingest-input")
                ingest = subprocess.Popen(
                    [*cmd, str(scans)], env=env, stdout=ingest_log, stderr=subprocess.DEVNULL
                )
            ingest_started = time.monotonic()
            rec = Recorder(args.max_requests, time.monotonic() + args.seconds)
            clerks = [
                Clerk(url, name, PASSWORD, rec, seed=i, timeout=args.timeout)
                for i, name in enumerate(names)
            ]
            load_started = time.monotonic()
            for clerk in clerks:
                clerk.start()
            for clerk in clerks:
                clerk.join(args.seconds + args.timeout + 60)
            load_s = time.monotonic() - load_started
            ingest_during = ingest is not None and ingest.poll() is None
            ingest_code: int | None = None
            if ingest is not None:
                try:
                    ingest_code = ingest.wait(timeout=args.ingest_wait)
                except subprocess.TimeoutExpired:
                    ingest.terminate()
                    ingest.wait(timeout=30)
            ingest_s = time.monotonic() - ingest_started
            server_cpu = cpu_seconds(server.pid)
        finally:
            if ingest is not None and ingest.poll() is None:
                ingest.terminate()
                ingest.wait(timeout=30)
            server.terminate()
            server.wait(timeout=30)
    ingest_outcomes: dict[str, int] = {}
    for line in (home / "ingest.log").read_text(errors="replace").splitlines():
        outcome = str(json.loads(line).get("outcome")) if line.startswith("{") else "?"
        ingest_outcomes[outcome] = ingest_outcomes.get(outcome, 0) + 1
    serve_log_text = (home / "serve.log").read_text(errors="replace")
    server_log = {key: serve_log_text.count(key) for key in SERVER_LOG_KEYS}
    lines = [ln for ln in serve_log_text.splitlines() if "waitress.queue" not in ln]
    warnings = [ln for ln in lines if " WARNING " in ln or " ERROR " in ln]
    counts, chain_rows, problems = audit_counts(settings)
    answered = {kind: sum(s.ok for s in rec.samples if s.kind == kind) for kind in AUDITED}
    audit_check = {
        action: {"expected": answered[kind], "rows": counts.get(action, 0)}
        for kind, action in AUDITED.items()
    }
    return {
        "pages": info.pages,
        "documents": info.documents,
        "batches": info.batches,
        "store_seconds": info.seconds,
        "reindex_seconds": reindex_s,
        "server_ready_seconds": ready_s,
        "clerks": args.clerks,
        "load_seconds": load_s,
        "requests": len(rec.samples),
        "errors": sum(not s.ok for s in rec.samples),
        "error_examples": rec.errors[:10],
        "latency": latency_rows(rec),
        "ingest_running_through_load": ingest_during,
        "ingest_exit": ingest_code,
        "ingest_seconds": ingest_s,
        "ingest_outcomes": ingest_outcomes,
        "server_cpu_seconds": server_cpu,
        "server_log": server_log,
        "server_warnings": warnings[:30],
        "audit": audit_check,
        "audit_other": {k: v for k, v in counts.items() if k not in AUDITED.values()},
        "audit_chain_rows": chain_rows,
        "audit_chain_problems": problems[:10],
    }


def report(result: dict[str, object]) -> None:
    print(f"\nload: {result['clerks']} clerks, {result['load_seconds']:.0f}s, ", end="")
    print(f"{result['requests']} requests, {result['errors']} errors")
    print("| request | n | errors | p50 ms | p95 ms | max ms | statuses |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in result["latency"]:  # type: ignore[attr-defined]
        print(
            f"| {row['type']} | {row['requests']} | {row['errors']} | {row['p50_ms']:.0f} | "
            f"{row['p95_ms']:.0f} | {row['max_ms']:.0f} | {row['statuses']} |"
        )
    print("\n| audit action | answered requests | audit rows |\n|---|---:|---:|")
    audit: dict[str, dict[str, int]] = result["audit"]  # type: ignore[assignment]
    for action, pair in audit.items():
        print(f"| {action} | {pair['expected']} | {pair['rows']} |")
    print(f"other audit rows: {result['audit_other']}; chain rows {result['audit_chain_rows']},")
    print(f"chain problems: {result['audit_chain_problems'] or 'none'}")
    print(
        f"ingest: running through the whole load: {result['ingest_running_through_load']}, "
        f"exit {result['ingest_exit']}, {result['ingest_seconds']:.0f}s from server start, "
        f"files {result['ingest_outcomes']}; "
        f"server CPU {result['server_cpu_seconds']:.0f}s"
    )
    print(f"server log lines: {result['server_log']}")
    for line in result["server_warnings"]:  # type: ignore[attr-defined]
        print(f"  server: {line}")
    for line in result["error_examples"]:  # type: ignore[attr-defined]
        print(f"  error: {line}")
    matched = all(p["expected"] == p["rows"] for p in audit.values())
    print(f"goal no errors: {'met' if result['errors'] == 0 else 'NOT MET'}")
    print(f"goal one audit row per access: {'met' if matched else 'NOT MET'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=4000, help="archive size in pages")
    parser.add_argument("--clerks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60, help="load duration")
    parser.add_argument("--max-requests", type=int, default=20_000, help="request budget")
    parser.add_argument("--timeout", type=float, default=60, help="per-request timeout (s)")
    parser.add_argument("--web-threads", type=int, help="CHARTROOM_WEB_THREADS (default 8)")
    parser.add_argument("--ingest", type=Path, default=REPO / "sample_scans")
    parser.add_argument("--no-ingest", dest="ingest", action="store_const", const=None)
    parser.add_argument("--serve-log-level", default="INFO", help="the server's log level")
    parser.add_argument("--ingest-wait", type=float, default=300, help="after the load (s)")
    parser.add_argument("--home", type=Path, help="a fresh data folder (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    parser.add_argument("--json", type=Path, help="write the result here too")
    args = parser.parse_args()
    if args.home is not None and args.home.exists() and any(args.home.iterdir()):
        parser.error("--home must be a new or empty folder")
    info = machine_info()
    print_machine(info)
    home = args.home or Path(tempfile.mkdtemp(prefix="chartroom-webload-"))
    home.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args, home)
    finally:
        if args.home is None and not args.keep:
            shutil.rmtree(home, ignore_errors=True)
    report(result)
    result["machine"] = info
    result["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# load average after: {result['load_after']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
