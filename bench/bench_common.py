"""Helpers shared by the OCR benchmarks: machine facts, the bare tesseract and OCRmyPDF
command lines, and a /proc sampler for the resident memory of a process tree.

Every tesseract process the benchmarks start runs with OMP_THREAD_LIMIT=1 (as chartroom's
workers do), so "bare tesseract" and chartroom are compared on equal terms.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH_VENV = REPO / ".venv-bench"
OCRMYPDF = BENCH_VENV / "bin" / "ocrmypdf"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def single_thread_env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    tess = subprocess.run(
        ["tesseract", "--version"], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "ram": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "load_1_5_15": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "python": platform.python_version(),
        "tesseract": tess[0] if tess else "not found",
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
    }


def print_machine(info: dict[str, str]) -> None:
    for key, value in info.items():
        print(f"# {key}: {value}")


def tesseract_text(image: Path, lang: str = "eng", timeout: float = 600) -> str:
    """`tesseract IMAGE - -l LANG`, one thread; the text (a trailing form feed dropped)."""
    proc = subprocess.run(
        ["tesseract", str(image), "-", "-l", lang],
        capture_output=True,
        env=single_thread_env(),
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"tesseract exited {proc.returncode}")
    return proc.stdout.decode("utf-8", "replace").rstrip("\f\n ")


def ocrmypdf_command(
    src: Path, out_pdf: Path, sidecar: Path, jobs: int = 1, image_dpi: int | None = None
) -> list[str]:
    """OCRmyPDF with its own cleanup (`--rotate-pages --deskew --clean`), OCR forced on every
    page, no PDF/A conversion and no optimisation (we score text and time OCR, not PDF size)."""
    cmd = [str(OCRMYPDF), "--rotate-pages", "--deskew", "--clean", "--force-ocr"]
    cmd += ["-l", "eng", "--output-type", "pdf", "--optimize", "0", "--jobs", str(jobs)]
    cmd += ["--quiet", "--sidecar", str(sidecar)]
    if image_dpi is not None:
        cmd += ["--image-dpi", str(image_dpi)]
    return [*cmd, str(src), str(out_pdf)]


def have_ocrmypdf() -> bool:
    return OCRMYPDF.exists()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _subtree(pid: int, children: dict[int, list[int]]) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, []))
    return out


class TreeMemorySampler:
    """Samples a process tree every `period` s: peak RSS of the whole tree and peak RSS of one
    worker. `per_child=True`: each direct child of `root` with its descendants is a worker
    (pool workers with their tesseract runs, or bare tesseract processes); otherwise the
    whole tree is one worker (chartroom in-process: Python plus its tesseract child)."""

    def __init__(self, root: int, per_child: bool, period: float = 0.1) -> None:
        self.root = root
        self.per_child = per_child
        self.period = period
        self.peak_total = 0
        self.peak_worker = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeMemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            children = _children_map()
            total = sum(_rss(p) for p in _subtree(self.root, children))
            self.peak_total = max(self.peak_total, total)
            if not self.per_child:
                self.peak_worker = max(self.peak_worker, total)
                continue
            for child in children.get(self.root, []):
                rss = sum(_rss(p) for p in _subtree(child, children))
                self.peak_worker = max(self.peak_worker, rss)
