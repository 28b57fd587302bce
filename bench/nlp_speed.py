"""Clinical NLP speed: notes/s per core on ~2 KB notes, start-up, memory per worker, levers.

    .venv/bin/python bench/nlp_speed.py [--notes 300] [--big-mb 5]

CPU time (time.process_time) is reported beside wall time: the bench machine is shared and noisy.
The headline repeats one 2 KB note (spaCy's tokenizer cache then holds all its words); the
first-pass figure runs distinct text (sample_scans, cut into 2 KB pieces) through fresh Extractors.
Levers measured in the same run: medspaCy's Sectionizer vs chartroom's regex section tagger (per
note, same header vocabulary), and the piece size of the pipeline (MAX_CHUNK_CHARS).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _nlp_common import machine

ROOT = Path(__file__).resolve().parent.parent
NOTE_FILE = ROOT / "sample_scans" / "discharge_summary_brindlemoor.gt.txt"

STARTUP = """
import time, resource
t0 = time.perf_counter(); c0 = time.process_time()
from models import Extractor
ex = Extractor()
ex.extract("Assessment: hypertension.")
import json
print(json.dumps({"wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def notes_2kb() -> list[str]:
    text = NOTE_FILE.read_text(encoding="utf-8")
    return [text[:2048]]


def rate(extractor: Any, texts: list[str], n: int) -> tuple[float, float]:
    """(notes per CPU second, notes per wall second) over n notes through extract_many."""
    batch = (texts * (n // len(texts) + 1))[:n]
    list(extractor.extract_many(batch[:20]))  # warm caches
    c0, t0 = time.process_time(), time.perf_counter()
    list(extractor.extract_many(batch))
    return n / (time.process_time() - c0), n / (time.perf_counter() - t0)


def first_pass_rate(rounds: int = 3) -> dict[str, float]:
    """2 KB notes per CPU second on text a fresh Extractor has not seen: the 12 sample_scans
    ground-truth texts cut into ~2 KB pieces, each piece extracted once per fresh Extractor (no
    tokenizer cache or vocabulary built from it yet), over a few rounds."""
    from models import Extractor

    pieces = []
    for path in sorted(NOTE_FILE.parent.glob("*.gt.txt")):
        text = path.read_text(encoding="utf-8")
        pieces += [text[i : i + 2048] for i in range(0, len(text), 2048)]
    chars, cpu = 0, 0.0
    for _ in range(rounds):
        extractor = Extractor()
        extractor.extract("Assessment: hypertension.")
        c0 = time.process_time()
        list(extractor.extract_many(pieces))
        cpu += time.process_time() - c0
        chars += sum(len(p) for p in pieces)
    return {"pieces": len(pieces), "notes_2kb_per_cpu_second": chars / 2048 / cpu}


def sectionizer_cost(texts: list[str], n: int) -> dict[str, float]:
    """ms per note: medspaCy's Sectionizer (on a tokenised doc) vs models.sections.find_headers."""
    import medspacy  # noqa: F401
    import spacy
    from medspacy.section_detection import SectionRule

    from models.assertion import _load_rules
    from models.sections import find_headers

    nlp = spacy.blank("en")
    sectionizer: Any = nlp.add_pipe(
        "medspacy_sectionizer", config={"rules": None, "span_attrs": None}
    )
    sectionizer.add(
        [SectionRule.from_dict(r) for r in _load_rules("section_rules.json", "section_rules")]
    )
    docs = [nlp.make_doc(t) for t in texts]
    c0 = time.process_time()
    for i in range(n):
        sectionizer(docs[i % len(docs)])
    medspacy_ms = (time.process_time() - c0) / n * 1000
    c0 = time.process_time()
    for i in range(n):
        find_headers(texts[i % len(texts)])
    regex_ms = (time.process_time() - c0) / n * 1000
    return {"medspacy_sectionizer_ms": medspacy_ms, "regex_sections_ms": regex_ms}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=300)
    parser.add_argument("--big-mb", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    out: dict[str, Any] = {"machine": machine()}
    start = subprocess.run(
        [sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True, cwd=ROOT
    )
    out["startup"] = json.loads(start.stdout.strip().splitlines()[-1])

    import models.pipeline as pipeline
    from models import Extractor

    extractor = Extractor()
    texts = notes_2kb()
    out["note_chars"] = len(texts[0])
    cpu_rate, wall_rate = rate(extractor, texts, args.notes)
    out["notes_per_cpu_second"] = cpu_rate
    out["notes_per_wall_second"] = wall_rate
    single_c0 = time.process_time()
    for _ in range(50):
        extractor.extract(texts[0])
    out["notes_per_cpu_second_one_by_one"] = 50 / (time.process_time() - single_c0)
    out["first_pass_sample_scans"] = first_pass_rate()
    out["levers"] = sectionizer_cost(texts, 100)
    sizes: dict[str, float] = {}
    original = pipeline.MAX_CHUNK_CHARS
    long_text = (texts[0] + "\n\n") * 50
    for size in (400, 800, 1600, 6000):
        pipeline.MAX_CHUNK_CHARS = size
        c0 = time.process_time()
        extractor.extract(long_text)
        sizes[str(size)] = (time.process_time() - c0) * 1000 / 50
    pipeline.MAX_CHUNK_CHARS = original
    out["levers"]["ms_per_2kb_by_piece_size"] = sizes
    big = (texts[0] + "\n\n") * int(args.big_mb * 1_000_000 / (len(texts[0]) + 2))
    c0, t0 = time.process_time(), time.perf_counter()
    extractor.extract(big)
    out["big"] = {
        "chars": len(big),
        "cpu_s": time.process_time() - c0,
        "wall_s": time.perf_counter() - t0,
    }
    out["rss_mb_after_big"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
