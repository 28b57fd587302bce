"""Clinical NLP accuracy: E3C gold, MTSamples silver sections, sample_scans facts, synthetic notes.

    .venv/bin/python bench/nlp_accuracy.py --data /work/shared/eval/clinical [--split held-out]
    .venv/bin/python bench/nlp_accuracy.py --split fresh    # synthetic "fresh" split only
    .venv/bin/python bench/nlp_accuracy.py --split fresh2   # synthetic "fresh2" split only

Splits (sorted by file name / note id): the first half of E3C layer-1 and of the MTSamples notes
is "dev" (looked at while tuning), the second half "held-out" (scored only). Synthetic notes use
disjoint templates and conditions per split (bench/_nlp_synthetic.py). sample_scans are all
reported (their conditions were not tuned on, but the lead's defect report came from one of them).

"fresh" is a third synthetic split (templates written later, once, without reading the rules;
held-out conditions), scored exactly like held-out's synthetic part. It has no E3C or MTSamples
part: those sets only have the two halves, so `--split fresh` reports its synthetic figures
(and, as every run does, sample_scans). "both" is still dev + held-out.

"fresh2" is a fourth synthetic split, a second blind template set of the same shape written
later by someone else (bench/_nlp_synthetic_fresh2.py), built and scored exactly like "fresh"
(same generator, held-out conditions, own seed), with no E3C or MTSamples part either.

E3C: CLINENTITY (disorders and signs/symptoms) vs our diagnoses, lenient span overlap; negation
from the EVENT polarity of the gold entity's head; TIMEX3 class DATE with a full YYYY-MM-DD value
vs our dates (value compared). Our extractor only reads full calendar dates, so relative and
partial TIMEX3 dates ("day 3", "2012") count as misses in recall "all" and are excluded from
recall "full".
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _nlp_common import fmt, machine, overlaps, ratio
from _nlp_synthetic import make_notes

from models.types import Assertion, Findings

ROOT = Path(__file__).resolve().parent.parent
FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def halves(items: list[Any], split: str) -> list[Any]:
    mid = len(items) // 2
    return items[:mid] if split == "dev" else items[mid:]


def e3c(extractor: Any, data: Path, split: str) -> dict[str, Any]:
    folder = data / "e3c_en" / "layer1_gold"
    names = halves(sorted(p.stem for p in folder.glob("*.txt")), split)
    c = Counter[str]()
    for name in names:
        text = (folder / f"{name}.txt").read_text(encoding="utf-8")
        ann = json.loads((folder / f"{name}.ann.json").read_text(encoding="utf-8"))
        f: Findings = extractor.extract(text)
        gold = [(e["begin"], e["end"]) for e in ann.get("CLINENTITY", [])]
        pred = [(d.start, d.end) for d in f.diagnoses]
        c["gold"] += len(gold)
        c["pred"] += len(pred)
        c["gold_found"] += sum(any(overlaps(g, p) for p in pred) for g in gold)
        c["pred_right"] += sum(any(overlaps(p, g) for g in gold) for p in pred)
        events = [(e["begin"], e["end"], e.get("polarity")) for e in ann.get("EVENT", [])]
        for g in gold:
            polarity = [
                pol for s, e, pol in events if overlaps((s, e), g) and pol in ("POS", "NEG")
            ]
            hits = [d for d in f.diagnoses if overlaps((d.start, d.end), g)]
            if not polarity or not hits:
                continue
            gold_neg = "NEG" in polarity
            pred_neg = hits[0].assertion == Assertion.NEGATED
            c["neg_pairs"] += 1
            c["neg_gold"] += gold_neg
            c["neg_right"] += gold_neg == pred_neg
            c["neg_tp"] += gold_neg and pred_neg
            c["neg_pred"] += pred_neg
        timex = [t for t in ann.get("TIMEX3", []) if t.get("timex3Class") == "DATE"]
        full = [t for t in timex if FULL_DATE.match(str(t.get("value", "")))]
        c["dates_gold"] += len(timex)
        c["dates_gold_full"] += len(full)
        c["dates_pred"] += len(f.dates)
        for t in full:
            hit = [m for m in f.dates if overlaps((m.start, m.end), (t["begin"], t["end"]))]
            c["dates_found_full"] += bool(hit)
            c["dates_value_right"] += bool(hit) and hit[0].value == t["value"]
        c["dates_pred_on_timex"] += sum(
            any(overlaps((m.start, m.end), (t["begin"], t["end"])) for t in timex) for m in f.dates
        )
    return {
        "documents": len(names),
        "disorder_precision": ratio(c["pred_right"], c["pred"]),
        "disorder_recall": ratio(c["gold_found"], c["gold"]),
        "gold_entities": c["gold"],
        "negation_accuracy": ratio(c["neg_right"], c["neg_pairs"]),
        "negation_pairs": c["neg_pairs"],
        "negated_gold": c["neg_gold"],
        "negation_recall": ratio(c["neg_tp"], c["neg_gold"]),
        "negation_precision": ratio(c["neg_tp"], c["neg_pred"]),
        "dates_gold_DATE": c["dates_gold"],
        "dates_gold_full": c["dates_gold_full"],
        "date_recall_full": ratio(c["dates_found_full"], c["dates_gold_full"]),
        "date_value_right_full": ratio(c["dates_value_right"], c["dates_found_full"]),
        "date_recall_all": ratio(c["dates_found_full"], c["dates_gold"]),
        "date_precision": ratio(c["dates_pred_on_timex"], c["dates_pred"]),
    }


DX_SECTIONS = {"diagnoses", "assessment", "impression", "assessment_and_plan", "problem_list"}


def mtsamples(extractor: Any, data: Path, split: str) -> dict[str, Any]:
    folder = data / "mtsamples"
    metas = [json.loads(line) for line in (folder / "notes_meta.jsonl").open(encoding="utf-8")]
    metas = halves(sorted(metas, key=lambda m: int(m["note_id"])), split)
    c = Counter[str]()
    for meta in metas:
        sections = meta.get("silver_dx_sections") or []
        if not sections:
            continue
        text = (folder / "notes" / f"{meta['id']}.txt").read_text(encoding="utf-8")
        f: Findings = extractor.extract(text)
        c["notes"] += 1
        inside = [
            d
            for d in f.diagnoses
            if any(overlaps((d.start, d.end), (s["start"], s["end"])) for s in sections)
        ]
        c["notes_with_dx"] += bool(inside)
        c["dx_in_silver"] += len(inside)
        c["dx_section_agrees"] += sum(d.section in DX_SECTIONS for d in inside)
        c["dx_affirmed"] += sum(d.assertion == Assertion.AFFIRMED for d in inside)
        c["dx_total"] += len(f.diagnoses)
    return {
        "notes_with_silver_sections": c["notes"],
        "share_of_notes_with_a_dx_in_silver_section": ratio(c["notes_with_dx"], c["notes"]),
        "dx_in_silver_sections": c["dx_in_silver"],
        "their_section_is_a_dx_section": ratio(c["dx_section_agrees"], c["dx_in_silver"]),
        "their_assertion_is_affirmed": ratio(c["dx_affirmed"], c["dx_in_silver"]),
    }


FACT_ROLES = {
    "admission_date": "admission",
    "discharge_date": "discharge",
    "date_of_service": "service",
}


def written(iso: str, text: str) -> bool:
    """Whether the date `iso` is written in `text` in a common chart format (a manifest fact
    such as an admission date may be known about a document without being written in it)."""
    day = date.fromisoformat(iso)
    forms = {
        iso,
        f"{day:%m/%d/%Y}",
        f"{day.month}/{day.day}/{day.year}",
        f"{day:%m/%d/%y}",
        f"{day:%m-%d-%Y}",
        f"{day:%m-%d-%y}",
        f"{day.month}-{day.day}-{day:%y}",
        f"{day:%B} {day.day}, {day.year}",
        f"{day:%b} {day.day}, {day.year}",
        f"{day.day} {day:%b} {day.year}",
        f"{day:%d-%b-%Y}".upper(),
        f"{day:%Y%m%d}",
    }
    lowered = text.lower()
    return any(form.lower() in lowered for form in forms)


def sample_scans(extractor: Any) -> dict[str, Any]:
    manifest = json.loads((ROOT / "sample_scans" / "manifest.json").read_text(encoding="utf-8"))
    c = Counter[str]()
    misses: list[str] = []
    for entry in manifest["files"]:
        text = (ROOT / "sample_scans" / entry["ground_truth"]).read_text(encoding="utf-8")
        f: Findings = extractor.extract(text)
        ids = {(i.kind, i.value) for i in f.identifiers}
        dates = {(m.value, str(m.role)) for m in f.dates}
        for doc in entry["documents"]:
            facts = doc.get("facts", {})
            for cond in doc.get("conditions", []):
                words = [re.escape(w) for w in cond["text"].split()]
                found = re.search(r"\s+".join(words), text)
                pos = found.start() if found else -1
                span = found.span() if found else (-1, -1)
                hits = [d for d in f.diagnoses if pos >= 0 and overlaps((d.start, d.end), span)]
                c["conditions"] += 1
                c["conditions_found"] += bool(hits)
                ok = bool(hits) and str(hits[-1].assertion) == cond["status"]
                c["conditions_right"] += ok
                if not ok:
                    got = str(hits[-1].assertion) if hits else "not found"
                    misses.append(f"{entry['ground_truth']}: {cond['status']} -> {got}")
            checks = []
            if "mrn" in facts:
                checks.append(("mrn", facts["mrn"]) in ids)
            if "dob" in facts:
                checks.append(("dob", facts["dob"]) in ids)
            if "sex" in facts:
                checks.append(("sex", facts["sex"]) in ids)
            if "patient_name" in facts:
                checks.append(("patient_name", facts["patient_name"].upper()) in ids)
            for key, role in FACT_ROLES.items():
                if key in facts and written(facts[key], text):
                    right_value = any(v == facts[key] for v, _ in dates)
                    c["dates"] += 1
                    c["dates_value"] += right_value
                    c["dates_role"] += (facts[key], role) in dates
            c["facts"] += len(checks)
            c["facts_right"] += sum(checks)
    return {
        "conditions": c["conditions"],
        "condition_found": ratio(c["conditions_found"], c["conditions"]),
        "condition_assertion_right": ratio(c["conditions_right"], c["conditions"]),
        "identifier_facts_right": ratio(c["facts_right"], c["facts"]),
        "identifier_facts": c["facts"],
        "header_dates": c["dates"],
        "header_date_value_right": ratio(c["dates_value"], c["dates"]),
        "header_date_role_right": ratio(c["dates_role"], c["dates"]),
        "misses": misses,
    }


SYNTHETIC_SEEDS = {"dev": 1, "held-out": 2, "fresh": 3, "fresh2": 4}
SYNTHETIC_ONLY = {"fresh", "fresh2"}  # no E3C or MTSamples half to score


def synthetic(extractor: Any, split: str, n: int) -> dict[str, Any]:
    notes = make_notes(split, n, seed=SYNTHETIC_SEEDS[split])
    c = Counter[str]()
    confusion = Counter[str]()  # "gold->predicted" assertion of the right-category mention
    for note in notes:
        f: Findings = extractor.extract(note.text)
        pred = [(d.start, d.end, d.code[:3], str(d.assertion)) for d in f.diagnoses]
        gold = note.mentions
        c["gold"] += len(gold)
        c["pred"] += len(pred)
        for g in gold:
            hit = [p for p in pred if overlaps((p[0], p[1]), (g.start, g.end))]
            c["found"] += bool(hit)
            c["code_right"] += any(p[2] == g.category for p in hit)
            both = any(p[2] == g.category and p[3] == g.assertion for p in hit)
            c["code_and_assertion_right"] += both
            right_code = [p for p in hit if p[2] == g.category]
            said = "not found" if not right_code else (g.assertion if both else right_code[0][3])
            confusion[f"{g.assertion}->{said}"] += 1
            if g.assertion in ("affirmed", "negated") and hit:
                c["neg_pairs"] += 1
                c["neg_right"] += (hit[0][3] == "negated") == (g.assertion == "negated")
        for p in pred:
            c["pred_right"] += any(
                overlaps((p[0], p[1]), (g.start, g.end))
                and p[2] == g.category
                and p[3] == g.assertion
                for g in gold
            )
        for gd in note.dates:
            on = [m for m in f.dates if overlaps((m.start, m.end), (gd.start, gd.end))]
            c["dates"] += 1
            c["date_found"] += bool(on)
            c["date_value"] += bool(on) and on[0].value == gd.value
            c["date_role"] += bool(on) and str(on[0].role) == gd.role
    return {
        "notes": n,
        "mentions": c["gold"],
        "precision_category_and_assertion": ratio(c["pred_right"], c["pred"]),
        "recall_category_and_assertion": ratio(c["code_and_assertion_right"], c["gold"]),
        "recall_category": ratio(c["code_right"], c["gold"]),
        "negation_accuracy": ratio(c["neg_right"], c["neg_pairs"]),
        "dates": c["dates"],
        "date_value_right": ratio(c["date_value"], c["dates"]),
        "date_role_right": ratio(c["date_role"], c["dates"]),
        "assertion_confusion": dict(sorted(confusion.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/eval/clinical"))
    parser.add_argument(
        "--split",
        choices=["dev", "held-out", "both", "fresh", "fresh2"],
        default="both",
        help="both = dev + held-out; fresh / fresh2 = the third / fourth synthetic split only "
        "(no E3C or MTSamples part: they have only the dev and held-out halves)",
    )
    parser.add_argument("--synthetic-notes", type=int, default=300)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    from models import Extractor

    started = time.perf_counter()
    extractor = Extractor()
    results: dict[str, Any] = {"machine": machine(), "splits": {}}
    splits = ["dev", "held-out"] if args.split == "both" else [args.split]
    for split in splits:
        figures: dict[str, Any] = {}
        if split not in SYNTHETIC_ONLY:
            figures["e3c"] = e3c(extractor, args.data, split)
            figures["mtsamples_silver"] = mtsamples(extractor, args.data, split)
        figures["synthetic"] = synthetic(extractor, split, args.synthetic_notes)
        results["splits"][split] = figures
    results["sample_scans"] = sample_scans(extractor)
    results["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"machine: {results['machine']}")
    for split, parts in results["splits"].items():
        for name, figures in parts.items():
            shown = ", ".join(
                f"{k}={fmt(v) if isinstance(v, float) else v}" for k, v in figures.items()
            )
            print(f"[{split}] {name}: {shown}")
    scans = results["sample_scans"]
    shown = ", ".join(
        f"{k}={fmt(v) if isinstance(v, float) else v}" for k, v in scans.items() if k != "misses"
    )
    print(f"[all] sample_scans: {shown}")
    for miss in scans["misses"]:
        print(f"    miss: {miss}")
    print(f"took {results['seconds']} s")


if __name__ == "__main__":
    main()
