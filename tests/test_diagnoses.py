"""Diagnosis extraction on spacy.blank("en") + sentencizer + add_diagnosis_pipes."""

from __future__ import annotations

import random

import pytest
import spacy
from spacy.language import Language

from chartroom.settings import Settings
from models.diagnoses import RawDiagnosis, add_diagnosis_pipes, read_diagnoses
from models.terminology import BLOCK, cased_terms, code_table, lower_terms
from models.types import Assertion

A = Assertion


@pytest.fixture(scope="module")
def nlp() -> Language:
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    add_diagnosis_pipes(pipeline, Settings())
    return pipeline


def run(nlp: Language, text: str) -> list[RawDiagnosis]:
    found = read_diagnoses(nlp(text))
    for d in found:  # offsets index the text as given; codes always come from the table
        assert text[d.start : d.end].strip() == text[d.start : d.end]
        assert code_table()[d.code] == d.description
    return found


def only(nlp: Language, text: str) -> RawDiagnosis:
    found = run(nlp, text)
    assert len(found) == 1, [(text[d.start : d.end], d.code) for d in found]
    return found[0]


@pytest.mark.parametrize(
    ("text", "mention", "code", "assertion"),
    [
        ("Assessment: CHF exacerbation.", "CHF exacerbation", "I50.9", A.AFFIRMED),
        ("No evidence of pneumonia.", "pneumonia", "J18.9", A.NEGATED),
        ("Patient denies chest pain.", "chest pain", "R07.9", A.NEGATED),
        ("PE was ruled out.", "PE", "I26.99", A.NEGATED),
        ("CT chest: pulmonary embolism ruled out.", "pulmonary embolism", "I26.99", A.NEGATED),
        ("h/o MI in 2015.", "MI", "I21.9", A.HISTORICAL),
        ("s/p CABG in 2019.", "CABG", "Z95.1", A.HISTORICAL),
        ("Status post CABG.", "CABG", "Z95.1", A.HISTORICAL),
        ("History of stroke.", "stroke", "I63.9", A.HISTORICAL),
        ("Mother had breast cancer.", "breast cancer", "C50.9", A.FAMILY),
        ("Family history of prostate cancer.", "prostate cancer", "C61", A.FAMILY),
        ("Will evaluate for DVT.", "DVT", "I82.409", A.HYPOTHETICAL),
        ("Blood cultures to rule out sepsis.", "sepsis", "A41.9", A.HYPOTHETICAL),
        ("r/o pneumonia", "pneumonia", "J18.9", A.HYPOTHETICAL),
        ("Type 2 diabetes mellitus without complications.", None, "E11.9", A.AFFIRMED),
        ("COPD without exacerbation, asthma.", "COPD", "J44.9", A.AFFIRMED),
    ],
)
def test_assertion(nlp: Language, text: str, mention: str | None, code: str, assertion: A) -> None:
    found = [d for d in run(nlp, text) if d.code == code]
    assert len(found) == 1, found
    d = found[0]
    if mention is not None:
        assert text[d.start : d.end] == mention
    assert d.assertion is assertion
    assert d.source == "term"


def test_without_inside_a_term_does_not_negate_the_next(nlp: Language) -> None:
    text = "Type 2 diabetes mellitus without complications, hypertension."
    found = {d.code: d.assertion for d in run(nlp, text)}
    assert found == {"E11.9": A.AFFIRMED, "I10": A.AFFIRMED}


def test_family_history_section_does_not_run_into_assessment(nlp: Language) -> None:
    text = "Family History: diabetes\nAssessment: hypertension\n"
    found = {d.code: (d.assertion, d.section) for d in run(nlp, text)}
    assert found == {
        "E11.9": (A.FAMILY, "family_history"),
        "I10": (A.AFFIRMED, "assessment"),
    }


def test_sections(nlp: Language) -> None:
    text = (
        "CHIEF COMPLAINT:\nShortness of breath\n"
        "Past Medical History: HTN, HLD\n"
        "ASSESSMENT AND PLAN\nCOPD exacerbation. Continue nebs.\n"
        "Discharge Diagnoses: pneumonia\n"
    )
    found = [(text[d.start : d.end], d.code, d.assertion, d.section) for d in run(nlp, text)]
    assert found == [
        ("Shortness of breath", "R06.02", A.AFFIRMED, "chief_complaint"),
        ("HTN", "I10", A.HISTORICAL, "past_medical_history"),
        ("HLD", "E78.5", A.HISTORICAL, "past_medical_history"),
        ("COPD exacerbation", "J44.1", A.AFFIRMED, "assessment_and_plan"),
        ("pneumonia", "J18.9", A.AFFIRMED, "diagnoses"),
    ]


