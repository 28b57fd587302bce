"""Document type from titles and body keywords, and signature status."""

from __future__ import annotations

import random

import pytest

from models.doctype import _COMPILED, guess_document_type, is_signed
from models.types import DocumentType

T = DocumentType

CASES = [
    (
        T.DISCHARGE_SUMMARY,
        "DISCHARGE SUMMARY\nAdmission Date: 03/10/2019\nHOSPITAL COURSE:\nImproved.",
    ),
    (
        T.DISCHARGE_SUMMARY,
        "Hospital course: treated with antibiotics.\nDischarge medications: none\n"
        "Condition at discharge: stable",
    ),
    (T.HISTORY_AND_PHYSICAL, "HISTORY AND PHYSICAL\nCHIEF COMPLAINT: cough\nHPI: 3 days of cough."),
    (T.HISTORY_AND_PHYSICAL, "Admission H&P\nReview of systems: negative\nPhysical exam: normal"),
    (T.PROGRESS_NOTE, "PROGRESS NOTE\nS: feels better\nO: afebrile\nA/P: continue"),
    (T.PROGRESS_NOTE, "SOAP note\nSubjective: no pain\nObjective: BP 120/80"),
    (
        T.OPERATIVE_REPORT,
        "OPERATIVE REPORT\nPreoperative Diagnosis: appendicitis\n"
        "Postoperative Diagnosis: same\nProcedure Performed: appendectomy",
    ),
    (
        T.OPERATIVE_REPORT,
        "Preoperative diagnosis: cholelithiasis\nProcedure performed: cholecystectomy\n"
        "Estimated blood loss: 20 mL",
    ),
    (
        T.PATHOLOGY_REPORT,
        "SURGICAL PATHOLOGY REPORT\nGROSS DESCRIPTION: a tan segment\n"
        "MICROSCOPIC: acute inflammation",
    ),
    (
        T.RADIOLOGY_REPORT,
        "CT ABDOMEN AND PELVIS WITH CONTRAST\nTechnique: axial images\n"
        "Findings: normal\nImpression: no acute process",
    ),
    (
        T.RADIOLOGY_REPORT,
        "RADIOLOGY REPORT\nEXAM: X-RAY CHEST 2 VIEWS\nFINDINGS: clear\nIMPRESSION: normal",
    ),
    (T.RADIOLOGY_REPORT, "MRI BRAIN WITHOUT CONTRAST\nComparison: none\nImpression: normal"),
    (
        T.LABORATORY_REPORT,
        "LABORATORY REPORT\nTest Result Units Reference Range\n"
        "Sodium 138 mmol/L 135 - 145\nPotassium 5.9 H mmol/L 3.5 - 5.1",
    ),
    (
        T.LABORATORY_REPORT,
        "Collected: 03/14/2019\nHemoglobin 13.2 g/dL 12.0 - 16.0\n"
        "Glucose 101 mg/dL 70 - 99\nReference range as shown",
    ),
    (
        T.CONSULTATION,
        "CONSULTATION\nReason for consultation: chest pain\nRecommendations: stress test",
    ),
    (T.CONSULTATION, "Cardiology Consult Note\nThank you for this consult regarding chest pain."),
    (
        T.CONSENT_FORM,
        "CONSENT FOR SURGERY\nI authorize Dr. Grant to perform the procedure.\n"
        "Signature of patient: ________",
    ),
    (T.CONSENT_FORM, "AUTHORIZATION FOR RELEASE OF INFORMATION\nI hereby authorize the release."),
    (T.CORRESPONDENCE, "Dear Dr. Grant,\nThank you for seeing Ms. Doe.\nSincerely,\nEllie Sattler"),
]


@pytest.mark.parametrize(("expected", "text"), CASES)
def test_document_type(expected: DocumentType, text: str) -> None:
    guess = guess_document_type(text)
    assert guess.type == expected
    assert 0.3 <= guess.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "The quick brown fox.", "\u75c5\u5386", "12345 67890"])
def test_other(text: str) -> None:
    guess = guess_document_type(text)
    assert guess.type == T.OTHER
    assert guess.confidence < 0.5


def test_title_outweighs_body() -> None:
    text = "DISCHARGE SUMMARY\nImpression: improving\nFindings: as above\nHospital course: good"
    assert guess_document_type(text).type == T.DISCHARGE_SUMMARY


@pytest.mark.parametrize(
    ("text", "signed"),
    [
        ("Electronically signed by Alan Grant, MD on 03/15/2019 10:32", True),
        ("Digitally signed by: Ellie Sattler", True),
        ("Signed: Alan Grant, MD 03/15/2019", True),
        ("Signed by Dr. Grant", True),
        ("Authenticated by Alan Grant, MD", True),
        ("/s/ Alan Grant", True),
        ("Signature: ____________ Alan Grant, MD", True),
        ("Signature: ____________ Date: 03/15/2019", True),
        ("Physician Signature: Alan Grant", True),
        ("Signature: ________________", False),
        ("Signature: ______________ Date: ________", False),
        ("Signature of patient: ____________", False),
        ("Signature: ______ Printed Name: ______", False),
        ("Dictated but not signed.", False),
        ("Unsigned preliminary report", False),
        ("The patient signed the consent form.", False),
        ("", False),
    ],
)
def test_signed(text: str, signed: bool) -> None:
    assert is_signed(text) is signed


def test_search_shortcuts_give_the_regex_answers() -> None:
    """_Evidence skips searches (absent literal, or tries a "\\b" alternative only where its
    literal occurs): on many texts it must answer exactly as the plain regex search."""
    rng = random.Random(3)
    words = [w for _, text in CASES for w in text.lower().split()]
    words += ["ros", "pros", "x-ray", "xray", "i", "hereby", "re:", "cc:", "units", "result", "\n"]
    texts = [text.lower() for _, text in CASES]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(800)]
    for titles, body in _COMPILED.values():
        for evidence in [*titles, *(e for e, _ in body)]:
            for text in texts:
                expected = evidence.regex.search(text)
                assert evidence.found(text) == (expected is not None), (evidence.regex, text)
                got = evidence.search(text)
                assert (got and got.span()) == (expected and expected.span())


def test_signed_shortcut_on_non_ascii_text() -> None:
    assert is_signed("Électronically signed by Zoë Grant") is True
    assert is_signed("Note \u00e9crite; no signature line") is False
