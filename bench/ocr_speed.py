"""OCR throughput: chartroom's scan against the bare tesseract CLI on the same 300 dpi pages.

    .venv/bin/python bench/ocr_speed.py [--pages N] [--data DIR] [--workers 1,2]
        [--repeat R] [--ocrmypdf] [--json OUT]

Pages: N synthetic letter pages of dense chart text drawn with PIL at 300 dpi (default), or the
first N pages of the files in DIR (PDFs rasterised in grey at 300 dpi). chartroom scans them as
one multi-page TIFF (`scan(tiff, settings.with_(workers=W))`); bare tesseract reads the same
pixels as PNGs, `tesseract PAGE - -l eng` with W processes in parallel; all with
OMP_THREAD_LIMIT=1. Each measurement runs in a fresh child process, configurations interleaved
(bare, chartroom, ... for each W, repeated R times; the best run of each is reported), while a
/proc sampler records the peak resident memory of one worker (a pool worker with its tesseract
child; for W=1 chartroom's process with its tesseract child; for bare, one tesseract).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from bench_common import (
    TreeMemorySampler,
    have_ocrmypdf,
    machine_info,
    ocrmypdf_command,
    print_machine,
    single_thread_env,
    tesseract_text,
)
from PIL import Image, ImageDraw, ImageFont

DPI = 300
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
VOCABULARY = (
    "patient admitted with chest pain shortness of breath denies fever chills nausea vomiting "
    "history of hypertension type 2 diabetes mellitus hyperlipidemia coronary artery disease "
    "metoprolol 25 mg PO BID lisinopril 10 mg daily atorvastatin 40 mg nightly aspirin 81 mg "
    "troponin negative x2 ECG normal sinus rhythm no acute ST changes echocardiogram ejection "
    "fraction 55% mild mitral regurgitation plan continue current medications follow up in "
    "clinic with cardiology 2 weeks creatinine 1.1 potassium 4.2 sodium 138 glucose 142 A1c "
    "7.4% BP 142/88 HR 76 RR 16 SpO2 97% on room air lungs clear to auscultation bilaterally"
)
WORDS = VOCABULARY.split()
HEADINGS = ("HISTORY OF PRESENT ILLNESS:", "MEDICATIONS:", "LABORATORY DATA:", "ASSESSMENT:")


def synthetic_page(seed: int) -> Image.Image:
    """A letter page at 300 dpi: 10 pt text, 1 inch margins, ~4,500 characters, light noise."""
    rng = random.Random(seed)
    img = Image.new("L", (int(8.5 * DPI), 11 * DPI), 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 42)
    bold = ImageFont.truetype(FONT.replace("Sans.ttf", "Sans-Bold.ttf"), 44)
    y, right = DPI, int(7.5 * DPI)
    draw.text((DPI, y), f"DISCHARGE SUMMARY   MRN {rng.randint(10**6, 10**7)}", font=bold, fill=0)
    y += 90
    while y < 10 * DPI - 60:
        if rng.random() < 0.08:
            draw.text((DPI, y + 20), rng.choice(HEADINGS), font=bold, fill=0)
            y += 80
            continue
        line = ""
        while True:
            word = rng.choice(WORDS)
            candidate = f"{line} {word}".strip()
            if draw.textlength(candidate, font=font) > right - DPI:
                break
            line = candidate
        draw.text((DPI, y), line, font=font, fill=0)
        y += 54
    noisy = np.asarray(img, dtype=np.int16) + np.random.default_rng(seed).normal(0, 6, (3300, 2550))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "L")


def pages_from(data: Path, n: int, tmp: Path) -> list[Image.Image]:
    pages: list[Image.Image] = []
    for path in sorted(data.iterdir()):
        suffix = path.suffix.lower()
        if len(pages) >= n or suffix not in {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}:
            continue
        if suffix == ".pdf":
            prefix = tmp / f"r{len(pages)}"
            subprocess.run(
                ["pdftoppm", "-r", str(DPI), "-gray", "-png", str(path), str(prefix)],
                check=True,
                capture_output=True,
            )
            for png in sorted(tmp.glob(f"{prefix.name}-*.png")):
                pages.append(Image.open(png).convert("L"))
            continue
        with Image.open(path) as img:
            for i in range(int(getattr(img, "n_frames", 1))):
                img.seek(i)
                dpi = img.info.get("dpi", (0, 0))[0]
                if abs(float(dpi) - DPI) < 2:  # only pages that really are 300 dpi
                    pages.append(img.convert("L"))
    return pages[:n]


def write_pages(pages: list[Image.Image], out: Path) -> tuple[list[Path], Path]:
    # Fresh copies: Pillow keeps a saved image's encoder settings, and a multi-page TIFF save
    # of images that were just saved as PNG fails on them.
    copies = [page.copy() for page in pages]
    tiff = out / "document.tif"
    copies[0].save(tiff, save_all=True, append_images=copies[1:], dpi=(DPI, DPI))
    pngs = []
    for i, page in enumerate(pages):
        target = out / f"page-{i:03d}.png"
        page.copy().save(target, dpi=(DPI, DPI))
        pngs.append(target)
    return pngs, tiff


# --- child: one measurement in a fresh process -------------------------------------------------


def _cpu() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def child(kind: str, workers: int, work_dir: Path) -> None:
    pngs = sorted(work_dir.glob("page-*.png"))
    tiff = work_dir / "document.tif"
    if kind == "chartroom":
        from chartroom.settings import Settings
        from scanner.pipeline import scan

        settings = Settings.from_env().with_(workers=workers)
    cpu0, t0 = _cpu(), time.perf_counter()
    if kind == "bare":
        with ThreadPoolExecutor(max_workers=workers) as pool:
            words = sum(len(text.split()) for text in pool.map(tesseract_text, pngs))
    elif kind == "chartroom":
        document = scan(tiff, settings)
        words = sum(len(page.words) for page in document.pages)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            cmd = ocrmypdf_command(tiff, Path(tmp) / "o.pdf", Path(tmp) / "s.txt", jobs=workers)
            subprocess.run(cmd, check=True, env=single_thread_env(), capture_output=True)
            words = len((Path(tmp) / "s.txt").read_text().split())
    wall = time.perf_counter() - t0
    result = {
        "wall": wall,
        "cpu": _cpu() - cpu0,
        "words": words,
        "maxrss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "maxrss_self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(result))


def measure(kind: str, workers: int, work_dir: Path, pages: int) -> dict[str, float]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--workers",
        str(workers),
        "--dir",
        str(work_dir),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, env=single_thread_env())
    per_child = kind == "bare" or (kind == "chartroom" and workers > 1)
    with TreeMemorySampler(proc.pid, per_child=per_child) as sampler:
        out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{kind} with {workers} workers failed ({proc.returncode})")
    result: dict[str, float] = json.loads(out.decode().strip().splitlines()[-1])
    result["pages_per_min"] = pages / result["wall"] * 60
    result["cpu_s_per_page"] = result["cpu"] / pages
    result["peak_worker_mb"] = sampler.peak_worker / 2**20
    result["peak_tree_mb"] = sampler.peak_total / 2**20
    print(
        f"  {kind} x{workers}: {result['pages_per_min']:.1f} pages/min, "
        f"{result['cpu_s_per_page']:.2f} CPU s/page, worker peak "
        f"{result['peak_worker_mb']:.0f} MB, {result['words']} words",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=8)
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--ocrmypdf", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--child", choices=["bare", "chartroom", "ocrmypdf"], help=argparse.SUPPRESS
    )
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, int(args.workers), args.dir)
        return

    info = machine_info()
    print_machine(info)
    kinds = ["bare", "chartroom"] + (["ocrmypdf"] if args.ocrmypdf else [])
    if args.ocrmypdf and not have_ocrmypdf():
        raise SystemExit("OCRmyPDF not installed: run bench/setup_ocrmypdf.sh")
    counts = [int(w) for w in args.workers.split(",")]
    runs: dict[str, list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-speed-") as tmp:
        work = Path(tmp)
        if args.data:
            pages = pages_from(args.data, args.pages, work)
        else:
            pages = [synthetic_page(seed) for seed in range(args.pages)]
        if not pages:
            raise SystemExit("no 300 dpi pages found")
        write_pages(pages, work)
        source = f"{args.data} (300 dpi pages)" if args.data else "synthetic dense chart text"
        print(
            f"# pages: {len(pages)} x {pages[0].size[0]}x{pages[0].size[1]} px at {DPI} dpi, "
            f"{source}",
            flush=True,
        )
        for _ in range(args.repeat):
            for w in counts:
                for kind in kinds:
                    runs.setdefault(f"{kind} x{w}", []).append(measure(kind, w, work, len(pages)))

    best = {k: max(v, key=lambda r: r["pages_per_min"]) for k, v in runs.items()}
    print(
        "\n| configuration | pages/min (best) | all runs | CPU s/page | peak MB per worker |"
        " peak MB tree |"
    )
    print("|---|---:|---|---:|---:|---:|")
    for key, r in best.items():
        every = ", ".join(f"{x['pages_per_min']:.1f}" for x in runs[key])
        print(
            f"| {key} | {r['pages_per_min']:.1f} | {every} | {r['cpu_s_per_page']:.2f} | "
            f"{r['peak_worker_mb']:.0f} | {r['peak_tree_mb']:.0f} |"
        )
    print()
    ppm = {k: r["pages_per_min"] for k, r in best.items()}
    for w in counts:
        for base in sorted({1, w}):
            if f"chartroom x{w}" in ppm and f"bare x{base}" in ppm:
                ratio = ppm[f"chartroom x{w}"] / ppm[f"bare x{base}"]
                print(f"ratio chartroom x{w} / bare x{base}: {ratio:.2f}")
        if f"ocrmypdf x{w}" in ppm:
            print(
                f"ratio chartroom x{w} / ocrmypdf x{w}: "
                f"{ppm[f'chartroom x{w}'] / ppm[f'ocrmypdf x{w}']:.2f}"
            )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": info, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
