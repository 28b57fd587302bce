"""Memory over a long ingest: RSS of `chartroom ingest` and its workers, sampled from /proc.

    .venv/bin/python bench/ingest_memory.py [--pages 2000] [--per-file 10] [--kind text|ocr]
        [--workers 2] [--json OUT]

Inputs (generated, every page different so that nothing is a duplicate):
- `--kind text` (default): born-digital PDFs (reportlab) of `--per-file` letter pages with a
  text layer of ~30 lines of chart text each. chartroom still renders every page at 300 dpi
  (poppler) and reads its barcodes, but takes the words from the text layer: no tesseract.
- `--kind ocr`: multi-page TIFFs of small real text pages (5.5 x 4.25 in at 200 dpi, ~9 lines)
  that go through cleanup and tesseract.
One `chartroom ingest DIR --json --no-progress` with CHARTROOM_WORKERS into a fresh
CHARTROOM_HOME in /tmp. Every `--period` seconds the RSS of the main process and of each pool
worker (its direct children running the same command line; not their short-lived tesseract or
poppler children) is read from /proc/PID/statm, with the number of files reported so far.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench_common import machine_info, print_machine, single_thread_env
from ingest_speed import CHARTROOM, FONT, SENTENCES
from PIL import Image, ImageDraw, ImageFont
from reportlab.pdfgen import canvas

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MB = 2**20


def write_text_pdf(path: Path, seed: int, pages: int) -> None:
    rng = random.Random(seed)
    c = canvas.Canvas(str(path), pagesize=(612, 792), invariant=1)
    for number in range(pages):
        y = 720.0
        c.setFont("Helvetica-Bold", 12)
        header = f"PROGRESS NOTE  MRN {rng.randint(10**6, 10**7)}  page {number + 1}"
        c.drawString(72, y, header)
        c.setFont("Helvetica", 10)
        for _ in range(30):
            y -= 20
            c.drawString(72, y, f"{rng.choice(SENTENCES)} ({rng.randint(1, 10**6)})")
        c.showPage()
    c.save()


def small_page(seed: int) -> Image.Image:
    """5.5 x 4.25 in at 200 dpi: a header and ~9 lines of 12 pt chart text, 0.5 in margins."""
    rng = random.Random(seed)
    img = Image.new("L", (1100, 850), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 33)
    draw.text((100, 100), f"PROGRESS NOTE  MRN {rng.randint(10**6, 10**7)}", font=font, fill=0)
    words = " ".join(rng.sample(SENTENCES, 6)).split()
    y, line = 180, ""
    for word in words:
        if line and draw.textlength(f"{line} {word}", font=font) > 900:
            draw.text((100, y), line, font=font, fill=0)
            y, line = y + 50, word
            if y > 750:
                return img
        else:
            line = f"{line} {word}".strip()
    draw.text((100, y), line, font=font, fill=0)
    return img


def write_ocr_tiff(path: Path, seed: int, pages: int) -> None:
    frames = [small_page(seed * 1000 + number) for number in range(pages)]
    frames[0].save(path, save_all=True, append_images=frames[1:], dpi=(200, 200))


def generate(out: Path, kind: str, files: int, per_file: int) -> None:
    for i in range(files):
        if kind == "text":
            write_text_pdf(out / f"note_{i:04d}.pdf", i, per_file)
        else:
            write_ocr_tiff(out / f"note_{i:04d}.tif", i, per_file)


def rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def workers_of(root: int) -> list[int]:
    """Direct children of `root` running its command line (forked pool workers)."""
    try:
        wanted = Path(f"/proc/{root}/cmdline").read_bytes()
    except OSError:
        return []
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
            same = Path(f"/proc/{entry.name}/cmdline").read_bytes() == wanted
        except OSError:
            continue
        if same and int(stat.rsplit(")", 1)[1].split()[1]) == root:
            out.append(int(entry.name))
    return sorted(out)


def sample(proc: subprocess.Popen[bytes], done: list[int], period: float) -> list[dict[str, float]]:
    samples: list[dict[str, float]] = []
    t0 = time.monotonic()
    while proc.poll() is None:
        workers = {pid: rss(pid) / MB for pid in workers_of(proc.pid)}
        row = {"t": time.monotonic() - t0, "files": done[0], "main_mb": rss(proc.pid) / MB}
        row["workers_max_mb"] = max(workers.values(), default=0.0)
        row["workers_sum_mb"] = sum(workers.values())
        row["n_workers"] = len(workers)
        samples.append(row)
        time.sleep(period)
    return samples


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    var = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / var if var else 0.0


def report(samples: list[dict[str, float]], files: int, per_file: int) -> dict[str, object]:
    keys = ("main_mb", "workers_max_mb", "workers_sum_mb")
    print(
        "\n| point of the run | files done | elapsed s | main RSS MB | largest worker MB |"
        " all workers MB |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    at: dict[str, dict[str, float]] = {}
    live = [s for s in samples if s["n_workers"] > 0] or samples
    for frac in (0.1, 0.5, 0.9, 1.0):
        hit = next((s for s in live if s["files"] >= frac * files), live[-1])
        at[f"{frac:.0%}"] = hit
        print(
            f"| {frac:.0%} | {hit['files']:.0f} | {hit['t']:.0f} | {hit['main_mb']:.1f} | "
            f"{hit['workers_max_mb']:.1f} | {hit['workers_sum_mb']:.1f} |"
        )
    steady = [s for s in live if s["files"] >= 0.1 * files]
    slopes = {}
    for key in keys:
        per_page = slope([(s["files"] * per_file, s[key]) for s in steady])
        slopes[key] = per_page * 1000
        lo, hi = min(s[key] for s in steady), max(s[key] for s in steady)
        print(
            f"{key}: slope {per_page * 1000:+.2f} MB per 1,000 pages after 10%; "
            f"range {lo:.1f}-{hi:.1f} MB; peak over the run {max(s[key] for s in samples):.1f}"
        )
    return {"at": at, "slope_mb_per_1000_pages": slopes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--per-file", type=int, default=10)
    parser.add_argument("--kind", choices=["text", "ocr"], default="text")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--period", type=float, default=1.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    info = machine_info()
    print_machine(info)
    files = max(1, args.pages // args.per_file)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-mem-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        data, home = tmp / "data", tmp / "home"
        data.mkdir()
        t0 = time.perf_counter()
        generate(data, args.kind, files, args.per_file)
        size = sum(p.stat().st_size for p in data.iterdir()) / MB
        print(
            f"# inputs: {files} {args.kind} files x {args.per_file} pages ({size:.1f} MB), "
            f"generated in {time.perf_counter() - t0:.0f} s",
            flush=True,
        )
        env = single_thread_env()
        env.pop("CHARTROOM_DATABASE_URL", None)
        env.update(CHARTROOM_HOME=str(home), CHARTROOM_WORKERS=str(args.workers))
        cmd = [str(CHARTROOM), "ingest", "--json", "--no-progress", str(data)]
        done = [0]
        outcomes: dict[str, int] = {}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=env)

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                outcome = json.loads(line)["outcome"]
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                done[0] += 1

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        t0 = time.perf_counter()
        samples = sample(proc, done, args.period)
        wall = time.perf_counter() - t0
        reader.join()
        db_mb = sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / MB
        shutil.rmtree(home, ignore_errors=True)
    if proc.returncode != 0 or outcomes.get("stored", 0) != files:
        raise SystemExit(f"ingest exited {proc.returncode}; outcomes {outcomes}")
    pages = files * args.per_file
    print(
        f"# ingest: {pages} pages in {wall:.0f} s ({pages / wall * 60:.0f} pages/min), "
        f"outcomes {outcomes}, {len(samples)} samples, CHARTROOM_HOME {db_mb:.0f} MB"
    )
    result = report(samples, files, args.per_file)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": info,
            "args": vars(args) | {"json": str(args.json)},
            "wall": wall,
            "summary": result,
            "samples": samples,
        }
        args.json.write_text(json.dumps(payload, indent=1, default=str))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
