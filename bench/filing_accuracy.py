"""Filing accuracy: automatic filing rules against a synthetic roster and synthetic documents.

    .venv/bin/python bench/filing_accuracy.py [--seed N] [--patients N] [--text]

Builds (deterministically from --seed) a roster of ~3,000 invented patients and ~800 documents'
identifiers (bench/_filing_corpus.py): cover-sheet barcodes, readable MRNs with name/DOB,
OCR-damaged MRNs (unknown, or landing on a sibling's / twin's consecutive MRN), name + DOB with
typos, twins, near-duplicate names born the same day, nothing, and contradictory documents.
Runs `indexer.filing.decide_filing` on each and reports per category and overall:

  misfiled        filed to the wrong patient, or filed although the document contradicts itself
                  (goal 0)
  auto (MRN/bar)  share filed correctly among documents with a barcode or a readable MRN and no
                  contradiction (goal >= 0.85)
  queued          share sent to the unfiled queue
  truth in cand.  share of queued documents (with a known patient) offering that patient as a
                  candidate

By default Findings are built directly from each document's identifiers (no OCR, no NLP).
`--text` renders each document's header as text with light OCR damage and runs
`models.Extractor` (diagnoses off) on it instead, testing the NLP step and the rules together.
Prints figures and categories only: no names, MRNs or dates.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from dataclasses import dataclass

from _filing_corpus import DocSpec, findings_of, header_text, make_documents, make_roster, pages_of
from bench_common import machine_info, print_machine

from chartroom.settings import Settings
from indexer.filing import decide_filing
from models.types import Findings
from records.types import FilingDecision

READABLE = {
    "barcode + name/DOB",
    "barcode only",
    "barcode + damaged text MRN",
    "MRN + name + DOB",
    "MRN + name",
    "MRN + DOB",
}


@dataclass(frozen=True)
class Result:
    spec: DocSpec
    decision: FilingDecision

    @property
    def misfiled(self) -> bool:
        filed = self.decision.patient_id is not None
        return filed and (self.spec.must_queue or self.decision.patient_id != self.spec.truth)

    @property
    def filed_ok(self) -> bool:
        return self.decision.patient_id is not None and not self.misfiled

    @property
    def queued(self) -> bool:
        return self.decision.patient_id is None

    @property
    def truth_offered(self) -> bool:
        return any(c.patient_id == self.spec.truth for c in self.decision.candidates)


def _findings(docs: list[DocSpec], settings: Settings, text: bool, seed: int) -> list[Findings]:
    if not text:
        return [findings_of(d) for d in docs]
    from models import Extractor

    rng = random.Random(seed + 2)
    headers = [header_text(d, rng) for d in docs]
    start = time.perf_counter()
    extractor = Extractor(settings, diagnoses=False)
    found = list(extractor.extract_many(headers))
    print(f"# NLP: {len(headers)} headers in {time.perf_counter() - start:.1f} s (incl. load)")
    return found


def _share(num: int, den: int) -> str:
    return f"{num / den:.3f}" if den else "-"


def _table(results: list[Result]) -> None:
    by_cat: dict[str, list[Result]] = {}
    for r in results:
        by_cat.setdefault(r.spec.category, []).append(r)
    head = f"{'category':<28} {'n':>4} {'filed ok':>8} {'misfiled':>8} {'queued':>6} "
    print(head + f"{'auto':>6} {'truth in cand.':>14}  rules")
    for cat, rs in by_cat.items():
        ok = sum(r.filed_ok for r in rs)
        bad = sum(r.misfiled for r in rs)
        queued = [r for r in rs if r.queued]
        known = [r for r in queued if r.spec.truth is not None and r.spec.category != "nothing"]
        offered = sum(r.truth_offered for r in known)
        rules = Counter(r.decision.rule for r in rs if r.decision.rule)
        rule_text = ", ".join(f"{k} {v}" for k, v in rules.most_common())
        print(
            f"{cat:<28} {len(rs):>4} {ok:>8} {bad:>8} {len(queued):>6} "
            f"{_share(ok, len(rs)):>6} {_share(offered, len(known)):>14}  {rule_text}"
        )


def _summary(results: list[Result], seconds: float) -> None:
    n = len(results)
    filed = sum(not r.queued for r in results)
    bad = sum(r.misfiled for r in results)
    readable = [r for r in results if r.spec.category in READABLE]
    auto = sum(r.filed_ok for r in readable)
    queued = sum(r.queued for r in results)
    print()
    print(f"documents                     {n}")
    print(f"misfiled                      {bad} ({_share(bad, n)} of all, {_share(bad, filed)} "
          f"of filed; goal 0)")  # fmt: skip
    print(f"auto share, barcode/MRN       {_share(auto, len(readable))} ({auto}/{len(readable)};"
          f" goal >= 0.85)")  # fmt: skip
    print(f"queued overall                {_share(queued, n)} ({queued}/{n})")
    print(f"filing time                   {seconds / n * 1000:.2f} ms/document")
    reasons = Counter(reason for r in results if r.queued for reason in r.decision.reasons)
    print("\nqueue reasons:")
    for reason, count in reasons.most_common():
        print(f"  {count:>4}  {reason}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--patients", type=int, default=3000)
    parser.add_argument("--text", action="store_true", help="extract findings with the NLP step")
    args = parser.parse_args()
    settings = Settings()
    print_machine(machine_info())
    roster = make_roster(args.seed, args.patients)
    docs = make_documents(roster, args.seed)
    print(
        f"# roster: {len(roster.directory.patients)} patients, {len(roster.twins)} twin pairs, "
        f"{len(roster.neighbours)} consecutive-MRN pairs, {len(roster.near_dups)} near-duplicate "
        f"names ({len(roster.same_day_dups)} born the same day); {len(docs)} documents; "
        f"findings from {'header text via models.Extractor' if args.text else 'identifiers'}; "
        f"name_match_threshold {settings.name_match_threshold}"
    )
    findings = _findings(docs, settings, args.text, args.seed)
    start = time.perf_counter()
    results = [
        Result(d, decide_filing(pages_of(d), f, roster.directory, settings))
        for d, f in zip(docs, findings, strict=True)
    ]
    seconds = time.perf_counter() - start
    print()
    _table(results)
    _summary(results, seconds)


if __name__ == "__main__":
    main()
