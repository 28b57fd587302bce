"""Build the ICD-10-CM data files in models/data/ (run `python -m models.build_terminology`).

Reads the ICD-10-CM release shipped by `simple_icd_10_cm` (the project's `build` extra) and writes
sorted, git-diffable files that `models.terminology` loads at run time without that package:

- icd10cm_codes.tsv   every code (categories included, chapters and blocks excluded) -> description
- terms.tsv           lower-case matching term -> code (generated variants + curated_terms.tsv)
- terms_cased.tsv     case-sensitive terms (abbreviations such as "AF", "TIA") -> code

Generated terms come from billable descriptions and inclusion terms, with clinical variants
(parenthesised qualifiers dropped, "unspecified"/NOS/NEC dropped, "X, Y" reordered, ...). A term
reached from several codes maps to their nearest common ancestor code, or is dropped when that
ancestor is a chapter or block. Terms in stop_terms.txt (chart vocabulary) are dropped. Curated
terms override generated ones; a curated code "-" blocks a phrase (it matches and yields nothing).
Running the script twice gives identical files.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
CODES_FILE = "icd10cm_codes.tsv"
TERMS_FILE = "terms.tsv"
CASED_FILE = "terms_cased.tsv"
CURATED_FILE = "curated_terms.tsv"
STOP_FILE = "stop_terms.txt"
BLOCK = "-"

# Chapters whose codes describe injuries and external causes: they need a 7th character and
# their wording ("struck by ...", "initial encounter") does not occur in notes.
EXCLUDED_FIRST_LETTERS = frozenset("STVWXY")
MAX_TOKENS = 8
MIN_CHARS = 3

_TOKEN = re.compile(r"\w+|[^\w\s]")
_SPACES = re.compile(r"\s+")
_PARENS = re.compile(r"\s*\([^()]*\)")
_BRACKETS = re.compile(r"\s*\[[^\[\]]*\]")
_DROP_PHRASES = [
    re.compile(p)
    for p in (
        r",?\s*\bnot elsewhere classified\b",
        r",?\s*\bnot otherwise specified\b",
        r",?\s*\b(?:nos|nec)\b",
        r",?\s*\bwithout (?:mention of )?complications?\b",
        r",?\s*\buncomplicated\b",
        r",?\s*\bsite not specified\b",
        r"\bunspecified (?:site|sites|part|parts) of\s+",
        r",?\s*\bunspecified (?:organism|type|cause|site)\b",
        r",?\s*\bunspecified\b",
    )
]


def clean(text: str) -> str:
    """Collapse whitespace and tidy the punctuation left behind by removals."""
    text = _SPACES.sub(" ", text).strip()
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r",(?:\s*,)+", ",", text)
    text = re.sub(r"^[,\s]+|[,\s]+$", "", text)
    text = re.sub(r"\b(of|with|and|or|in|due to)$", "", text).strip(" ,")
    return text


def variants(description: str) -> list[tuple[str, int]]:
    """Matching terms for one description or inclusion term: (term, priority), 0 = closest."""
    base = clean(_BRACKETS.sub("", description.lower()))
    nos_free = clean(re.sub(r",?\s*\b(?:nos|nec)\b", "", base))
    out: dict[str, int] = {}

    def put(term: str, priority: int) -> None:
        term = clean(term)
        if term and (term not in out or out[term] > priority):
            out[term] = priority

    put(nos_free, 0)
    for form in {_PARENS.sub("", base), base.replace("(", "").replace(")", "")}:
        reduced = form
        for pattern in _DROP_PHRASES:
            reduced = pattern.sub("", reduced)
        for candidate in (form, clean(reduced)):
            put(candidate, 1)
            parts = [p.strip() for p in candidate.split(",")]
            if len(parts) == 2 and all(parts):
                put(f"{parts[0]} {parts[1]}", 1)
                put(f"{parts[1]} {parts[0]}", 1)
    for term, priority in list(out.items()):
        if re.search(r"[a-z]-[a-z]", term):
            put(re.sub(r"(?<=[a-z])-(?=[a-z])", "", term), priority + 1)
            put(re.sub(r"(?<=[a-z])-(?=[a-z])", " ", term), priority + 1)
    return sorted(out.items())


def keep_term(term: str, stop: set[str]) -> bool:
    tokens = _TOKEN.findall(term)
    if len(term) < MIN_CHARS or not tokens or len(tokens) > MAX_TOKENS:
        return False
    if term in stop or term.startswith("other ") or not re.search(r"[a-z]{3}", term):
        return False
    return not re.fullmatch(r"[\d\W]+", term)


def read_table(path: Path) -> list[list[str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append(line.rstrip("\n").split("\t"))
    return rows


def generate(cm: Any, codes: dict[str, str], stop: set[str]) -> dict[str, str]:
    """Generated lower-case terms -> code, collisions resolved to the common ancestor."""
    found: dict[str, tuple[int, set[str]]] = {}
    for code in sorted(codes):
        if code[0] in EXCLUDED_FIRST_LETTERS or cm.is_extended_subcategory(code):
            continue
        sources = list(cm.get_inclusion_term(code))
        if cm.is_leaf(code):
            sources.append(codes[code])
        for source in sources:
            if re.fullmatch(r"[A-Z][A-Z0-9]{1,5}", source.strip()):
                continue  # bare abbreviations are ambiguous in notes: curated_terms.tsv decides
            for term, priority in variants(source):
                if not keep_term(term, stop):
                    continue
                best = found.get(term)
                if best is None or priority < best[0]:
                    found[term] = (priority, {code})
                elif priority == best[0]:
                    best[1].add(code)
    terms = {t: c for t, (_, cs) in found.items() if (c := common_code(cm, cs, codes))}
    return terms


def common_code(cm: Any, group: Iterable[str], codes: dict[str, str]) -> str:
    """The nearest common ancestor that is a code, or "" when there is none."""
    members = sorted(group)
    result = members[0]
    for other in members[1:]:
        result = cm.get_nearest_common_ancestor(result, other)
        if result not in codes:
            return ""
    return result if result in codes else ""


def write_tsv(path: Path, header: str, rows: Iterable[tuple[str, str]]) -> None:
    lines = [header] + [f"{a}\t{b}" for a, b in sorted(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def build(out_dir: Path, data_dir: Path = DATA_DIR) -> dict[str, int]:
    """Write the generated files into out_dir; returns counts for the report."""
    import simple_icd_10_cm as cm  # build time only

    codes = {  # a few descriptions hold tabs or newlines: one line, one tab per row
        code: " ".join(cm.get_description(code).split())
        for code in cm.get_all_codes(True)
        if not cm.is_chapter_or_block(code)
    }
    stop = {row[0].strip().lower() for row in read_table(data_dir / STOP_FILE)}
    terms = generate(cm, codes, stop)
    cased: dict[str, str] = {}
    for row in read_table(data_dir / CURATED_FILE):
        term, code = row[0].strip(), row[1].strip()
        flags = row[2].strip() if len(row) > 2 else ""
        if code != BLOCK and code not in codes:
            raise SystemExit(f"curated term {term!r} names unknown code {code}")
        if flags == "cs":
            cased[term] = code
        else:
            terms[clean(term.lower())] = code
    out_dir.mkdir(parents=True, exist_ok=True)
    write_tsv(out_dir / CODES_FILE, "code\tdescription", codes.items())
    write_tsv(out_dir / TERMS_FILE, "term\tcode", terms.items())
    write_tsv(out_dir / CASED_FILE, "term\tcode", cased.items())
    return {"codes": len(codes), "terms": len(terms), "cased_terms": len(cased)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DATA_DIR, help="output folder")
    args = parser.parse_args(argv)
    counts = build(args.out)
    print(", ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
