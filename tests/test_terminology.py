"""ICD-10-CM data files: complete, consistent, reproducible from models/build_terminology.py."""

from __future__ import annotations

import importlib.util
import re
from importlib import resources
from pathlib import Path

import pytest

from models import build_terminology
from models.terminology import (
    BLOCK,
    ICD10CM_RELEASE,
    cased_terms,
    code_table,
    lower_terms,
)

DATA = Path(build_terminology.__file__).parent / "data"
GENERATED = (
    build_terminology.CODES_FILE,
    build_terminology.TERMS_FILE,
    build_terminology.CASED_FILE,
)


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("simple_icd_10_cm") is None,
    reason="simple_icd_10_cm (the project's `build` extra) is not installed: cannot rebuild",
)
def test_generated_files_rebuild_identically(tmp_path: Path) -> None:
    build_terminology.build(tmp_path)
    for name in GENERATED:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_release_is_a_year_and_month() -> None:
    assert re.fullmatch(r"\d{4}-\d{2}", ICD10CM_RELEASE)


@pytest.mark.parametrize(
    ("code", "description"),
    [
        ("E11.9", "Type 2 diabetes mellitus without complications"),
        ("I10", "Essential (primary) hypertension"),
        ("I50.22", "Chronic systolic (congestive) heart failure"),
        ("E11", "Type 2 diabetes mellitus"),
        ("N18.31", "Chronic kidney disease, stage 3a"),
        ("Z95.1", "Presence of aortocoronary bypass graft"),
        ("QA0.0", "Neurodevelopmental disorders related to pathogenic variants in specific genes"),
        (
            "S72.001A",
            "Fracture of unspecified part of neck of right femur, "
            "initial encounter for closed fracture",
        ),
    ],
)
def test_known_codes(code: str, description: str) -> None:
    assert code_table()[code] == description


def test_code_table_is_complete_and_has_no_chapters_or_blocks() -> None:
    table = code_table()
    assert len(table) > 98_000  # all codes, categories and injury 7th characters included
    assert "A00-A09" not in table
    assert "1" not in table
    assert all(
        re.fullmatch(r"[A-Z](?:[0-9][0-9A-Z]|A[0-9])(\.[0-9A-Z]{1,4})?", code) for code in table
    )


def test_every_term_code_is_in_the_code_table() -> None:
    table = code_table()
    for index in (lower_terms(), cased_terms()):
        assert index.terms
        bad = {t: c for t, c in index.terms.items() if c != BLOCK and c not in table}
        assert not bad


def test_raw_files_only_name_known_codes() -> None:
    table = code_table()
    for name in (build_terminology.TERMS_FILE, build_terminology.CASED_FILE):
        rows = (DATA / name).read_text(encoding="utf-8").splitlines()[1:]
        assert rows == sorted(rows)
        for row in rows:
            _term, code = row.split("\t")
            assert code == BLOCK or code in table, row


def test_curated_terms_are_merged() -> None:
    lower, cased = lower_terms().terms, cased_terms().terms
    for row in build_terminology.read_table(DATA / build_terminology.CURATED_FILE):
        term, code = row[0], row[1]
        if len(row) > 2 and row[2] == "cs":
            assert cased[term] == code
        else:
            assert lower[build_terminology.clean(term.lower())] == code


def test_stop_terms_are_not_generated() -> None:
    lower = lower_terms().terms
    for row in build_terminology.read_table(DATA / build_terminology.STOP_FILE):
        assert row[0] not in lower or row[0] in _curated_lower()


def _curated_lower() -> set[str]:
    rows = build_terminology.read_table(DATA / build_terminology.CURATED_FILE)
    return {r[0].lower() for r in rows if not (len(r) > 2 and r[2] == "cs")}


@pytest.mark.parametrize(
    ("term", "code"),
    [
        ("essential hypertension", "I10"),  # parenthesised qualifier dropped
        ("hyperlipidemia", "E78.5"),  # ", unspecified" dropped
        ("type 2 diabetes mellitus", "E11.9"),  # "without complications" dropped
        ("chronic kidney disease stage 3a", "N18.31"),  # "X, Y" joined
        ("stage 3a chronic kidney disease", "N18.31"),  # "X, Y" reordered
        ("gastroesophageal reflux disease", "K21.9"),
        ("atrial fibrillation", "I48.91"),
    ],
)
def test_generated_variants(term: str, code: str) -> None:
    assert lower_terms().terms[term] == code


def test_data_files_are_package_resources() -> None:
    files = resources.files("models.data")
    for name in (*GENERATED, "section_rules.json", "context_rules.json"):
        assert files.joinpath(name).is_file(), name
