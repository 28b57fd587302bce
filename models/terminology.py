"""ICD-10-CM code table and matching terms from models/data/ (built by models.build_terminology).

No build-time dependency: the files are plain TSV read once through importlib.resources and cached.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

log = logging.getLogger(__name__)

ICD10CM_RELEASE = "2026-04"  # simple-icd-10-cm 1.5.0 (April 2026 ICD-10-CM); bump with a rebuild
DATA_PACKAGE = "models.data"
CODES_FILE = "icd10cm_codes.tsv"
TERMS_FILE = "terms.tsv"
CASED_FILE = "terms_cased.tsv"
BLOCK = "-"  # a term that matches and yields no diagnosis

_FIRST = re.compile(r"\w+|[^\w\s]")


def first_piece(text: str) -> str:
    """First word or punctuation mark: terms are only looked up where this piece starts one."""
    found = _FIRST.search(text)
    return found.group(0) if found else ""


@dataclass(frozen=True)
class TermIndex:
    """Terms -> code ("-" for blockers), plus the first pieces and length limit for pruning."""

    terms: Mapping[str, str]
    firsts: frozenset[str]  # first word or mark of every term
    prefixes: frozenset[str]  # every term cut before one of its spaces ("chronic kidney")

    @classmethod
    def from_pairs(cls, pairs: dict[str, str]) -> TermIndex:
        firsts = frozenset(first_piece(term) for term in pairs)
        prefixes = set()
        for term in pairs:
            cut = term.rfind(" ")
            while cut > 0:
                prefixes.add(term[:cut])
                cut = term.rfind(" ", 0, cut)
        return cls(MappingProxyType(pairs), firsts, frozenset(prefixes))


def _read_rows(name: str) -> list[tuple[str, str]]:
    """Rows of a two-column TSV without its header (split in C: ~100k rows load in ~50 ms)."""
    text = resources.files(DATA_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    cells = text.rstrip("\n").replace("\n", "\t").split("\t")
    if len(cells) % 2:
        raise ValueError(f"{name} is not a two-column table")  # a corrupt install, not user input
    return list(zip(cells[2::2], cells[3::2], strict=True))


@cache
def code_table() -> Mapping[str, str]:
    """Every valid ICD-10-CM code (with dot, categories included) -> its description."""
    table: Mapping[str, str] = MappingProxyType(dict(_read_rows(CODES_FILE)))
    log.debug("loaded %d ICD-10-CM codes", len(table))
    return table


@cache
def lower_terms() -> TermIndex:
    """Case-insensitive terms (stored lower-case) -> code."""
    return TermIndex.from_pairs(_valid(_read_rows(TERMS_FILE)))


@cache
def cased_terms() -> TermIndex:
    """Case-sensitive terms (abbreviations such as "AF", "TIA") -> code."""
    return TermIndex.from_pairs(_valid(_read_rows(CASED_FILE)))


def _valid(rows: list[tuple[str, str]]) -> dict[str, str]:
    """Keep only terms whose code is in the code table (or blockers), so no stray code leaks out."""
    table = code_table()
    kept = {term: code for term, code in rows if code == BLOCK or code in table}
    if len(kept) != len(rows):
        log.warning(
            "dropped %d terms with codes missing from the code table", len(rows) - len(kept)
        )
    return kept