def test_history_of_present_illness_is_not_history(nlp: Language) -> None:
    d = only(nlp, "History of Present Illness: 65 yo with fever.")
    assert (d.code, d.assertion) == ("R50.9", A.AFFIRMED)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("CHF", "I50.9"),
        ("HFrEF", "I50.20"),
        ("HFpEF", "I50.30"),
        ("COPD", "J44.9"),
        ("COPD exacerbation", "J44.1"),
        ("DM2", "E11.9"),
        ("T2DM", "E11.9"),
        ("type 2 diabetes", "E11.9"),
        ("HTN", "I10"),
        ("hypertension", "I10"),
        ("MI", "I21.9"),
        ("NSTEMI", "I21.4"),
        ("STEMI", "I21.3"),
        ("CAD", "I25.10"),
        ("CKD 3", "N18.30"),
        ("CKD stage 3a", "N18.31"),
        ("CKD stage 3b", "N18.32"),
        ("AFib", "I48.91"),
        ("AF", "I48.91"),
        ("atrial fibrillation", "I48.91"),
        ("GERD", "K21.9"),
        ("OSA", "G47.33"),
        ("UTI", "N39.0"),
        ("pneumonia", "J18.9"),
        ("sepsis", "A41.9"),
        ("DVT", "I82.409"),
        ("pulmonary embolism", "I26.99"),
        ("asthma", "J45.909"),
        ("hyperlipidemia", "E78.5"),
        ("HLD", "E78.5"),
        ("hypothyroidism", "E03.9"),
        ("depression", "F32.A"),
        ("anxiety", "F41.9"),
        ("obesity", "E66.9"),
        ("anemia", "D64.9"),
        ("breast cancer", "C50.9"),
        ("prostate cancer", "C61"),
        ("lung cancer", "C34.90"),
        ("stroke", "I63.9"),
        ("CVA", "I63.9"),
        ("TIA", "G45.9"),
        ("CABG", "Z95.1"),
        ("chest pain", "R07.9"),
        ("shortness of breath", "R06.02"),
        ("SOB", "R06.02"),
        ("dyspnea", "R06.00"),
        ("fever", "R50.9"),
        ("weight loss", "R63.4"),
        ("nausea", "R11.0"),
        ("vomiting", "R11.10"),
        ("nausea and vomiting", "R11.2"),
        ("headache", "R51.9"),
        ("abdominal pain", "R10.9"),
        ("cough", "R05.9"),
        ("Essential hypertension", "I10"),
        ("Gastro-esophageal reflux disease", "K21.9"),
    ],
)
def test_terms_and_abbreviations(nlp: Language, text: str, code: str) -> None:
    d = only(nlp, f"Assessment: {text}.")
    assert d.code == code
    assert d.assertion is A.AFFIRMED


@pytest.mark.parametrize(
    "text",
    [
        "Physical Exam:\nPE: normal",
        "PE: normal",
        "On PE, lungs clear.",
        "PCP: Dr. Smith",
        "DM",
        "CA 19-9 elevated at 40.",
        "MS: alert and oriented",
        "No CVA tenderness.",
        "Stress test scheduled.",
        "Pain: 3/10",
        "Patient lives in Detroit, MI 48201.",
        "ECG: ST depression in V4-V6.",
        "Flu shot given.",
        "Recommend cancer screening.",
    ],
)
def test_ambiguous_wording_gives_no_wrong_code(nlp: Language, text: str) -> None:
    assert [(text[d.start : d.end], d.code) for d in run(nlp, text)] == []


def test_explicit_codes(nlp: Language) -> None:
    text = "Dx: E11.9, I5022 and (I10). Also E11.99999, Z99.99 and room B20."
    found = [(text[d.start : d.end], d.code, d.source) for d in run(nlp, text)]
    assert found == [
        ("E11.9", "E11.9", "explicit_code"),
        ("I5022", "I50.22", "explicit_code"),
        ("I10", "I10", "explicit_code"),
    ]


def test_explicit_code_assertion(nlp: Language) -> None:
    d = only(nlp, "No E11.9 on file.")
    assert (d.code, d.assertion) == ("E11.9", A.NEGATED)


def test_longest_match_wins(nlp: Language) -> None:
    d = only(nlp, "Dx: acute on chronic systolic heart failure")
    assert d.code == "I50.23"


def test_offsets_match_text_with_odd_spacing(nlp: Language) -> None:
    text = "Assessment:\n  chronic   kidney disease,\tstage 3a and\nAFib."
    found = run(nlp, text)
    assert [(text[d.start : d.end], d.code) for d in found] == [
        ("chronic   kidney disease,\tstage 3a", "N18.31"),
        ("AFib", "I48.91"),
    ]


