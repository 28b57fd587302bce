"""Two (or more) indexes at the same moment: the same queries, alternating between them.

    .venv/bin/python bench/search_ab.py HOME_A HOME_B [--rounds R] [--query Q ...]

Each HOME is a data folder whose index `bench/search_scale.py --build-only` built (of the same
store, e.g. built by two versions of the index writer). One process opens every index, warms
each up, then times `Search.search` on each query, round by round, A then B then A...: a
shared, noisy machine slows both sides alike, so the per-query medians compare the indexes,
not the moments they ran at (bench/search_scale.py's absolute figures move by 1.5x between
runs here). Prints the median ms per query and index, and B's ratio to A.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chartroom.settings import Settings  # noqa: E402

DEFAULT_QUERIES = [
    "heart failure",
    '"shortness of breath"',
    '"invasive ductal carcinoma"',
    "furosemide",
    "tamoxifen~",
    "cellulitis OR appendicitis",
]


def main() -> int:
    from indexer.search import Search

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("homes", nargs="+", type=Path, help="data folders holding an index")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--query", action="append", help="a query (repeatable; default: a mix)")
    args = parser.parse_args()
    queries = args.query or DEFAULT_QUERIES
    with ExitStack() as stack:
        searches = [
            stack.enter_context(Search(Settings.from_env({}, home=home, workers=1)))
            for home in args.homes
        ]
        for search in searches:  # open, and one warm-up round (per-process caches)
            for query in queries:
                search.search(query)
        times: dict[tuple[int, str], list[float]] = {}
        for _ in range(args.rounds):
            for query in queries:
                for n, search in enumerate(searches):
                    started = time.perf_counter()
                    search.search(query)
                    times.setdefault((n, query), []).append(time.perf_counter() - started)
    names = [home.name for home in args.homes]
    print("| query | " + " | ".join(f"{name} ms" for name in names) + " | ratio |")
    print("|---|" + "---|" * len(names) + "---|")
    for query in queries:
        medians = [statistics.median(times[(n, query)]) * 1000 for n in range(len(names))]
        cells = " | ".join(f"{m:.1f}" for m in medians)
        print(f"| `{query}` | {cells} | {medians[-1] / medians[0]:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
