"""End-to-end ingest throughput: `chartroom ingest` against `chartroom scan` on the same files.

    .venv/bin/python bench/ingest_speed.py [--samples DIR] [--generated N] [--workers 1,2]
        [--repeat R] [--json OUT]

Inputs: the 12 files of sample_scans/ (21 pages, copied into a temporary folder) and N
generated 300 dpi chart pages (PIL text pages of several paragraphs, written as 3-page TIFFs).
For each worker count W and each repeat, in one run and interleaved (the order alternates
between repeats), it times in fresh processes with CHARTROOM_WORKERS=W:

- scan:   `chartroom scan FILES --json` (the scanner alone: scanner.pipeline.scan_many);
- ingest: `chartroom ingest FILES --json --no-progress` into a fresh CHARTROOM_HOME in /tmp
  (check, blob store, the same scan_many, NLP, filing, one transaction per file, index journal);
- the fixed cost: the same two commands on one born-digital 1-page PDF (no OCR), whose
  difference is start-up (spaCy model, database, index) rather than per-page work.

CPU time is the rusage of the command and all its waited-for descendants (pool workers and
their tesseract runs), from os.wait4: the robust figure on a shared machine.
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
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench_common import REPO, TreeMemorySampler, machine_info, print_machine, single_thread_env
from PIL import Image, ImageDraw, ImageFont

CHARTROOM = REPO / ".venv" / "bin" / "chartroom"
SCAN_SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
FIXED_FILE = "letter_fenwhistle.pdf"  # born-digital, one page, read from its text layer
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
SENTENCES = (
    "The patient presented with shortness of breath and chest pain on exertion.",
    "History of hypertension and type 2 diabetes mellitus, on metformin 500 mg twice daily.",
    "Denies fever, chills, nausea or vomiting. No history of tobacco use.",
    "Blood pressure 142/88, heart rate 76, oxygen saturation 97% on room air.",
    "Lungs clear to auscultation bilaterally; no peripheral edema.",
    "Troponin negative twice; ECG shows normal sinus rhythm without acute changes.",
    "Assessment: stable angina, hyperlipidemia, chronic kidney disease stage 2.",
    "Plan: continue lisinopril 10 mg daily and atorvastatin 40 mg nightly.",
    "Follow up in cardiology clinic in two weeks with a repeat lipid panel.",
    "Echocardiogram showed an ejection fraction of 55% with mild mitral regurgitation.",
)
HEADINGS = ("HISTORY OF PRESENT ILLNESS", "PAST MEDICAL HISTORY", "EXAMINATION", "PLAN")


@dataclass
class Run:
    kind: str  # "scan" or "ingest"
    workers: int
    inputs: str  # "pages" or "fixed"
    pages: int
    wall: float
    cpu: float
    peak_tree_mb: float
    peak_worker_mb: float

    @property
    def pages_per_min(self) -> float:
        return self.pages / self.wall * 60

    @property
    def cpu_per_page(self) -> float:
        return self.cpu / self.pages


def chart_page(seed: int, dpi: int = 300) -> Image.Image:
    """A letter page at `dpi`: a header and four paragraphs of 12 pt chart text."""
    rng = random.Random(seed)
    img = Image.new("L", (int(8.5 * dpi), 11 * dpi), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, int(12 * dpi / 72))
    step, left, right = int(12 * dpi / 72 * 1.5), dpi, int(7.5 * dpi)
    y = dpi
    draw.text((left, y), f"PROGRESS NOTE   MRN {rng.randint(10**6, 10**7)}", font=font, fill=0)
    y += 2 * step
    for heading in HEADINGS:
        draw.text((left, y), heading + ":", font=font, fill=0)
        y += step
        words = " ".join(rng.sample(SENTENCES, 4)).split()
        line = ""
        for word in words:
            if line and draw.textlength(f"{line} {word}", font=font) > right - left:
                draw.text((left, y), line, font=font, fill=0)
                y, line = y + step, word
            else:
                line = f"{line} {word}".strip()
        draw.text((left, y), line, font=font, fill=0)
        y += 2 * step
    return img


def prepare(samples: Path, generated: int, out: Path) -> tuple[list[Path], int, Path]:
    """Copy the sample scans and write the generated pages; the files, their pages, and the
    1-page born-digital PDF used for the fixed cost."""
    files = []
    for path in sorted(samples.iterdir()):
        if path.suffix.lower() in SCAN_SUFFIXES:
            files.append(Path(shutil.copy2(path, out / path.name)))
    pages = [chart_page(seed) for seed in range(generated)]
    for start in range(0, generated, 3):
        chunk = pages[start : start + 3]
        target = out / f"generated_{start // 3:02d}.tif"
        chunk[0].save(target, save_all=True, append_images=chunk[1:], dpi=(300, 300))
        files.append(target)
    fixed_dir = out / "fixed"
    fixed_dir.mkdir()
    fixed = Path(shutil.copy2(samples / FIXED_FILE, fixed_dir / FIXED_FILE))
    return files, count_pages(files), fixed


def count_pages(files: list[Path]) -> int:
    from chartroom.settings import Settings
    from scanner import filetypes, loaders

    settings = Settings.from_env()
    return sum(loaders.page_count(f, filetypes.check_input(f, settings), settings) for f in files)


def run_command(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, float, int, int]:
    """Run `cmd`; (wall s, CPU s of it and its descendants, peak tree RSS, peak worker RSS)."""
    with log.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        with TreeMemorySampler(proc.pid, per_child=True, period=0.5) as sampler:
            _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[1]} exited {proc.returncode}; see {log}")
    cpu = usage.ru_utime + usage.ru_stime
    return wall, cpu, sampler.peak_total, sampler.peak_worker


def measure(kind: str, workers: int, files: list[Path], pages: int, tmp: Path) -> Run:
    env = single_thread_env()
    env["CHARTROOM_WORKERS"] = str(workers)
    env.pop("CHARTROOM_DATABASE_URL", None)
    home = Path(tempfile.mkdtemp(prefix="home-", dir=tmp))
    env["CHARTROOM_HOME"] = str(home)
    if kind == "scan":
        cmd = [str(CHARTROOM), "scan", "--json", *map(str, files)]
    else:
        cmd = [str(CHARTROOM), "ingest", "--json", "--no-progress", *map(str, files)]
    log = tmp / f"{kind}-{workers}-{len(files)}-{time.monotonic_ns()}.log"
    wall, cpu, tree, worker = run_command(cmd, env, log)
    lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    if kind == "ingest":
        bad = [x for x in lines if x.get("outcome") != "stored"]
        if bad or len(lines) != len(files):
            raise SystemExit(f"ingest: {len(lines)} outcomes, not stored: {bad}")
    elif len(lines) != len(files) or any("error" in x for x in lines):
        raise SystemExit(f"scan: unexpected output in {log}")
    shutil.rmtree(home, ignore_errors=True)
    inputs = "fixed" if len(files) == 1 else "pages"
    run = Run(kind, workers, inputs, pages, wall, cpu, tree / 2**20, worker / 2**20)
    print(
        f"  {kind:6} x{workers} {inputs:5}: {run.wall:6.1f} s wall, {run.pages_per_min:5.1f} "
        f"pages/min, {run.cpu_per_page:.2f} CPU s/page, tree peak {run.peak_tree_mb:.0f} MB",
        flush=True,
    )
    return run


def summarize(runs: list[Run], counts: list[int]) -> None:
    def pick(kind: str, w: int, inputs: str) -> list[Run]:
        return [r for r in runs if r.kind == kind and r.workers == w and r.inputs == inputs]

    print(
        "\n| workers | repeat | scan pages/min | ingest pages/min | wall ratio ingest/scan |"
        " scan CPU s/page | ingest CPU s/page | CPU overhead | fixed cost (wall / CPU s) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for w in counts:
        scans, ingests = pick("scan", w, "pages"), pick("ingest", w, "pages")
        fscans, fingests = pick("scan", w, "fixed"), pick("ingest", w, "fixed")
        for i, (s, g, fs, fg) in enumerate(zip(scans, ingests, fscans, fingests, strict=True)):
            print(
                f"| {w} | {i + 1} | {s.pages_per_min:.1f} | {g.pages_per_min:.1f} | "
                f"{g.wall / s.wall:.3f} | {s.cpu_per_page:.2f} | {g.cpu_per_page:.2f} | "
                f"{(g.cpu - s.cpu) / s.cpu:+.1%} | "
                f"{fg.wall - fs.wall:.1f} / {fg.cpu - fs.cpu:.1f} |"
            )
    print("\nPer-page overhead with the fixed start-up cost taken out (same repeat):")
    for w in counts:
        for s, g, fs, fg in zip(
            pick("scan", w, "pages"),
            pick("ingest", w, "pages"),
            pick("scan", w, "fixed"),
            pick("ingest", w, "fixed"),
            strict=True,
        ):
            wall = (g.wall - (fg.wall - fs.wall)) / s.wall - 1
            cpu = (g.cpu - (fg.cpu - fs.cpu)) / s.cpu - 1
            print(f"  x{w}: wall {wall:+.1%}, CPU {cpu:+.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=Path, default=REPO / "sample_scans")
    parser.add_argument("--generated", type=int, default=6, help="300 dpi pages to add")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    info = machine_info()
    print_machine(info)
    counts = [int(w) for w in args.workers.split(",")]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        data = tmp / "data"
        data.mkdir()
        files, pages, fixed = prepare(args.samples, args.generated, data)
        print(f"# inputs: {len(files)} files, {pages} pages; fixed cost on {FIXED_FILE}")
        for rep in range(args.repeat):
            order = ["scan", "ingest"] if rep % 2 == 0 else ["ingest", "scan"]
            for w in counts:
                for kind in order:
                    runs.append(measure(kind, w, [fixed], 1, tmp))
                    runs.append(measure(kind, w, files, pages, tmp))
    summarize(runs, counts)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"machine": info, "runs": [asdict(r) for r in runs]}
        args.json.write_text(json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
