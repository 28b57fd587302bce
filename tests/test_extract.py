"""End to end: models.extract on realistic and hostile input (real spaCy and medspaCy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from models import Extractor, extract, findings_as_json
from models.types import Assertion, DateRole, DocumentType, Findings

# Invented people and hospital; the OCR damage is deliberate (O for 0, l for 1, hyphenation).
NOTE = """ST. ELSEWHERE GENERAL HOSPITAL
DISCHARGE SUMMARY
Patient: DOE, JANE            MRN: 0O123456
DOB: 03/l4/1950   Sex: F
Admission Date: 03/10/2019    Discharge Date: 03/14/2019
Attending: Dr. Alan Grant

HISTORY OF PRESENT ILLNESS:
The patient is a 69-year-old woman with a history of type 2 diabetes mellitus and
hypertension who presented with three days of productive cough and fever. She denies
chest pain.

FAMILY HISTORY:
Mother with coronary artery disease.

HOSPITAL COURSE:
The patient was admitted with community acquired pneu-
monia and treated with ceftriaxone.  Pulmonary embolism was ruled out.

DISCHARGE DIAGNOSES:
1. Community acquired pneumonia
2. Type 2 diabetes mellitus
3. Hypertension

FOLLOW UP: Primary care on 03/21/2019.

