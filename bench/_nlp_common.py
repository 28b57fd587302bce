"""Shared helpers for the clinical NLP benchmarks: machine description and scoring utilities."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import date


def machine() -> str:
    """'nproc N, <CPU model>, <RAM> GB RAM, load <1-min load>, <date>'."""
    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    ram = "?"
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(re.findall(r"\d+", fh.readline())[0])
            ram = f"{kb / 1024 / 1024:.0f}"
    except (OSError, IndexError):
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    load = os.getloadavg()[0]
    return f"nproc {nproc}, {cpu}, {ram} GB RAM, load {load:.1f}, {date.today().isoformat()}"


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


def fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f}"