def test_property_codes_always_in_table(nlp: Language) -> None:
    """Random notes from terms, blockers, code-like strings and noise: never an unknown code."""
    rng = random.Random(20260401)
    table = code_table()
    vocab = sorted(lower_terms().terms)[::97] + sorted(cased_terms().terms)
    codes = sorted(table)[::311]
    noise = [
        "no",
        "h/o",
        "Family History:",
        "Assessment:",
        "PE:",
        "and",
        ",",
        "\n",
        "s/p",
        "E11.99999",
        "Z99.99",
        "X12.3",
        "rule out",
        "(",
        ")",
        "MS",
        "CA",
        "DM",
        "-",
        BLOCK,
    ]
    for _ in range(60):
        pieces = [
            rng.choice(vocab)
            if rng.random() < 0.4
            else rng.choice(codes)
            if rng.random() < 0.2
            else rng.choice(noise)
            for _ in range(rng.randint(5, 60))
        ]
        text = " ".join(pieces)
        for d in run(nlp, text):
            assert d.code in table
            assert 0 <= d.start < d.end <= len(text)
            assert d.assertion in set(A)
            assert d.source in {"term", "explicit_code"}


# --- regressions: section headers in the four shapes real charts use -------------------------


@pytest.mark.parametrize(
    "header",
    [
        "PAST MEDICAL HISTORY:",
        "Past Medical History:",
        "PAST MEDICAL HISTORY",
        "Past Medical History",
    ],
)
def test_header_shapes(nlp: Language, header: str) -> None:
    text = f"Chief Complaint\nCough.\n{header}\n- Hypertension\n- CKD stage 3\n"
    found = [(d.code, d.assertion, d.section) for d in run(nlp, text)]
    assert found == [
        ("R05.9", A.AFFIRMED, "chief_complaint"),
        ("I10", A.HISTORICAL, "past_medical_history"),
        ("N18.30", A.HISTORICAL, "past_medical_history"),
    ]


def test_title_case_headers_alone_on_a_line(nlp: Language) -> None:
    text = (
        "History of Present Illness\nShe has asthma.\n"
        "Family History\nFather had a stroke.\n"
        "Hospital Course\nPneumonia treated.\n"
        "Discharge Diagnoses\n1. Pneumonia\n"
    )
    found = [(d.code, d.assertion, d.section) for d in run(nlp, text)]
    assert found == [
        ("J45.909", A.AFFIRMED, "history_of_present_illness"),
        ("I63.9", A.FAMILY, "family_history"),
        ("J18.9", A.AFFIRMED, "hospital_course"),
        ("J18.9", A.AFFIRMED, "diagnoses"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Assessment: she mentioned her family history\nof diabetes is unknown. Hypertension.",
        "Assessment: Family History is reviewed. Hypertension.",
        "Assessment: hypertension, reviewed past medical history with her.",
        "Assessment:\nthe family history\nhypertension",  # lower case alone on a line
    ],
)
def test_header_words_inside_prose_are_not_headers(nlp: Language, text: str) -> None:
    found = [d for d in run(nlp, text) if d.code == "I10"]
    assert [d.section for d in found] == ["assessment"]


# --- regressions: false negations ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "assertion"),
    [
        (
            "Acute on chronic systolic CHF: diuresed with net negative 3.6 liters.",
            "I50.23",
            A.AFFIRMED,
        ),
        ("Gram negative sepsis.", "A41.50", A.AFFIRMED),
        ("No change in his hypertension.", "I10", A.AFFIRMED),
        ("No significant change in the pleural effusion.", "J90", A.AFFIRMED),
        ("She has not only asthma but also COPD.", "J45.909", A.AFFIRMED),
        ("Ambulating without difficulty; pneumonia improving.", "J18.9", A.AFFIRMED),
        ("Negative for pneumonia.", "J18.9", A.NEGATED),
        ("CT: negative for pulmonary embolism.", "I26.99", A.NEGATED),
        ("Pulmonary embolism: negative.", "I26.99", A.NEGATED),
        ("Influenza negative.", "J11.1", A.NEGATED),
        ("Chest pain was not reported during the stay.", "R07.9", A.NEGATED),
        ("Fever negative, cough present.", "R05.9", A.AFFIRMED),
    ],
)
def test_negation_scope(nlp: Language, text: str, code: str, assertion: A) -> None:
    found = {d.code: d.assertion for d in run(nlp, text)}
    assert found.get(code) is assertion, found


def test_spelled_out_abbreviation_is_one_mention(nlp: Language) -> None:
    text = "Dx: Acute on chronic systolic congestive heart failure (CHF)\nHypertension (HTN)"
    assert [d.code for d in run(nlp, text)] == ["I50.23", "I10"]