Electronically signed by Alan Grant, MD on 03/15/2019 10:32
"""


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


@pytest.fixture(scope="module")
def findings(extractor: Extractor) -> Findings:
    return extractor.extract(NOTE)


def test_offsets_point_into_the_input(findings: Findings) -> None:
    for d in findings.diagnoses:
        assert NOTE[d.start : d.end] == d.text
    for m in findings.dates:
        assert NOTE[m.start : m.end] == m.text
    for i in findings.identifiers:
        assert NOTE[i.start : i.end] == i.text


def test_diagnoses(findings: Findings) -> None:
    by_code = {(d.code, d.assertion) for d in findings.diagnoses}
    assert ("J18.9", Assertion.AFFIRMED) in by_code
    assert ("E11.9", Assertion.AFFIRMED) in by_code
    assert ("I10", Assertion.AFFIRMED) in by_code
    assert [d.start for d in findings.diagnoses] == sorted(d.start for d in findings.diagnoses)
    assert all(d.release for d in findings.diagnoses)
    # the hyphenated word is found, and its text is the input as given
    joined = [d for d in findings.diagnoses if "pneu-\nmonia" in d.text]
    assert joined and joined[0].code == "J18.9"


def test_assertions(findings: Findings) -> None:
    negated = {d.code for d in findings.diagnoses if d.assertion == Assertion.NEGATED}
    family = {d.code for d in findings.diagnoses if d.assertion == Assertion.FAMILY}
    assert any(code.startswith("I26") for code in negated)  # pulmonary embolism ruled out
    assert any(code.startswith("I25") for code in family)  # mother's coronary artery disease


def test_dates(findings: Findings) -> None:
    got = {(m.value, m.role) for m in findings.dates}
    assert ("1950-03-14", DateRole.BIRTH) in got
    assert ("2019-03-10", DateRole.ADMISSION) in got
    assert ("2019-03-14", DateRole.DISCHARGE) in got
    assert ("2019-03-15", DateRole.REPORT) in got
    assert ("2019-03-21", DateRole.OTHER) in got
    dob = next(m for m in findings.dates if m.role == DateRole.BIRTH)
    assert dob.text == "03/l4/1950"  # the OCR'd text as given, the value repaired


def test_identifiers(findings: Findings) -> None:
    got = {(i.kind, i.value) for i in findings.identifiers}
    assert ("mrn", "00123456") in got
    assert ("patient_name", "DOE, JANE") in got
    assert ("dob", "1950-03-14") in got
    assert ("sex", "F") in got
    assert ("physician", "GRANT, ALAN") in got
    mrn = next(i for i in findings.identifiers if i.kind == "mrn")
    assert mrn.text == "0O123456" and mrn.confidence >= 0.9


def test_type_and_signature(findings: Findings) -> None:
    assert findings.document_type.type == DocumentType.DISCHARGE_SUMMARY
    assert findings.document_type.confidence >= 0.5
    assert findings.signed


def test_json_shape(findings: Findings) -> None:
    data = json.loads(json.dumps(findings_as_json(findings)))
    assert set(data) == {"diagnoses", "dates", "identifiers", "document_type", "signed"}
    assert set(data["diagnoses"][0]) == {
        "text",
        "start",
        "end",
        "code",
        "description",
        "assertion",
        "section",
        "release",
        "source",
    }
    assert set(data["dates"][0]) == {"text", "start", "end", "value", "role"}
    assert set(data["identifiers"][0]) == {"kind", "value", "text", "start", "end", "confidence"}
    assert data["document_type"]["type"] == "discharge_summary"
    assert data["signed"] is True


def test_extract_many_matches_extract(extractor: Extractor) -> None:
    texts = [NOTE, "", "Patient: ROE, RICHARD\nDx: asthma", NOTE]
    many = list(extractor.extract_many(texts))
    assert len(many) == 4
    assert many[0] == many[3] == extractor.extract(NOTE)
    assert many[1] == Findings()


def test_module_level_extract() -> None:
    assert extract("Dx: Hypertension.").diagnoses[0].code == "I10"


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n\n\t ",
        "\x00" * 1000,
        "ab\x00cd\x00\x00Pneumonia\x00",
        os.urandom(20_000).decode("latin-1"),
        os.urandom(20_000).decode("utf-8", errors="replace"),
        "病历记录：患者肺炎，高血压。" * 200,
        "Ο ασθενής έχει πνευμονία και υπέρταση." * 100,
        "HISTORY:\nASSESSMENT:\nPLAN:\nDIAGNOSES:\nFAMILY HISTORY:\n",
        "\ufeff\u200b\u00ad" * 500,
        "x" * 300_000,
        "-\n" * 10_000,
    ],
)
def test_bad_inputs_give_valid_findings(extractor: Extractor, text: str) -> None:
    f = extractor.extract(text)
    assert isinstance(f, Findings)
    for d in f.diagnoses:
        assert text[d.start : d.end] == d.text
    for m in f.dates:
        assert text[m.start : m.end] == m.text
    json.dumps(findings_as_json(f))


def test_headers_only_is_empty(extractor: Extractor) -> None:
    f = extractor.extract("HISTORY:\nASSESSMENT:\nPLAN:\n")
    assert f.diagnoses == () and f.dates == () and f.identifiers == ()
    assert not f.signed


@pytest.mark.slow
def test_five_megabytes_in_bounded_time(extractor: Extractor) -> None:
    """5 MB of note text (about 4,300 notes' worth) goes through piece by piece, sections kept.

    ~25-50 s of CPU on the shared 2-core bench machine; the bound leaves room for its noise.
    """
    big = ((NOTE + "\n\n") * (5_000_000 // (len(NOTE) + 2) + 1))[:5_000_000]
    started = time.process_time()
    f = extractor.extract(big)
    elapsed = time.process_time() - started
    assert elapsed < 120, elapsed
    assert len(f.diagnoses) > 1000
    last = f.diagnoses[-1]
    assert big[last.start : last.end] == last.text
    assert {d.section for d in f.diagnoses[-20:]} >= {"family_history", "diagnoses"}


def test_cost_grows_linearly(extractor: Extractor) -> None:
    """Ten times the text costs about ten times the CPU (not a hundred: ConText is per piece)."""
    small = (NOTE + "\n\n") * 10
    large = (NOTE + "\n\n") * 100
    extractor.extract(small)
    costs = []
    for text in (small, large):
        started = time.process_time()
        extractor.extract(text)
        costs.append(time.process_time() - started)
    assert costs[1] < 25 * costs[0], costs


BRINDLEMOOR = Path(__file__).parent.parent / "sample_scans" / "discharge_summary_brindlemoor.gt.txt"


def test_title_case_headers_net_negative_and_duplicate_ids(extractor: Extractor) -> None:
    """The defects the lead saw on this synthetic discharge summary."""
    text = BRINDLEMOOR.read_text(encoding="utf-8")
    f = extractor.extract(text)
    assert all(d.section for d in f.diagnoses)
    by_text = {(d.text, d.section): d for d in f.diagnoses}
    assert by_text[("CKD stage 3", "past_medical_history")].assertion == Assertion.HISTORICAL
    assert by_text[("MI", "family_history")].assertion == Assertion.FAMILY
    chf = by_text[("Acute on chronic systolic CHF", "hospital_course")]
    assert (chf.code, chf.assertion) == ("I50.23", Assertion.AFFIRMED)
    keys = [(i.kind, i.value) for i in f.identifiers]
    assert len(keys) == len(set(keys)), keys


def test_a_long_section_keeps_its_name_across_pieces(extractor: Extractor) -> None:
    filler = "Tolerated the procedure well and was seen daily by the team.\n" * 60
    text = f"PAST MEDICAL HISTORY:\n{filler}Hypertension.\nFAMILY HISTORY:\n{filler}Asthma.\n"
    f = extractor.extract(text)
    assert [(d.code, d.section, d.assertion) for d in f.diagnoses] == [
        ("I10", "past_medical_history", Assertion.HISTORICAL),
        ("J45.909", "family_history", Assertion.FAMILY),
    ]


def test_importing_types_does_not_import_spacy() -> None:
    code = (
        "import sys, models, models.types, models.identifiers, models.dates, models.doctype\n"
        "assert 'spacy' not in sys.modules and 'medspacy' not in sys.modules, 'spaCy imported'\n"
        "from models import Extractor\n"
        "assert 'spacy' not in sys.modules\n"
    )
    root = Path(__file__).parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, timeout=60)


def test_vocabulary_stays_bounded_on_a_long_run() -> None:
    """Every new MRN or number is a new spaCy string; the pipeline is rebuilt past the limit,
    so a long-running intake does not grow without end, and results do not change."""
    small = Extractor(vocab_limit=2_000)
    baseline = len(small.nlp.vocab.strings)  # the rules' own strings
    first = small.extract(NOTE)
    for n in range(40):
        numbers = " ".join(f"{n:03d}{k:05d}" for k in range(200))
        small.extract(f"MRN: {n:08d}\nValues: {numbers}\n")
    assert len(small.nlp.vocab.strings) < baseline + 2_000 + 200 * 2 + 50
    assert small.extract(NOTE) == first
