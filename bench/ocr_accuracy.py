"""OCR accuracy of chartroom against stock tesseract (and optionally OCRmyPDF), same pages.

    .venv/bin/python bench/ocr_accuracy.py --data DIR [--limit N] [--cleanup STEPS]
        [--ablate] [--ocrmypdf] [--image-dpi N] [--json OUT]

For every image/PDF/TIFF in DIR that has a `<stem>.gt.txt` (pages separated by form feeds):
  stock      `tesseract PAGE - -l eng` on the original (PDF pages rasterised in grey at 300 dpi
             with pdftoppm, multi-page TIFFs split into frames), OMP_THREAD_LIMIT=1;
  chartroom  `scanner.pipeline.scan(path, settings)` page texts;
  ocrmypdf   (--ocrmypdf) OCRmyPDF from .venv-bench (bench/setup_ocrmypdf.sh), sidecar text.
Scores per page (bench/ocr_metrics.py), means per corpus. `--limit N` keeps the first N files
of each corpus. `--ablate` reruns chartroom without each cleanup step in turn, and with none.
Files are processed two at a time for every engine (two single-threaded processes each);
s/page is the time spent inside each file's process divided by its pages.
Prints scores and timings only: no OCR text.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from bench_common import (
    have_ocrmypdf,
    machine_info,
    ocrmypdf_command,
    print_machine,
    single_thread_env,
    tesseract_text,
)
from ocr_metrics import LEVENSHTEIN_BACKEND, PageScore, mean, score_page, split_pages
from PIL import Image

from chartroom.settings import DEFAULT_CLEANUP, Settings

SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf"}
PARALLEL = 2


@dataclass(frozen=True)
class Item:
    path: Path
    corpus: str
    truth: tuple[str, ...]  # one ground-truth text per page


@dataclass
class EngineRun:
    name: str
    pages: dict[str, list[PageScore]]  # file stem -> scores per ground-truth page
    file_seconds: dict[str, float]  # file stem -> seconds inside its process
    seconds: float  # wall time for all files (two at a time)
    failed: set[str]


def corpus_of(stem: str, data: Path) -> str:
    if stem.startswith("funsd_"):
        return "FUNSD"
    if stem.startswith(("tess_", "ocrmypdf_")):
        return "clean pages"
    return data.resolve().name


def find_items(data: Path, limit: int | None, pattern: str) -> list[Item]:
    items: list[Item] = []
    counts: dict[str, int] = {}
    for path in sorted(data.glob(pattern)):
        gt = path.with_name(f"{path.stem}.gt.txt")
        if path.suffix.lower() not in SUFFIXES or not gt.exists():
            continue
        corpus = corpus_of(path.stem, data)
        if limit is not None and counts.get(corpus, 0) >= limit:
            continue
        counts[corpus] = counts.get(corpus, 0) + 1
        truth = tuple(split_pages(gt.read_text(encoding="utf-8")))
        items.append(Item(path, corpus, truth))
    return items


def _score(item: Item, texts: list[str]) -> list[PageScore]:
    n = max(len(item.truth), len(texts))
    truth = list(item.truth) + [""] * (n - len(item.truth))
    ocr = list(texts) + [""] * (n - len(texts))
    return [score_page(o, t) for o, t in zip(ocr, truth, strict=True)]


# --- engines: each takes a path and returns one text per page --------------------------------


def stock_pages(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    with tempfile.TemporaryDirectory(prefix="bench-stock-") as tmp:
        if suffix == ".pdf":
            subprocess.run(
                ["pdftoppm", "-r", "300", "-gray", "-png", str(path), f"{tmp}/p"],
                check=True,
                capture_output=True,
            )
            pages = sorted(Path(tmp).glob("p-*.png"))
        elif suffix in {".tif", ".tiff"} and _frames(path) > 1:
            pages = _split_tiff(path, Path(tmp))
        else:
            pages = [path]
        return [tesseract_text(p) for p in pages]


def _frames(path: Path) -> int:
    with Image.open(path) as img:
        return int(getattr(img, "n_frames", 1))


def _split_tiff(path: Path, out: Path) -> list[Path]:
    pages: list[Path] = []
    with Image.open(path) as img:
        for i in range(int(getattr(img, "n_frames", 1))):
            img.seek(i)
            target = out / f"f-{i:04d}.png"
            dpi = img.info.get("dpi")
            if dpi:
                img.save(target, dpi=tuple(round(float(d)) for d in dpi))
            else:
                img.save(target)
            pages.append(target)
    return pages


def chartroom_pages(
    path: Path, cleanup: tuple[str, ...], overrides: dict[str, int | float | str]
) -> list[str]:
    from scanner.pipeline import scan  # imported in the worker: scanner may still be in progress

    settings = Settings.from_env().with_(workers=1, cleanup=cleanup, **overrides)
    document = scan(path, settings)
    return [page.text for page in document.pages]


def ocrmypdf_pages(path: Path, image_dpi: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="bench-ocrmypdf-") as tmp:
        sidecar, out = Path(tmp) / "side.txt", Path(tmp) / "out.pdf"
        dpi = None
        if path.suffix.lower() != ".pdf":
            with Image.open(path) as img:
                dpi = None if img.info.get("dpi") else image_dpi
        cmd = ocrmypdf_command(path, out, sidecar, jobs=1, image_dpi=dpi)
        proc = subprocess.run(cmd, capture_output=True, env=single_thread_env(), check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"ocrmypdf exited {proc.returncode}")
        return split_pages(sidecar.read_text(encoding="utf-8", errors="replace"))


def _timed(work: Callable[[Path], list[str]], path: Path) -> tuple[list[str], float]:
    started = time.perf_counter()
    texts = work(path)
    return texts, time.perf_counter() - started


def run_engine(
    name: str, items: list[Item], work: Callable[[Path], list[str]], processes: bool
) -> EngineRun:
    """Run one engine over every item, PARALLEL files at a time."""
    pool_type = ProcessPoolExecutor if processes else ThreadPoolExecutor
    started = time.perf_counter()
    run = EngineRun(name, {}, {}, 0.0, set())
    with pool_type(max_workers=PARALLEL) as pool:
        futures = [pool.submit(_timed, work, item.path) for item in items]
        for index, (item, future) in enumerate(zip(items, futures, strict=True)):
            stem = item.path.stem
            try:
                texts, seconds = future.result()
            except Exception as exc:  # score the file as empty, count it, and go on
                print(f"  {name}: file {index} failed: {type(exc).__name__}: {exc}")
                run.failed.add(stem)
                texts, seconds = [], 0.0
            run.pages[stem] = _score(item, texts)
            run.file_seconds[stem] = seconds
    run.seconds = time.perf_counter() - started
    print(f"  {name}: {len(items)} files in {run.seconds:.0f} s", flush=True)
    return run


class _Chartroom:
    """A picklable callable for the process pool."""

    overrides: ClassVar[dict[str, int | float | str]] = {}  # --set KEY=VALUE, every run

    def __init__(self, cleanup: tuple[str, ...]) -> None:
        self.cleanup = cleanup
        self.settings = dict(_Chartroom.overrides)

    def __call__(self, path: Path) -> list[str]:
        return chartroom_pages(path, self.cleanup, self.settings)


class _Ocrmypdf:
    def __init__(self, image_dpi: int) -> None:
        self.image_dpi = image_dpi

    def __call__(self, path: Path) -> list[str]:
        return ocrmypdf_pages(path, self.image_dpi)


# --- reporting -------------------------------------------------------------------------------


def summarise(run: EngineRun, items: list[Item]) -> dict[str, float]:
    scores = [s for item in items for s in run.pages[item.path.stem]]
    seconds = sum(run.file_seconds[item.path.stem] for item in items)
    return {
        "cer": mean(s.cer for s in scores),
        "recall": mean(s.recall for s in scores),
        "precision": mean(s.precision for s in scores),
        "pages": float(len(scores)),
        "s_per_page": seconds / max(1, len(scores)),
        "failed": float(sum(1 for item in items if item.path.stem in run.failed)),
    }


def manifest_baseline(data: Path, items: list[Item]) -> tuple[int, float, float] | None:
    manifest = data / "manifest.csv"
    if not manifest.exists():
        return None
    stems = {item.path.stem for item in items}
    cer, rec = [], []
    with manifest.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("name") in stems and row.get("tess5_cer_nows"):
                cer.append(float(row["tess5_cer_nows"]))
                rec.append(float(row["tess5_bow_recall"]))
    return (len(cer), mean(cer), mean(rec)) if cer else None


def print_table(
    corpus: str, items: list[Item], runs: list[EngineRun], data: Path
) -> dict[str, dict[str, float]]:
    pages = sum(len(runs[0].pages[item.path.stem]) for item in items)
    print(f"\n## {corpus}: {len(items)} files, {pages} pages")
    print("| engine | CER (no ws) | word recall | word precision | s/page | failed files |")
    print("|---|---:|---:|---:|---:|---:|")
    out: dict[str, dict[str, float]] = {}
    for run in runs:
        s = summarise(run, items)
        out[run.name] = s
        print(
            f"| {run.name} | {s['cer']:.4f} | {s['recall']:.4f} | {s['precision']:.4f} "
            f"| {s['s_per_page']:.2f} | {int(s['failed'])} |"
        )
    stock = out.get("stock tesseract")
    if stock:
        for name, s in out.items():
            if name == "stock tesseract":
                continue
            print(
                f"| ratio {name}/stock | {_ratio(s['cer'], stock['cer'])} "
                f"| {_ratio(s['recall'], stock['recall'])} "
                f"| {_ratio(s['precision'], stock['precision'])} "
                f"| {_ratio(s['s_per_page'], stock['s_per_page'])} | |"
            )
    base = manifest_baseline(data, items)
    if base:
        print(
            f"(manifest.csv stock baseline, {base[0]} files: CER {base[1]:.4f}, "
            f"recall {base[2]:.4f})"
        )
    return out


def print_per_file(items: list[Item], runs: list[EngineRun]) -> None:
    """CER and word recall per file and engine (names of benchmark files only, no text)."""
    print("\n| file | pages | " + " | ".join(f"{r.name} CER / recall" for r in runs) + " |")
    print("|---|---:|" + "---:|" * len(runs))
    for item in items:
        cells = []
        for run in runs:
            scores = run.pages[item.path.stem]
            cells.append(
                f"{mean(x.cer for x in scores):.3f} / {mean(x.recall for x in scores):.3f}"
            )
        print(f"| {item.path.name} | {len(item.truth)} | " + " | ".join(cells) + " |")


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.3f}x" if b else "n/a"


def parse_setting(text: str) -> tuple[str, int | float | str]:
    key, _, raw = text.partition("=")
    for kind in (int, float):
        try:
            return key.strip(), kind(raw)
        except ValueError:
            pass
    return key.strip(), raw


def parse_steps(text: str) -> tuple[str, ...]:
    if text.strip().lower() in {"", "none"}:
        return ()
    return tuple(s.strip() for s in text.split(",") if s.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None, help="first N files per corpus")
    parser.add_argument("--glob", default="*", help="file name pattern within DIR")
    parser.add_argument("--cleanup", default=",".join(DEFAULT_CLEANUP), help="steps or 'none'")
    parser.add_argument("--ablate", action="store_true")
    parser.add_argument("--ocrmypdf", action="store_true", help="add OCRmyPDF (.venv-bench)")
    parser.add_argument("--engines", default="stock,chartroom", help="of stock,chartroom,ocrmypdf")
    parser.add_argument(
        "--image-dpi",
        type=int,
        default=100,
        help="OCRmyPDF --image-dpi for images without a resolution",
    )
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--per-file", action="store_true", help="also a table per file")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a chartroom Settings field for every chartroom run",
    )
    args = parser.parse_args()
    _Chartroom.overrides = dict(parse_setting(text) for text in args.set)

    info = machine_info()
    print_machine(info)
    print(f"# levenshtein: {LEVENSHTEIN_BACKEND}")
    items = find_items(args.data, args.limit, args.glob)
    if not items:
        raise SystemExit(f"no files with ground truth in {args.data}")
    cleanup = parse_steps(args.cleanup)
    print(
        f"# {len(items)} files; chartroom cleanup: {','.join(cleanup) or 'none'}; "
        f"settings: {_Chartroom.overrides or 'defaults'}",
        flush=True,
    )

    engines = {e.strip() for e in args.engines.split(",")}
    runs = []
    if "stock" in engines:
        runs.append(run_engine("stock tesseract", items, stock_pages, processes=False))
    if "chartroom" in engines:
        runs.append(run_engine("chartroom", items, _Chartroom(cleanup), processes=True))
    if args.ocrmypdf or "ocrmypdf" in engines:
        if not have_ocrmypdf():
            raise SystemExit("OCRmyPDF not installed: run bench/setup_ocrmypdf.sh")
        runs.append(run_engine("ocrmypdf", items, _Ocrmypdf(args.image_dpi), processes=False))
    if args.ablate:
        for step in cleanup:
            without = tuple(s for s in cleanup if s != step)
            runs.append(run_engine(f"chartroom -{step}", items, _Chartroom(without), True))
        runs.append(run_engine("chartroom no cleanup", items, _Chartroom(()), True))

    summary: dict[str, dict[str, dict[str, float]]] = {}
    for corpus in dict.fromkeys(item.corpus for item in items):
        subset = [item for item in items if item.corpus == corpus]
        summary[corpus] = print_table(corpus, subset, runs, args.data)
    if args.per_file:
        print_per_file(items, runs)
    if args.json:
        report = {
            "machine": info,
            "cleanup": list(cleanup),
            "summary": summary,
            "seconds": {run.name: round(run.seconds, 1) for run in runs},
            "pages": {
                run.name: {k: [s.as_json() for s in v] for k, v in run.pages.items()}
                for run in runs
            },
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
