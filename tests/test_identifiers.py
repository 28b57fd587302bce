"""Identifiers: MRN, patient name, DOB, sex and physicians, each with span and confidence."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from chartroom.settings import Settings
from models.dates import find_dates
from models.identifiers import RawIdentifier, find_identifiers
from models.normalize import normalize

PATTERN = Settings().mrn_pattern


def _ids(text: str, kind: str, pattern: str = PATTERN) -> list[tuple[str, str, float]]:
    norm = normalize(text).text
    found: list[RawIdentifier] = find_identifiers(
        norm, find_dates(norm, date(2026, 11, 27)), pattern
    )
    return [(i.value, norm[i.start : i.end], i.confidence) for i in found if i.kind == kind]


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("MRN: 00123456", "00123456", "00123456"),
        ("MRN:00123456", "00123456", "00123456"),  # barcode-style label
        ("MRN # 00123456", "00123456", "00123456"),
        ("Medical Record Number: AB1234567", "AB1234567", "AB1234567"),
        ("MR#: 12345678", "12345678", "12345678"),
        ("Patient ID: 1234567", "1234567", "1234567"),
        ("MRN: 0O123456", "00123456", "00123456"),  # OCR O for 0
        ("MRN: 123-456-78", "12345678", "123-456-78"),
    ],
)
def test_labelled_mrn(text: str, value: str, span: str) -> None:
    found = _ids(text, "mrn")
    assert [(v, s) for v, s, _ in found] == [(value, span)]
    assert found[0][2] >= 0.9


def test_unlabelled_mrn_has_lower_confidence() -> None:
    found = _ids("ST. ELSEWHERE CLINIC\n00123456\nDOE, JANE", "mrn")
    assert [v for v, _, _ in found] == ["00123456"]
    assert found[0][2] < 0.9


@pytest.mark.parametrize(
    "text", ["MRN: 12345", "Phone: 5551234567", "MRN: pending", "Account: 00123456"]
)
def test_not_mrn(text: str) -> None:
    assert _ids(text, "mrn") == []


def test_site_pattern() -> None:
    assert _ids("MRN: X-99", "mrn", r"X\d\d") == [("X99", "X-99", 0.95)]


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("Patient: DOE, JANE", "DOE, JANE", "DOE, JANE"),
        ("Patient: Doe, Jane A.   DOB: 01/02/1950", "DOE, JANE", "Doe, Jane A."),
        ("Patient Name: Jane Doe", "DOE, JANE", "Jane Doe"),
        ("Patient Name: Jane Doe MRN: 00123456", "DOE, JANE", "Jane Doe"),
        ("Name: Maria L. Santos", "SANTOS, MARIA", "Maria L. Santos"),
        ("PATIENT NAME: SMITH, JOHN", "SMITH, JOHN", "SMITH, JOHN"),
    ],
)
def test_patient_name(text: str, value: str, span: str) -> None:
    assert [(v, s) for v, s, _ in _ids(text, "patient_name")] == [(value, span)]


@pytest.mark.parametrize(
    "text",
    [
        "Physician Name: Alan Grant",
        "Patient: The patient is well",
        "Emergency Contact Name: Bob Ray",
    ],
)
def test_not_patient_name(text: str) -> None:
    assert _ids(text, "patient_name") == []


def test_dob_from_birth_dates() -> None:
    assert _ids("DOB: 03/l4/1950", "dob") == [("1950-03-14", "03/14/1950", 0.9)]
    assert _ids("Visit Date: 03/14/2019", "dob") == []


@pytest.mark.parametrize(
    ("text", "value", "high"),
    [
        ("Sex: F", "F", True),
        ("Sex: M", "M", True),
        ("Gender: Female", "F", True),
        ("Gender: Male", "M", True),
        ("Sex/Age: M/67", "M", True),
        ("Age/Sex: 67/F", "F", True),
        ("Sex: Unknown", "X", True),
        ("She is a 67-year-old woman with cough.", "F", False),
        ("A 54 year old male presents.", "M", False),
    ],
)
def test_sex(text: str, value: str, high: bool) -> None:
    found = _ids(text, "sex")
    assert [v for v, _, _ in found] == [value]
    assert (found[0][2] >= 0.9) == high


@pytest.mark.parametrize(
    ("text", "value", "span"),
    [
        ("Attending: Dr. Alan Grant", "GRANT, ALAN", "Dr. Alan Grant"),
        ("Attending Physician: GRANT, ALAN MD", "GRANT, ALAN", "GRANT, ALAN MD"),
        (
            "Electronically signed by Ellie Sattler, MD on 03/15/2019",
            "SATTLER, ELLIE",
            "Ellie Sattler, MD",
        ),
        ("Surgeon: Dr. Hammond", "HAMMOND", "Dr. Hammond"),
        ("Ordering Physician: Ian Malcolm, M.D.", "MALCOLM, IAN", "Ian Malcolm, M.D."),
        ("Dictated by: John Arnold, DO", "ARNOLD, JOHN", "John Arnold, DO"),
    ],
)
def test_physician(text: str, value: str, span: str) -> None:
    assert [(v, s) for v, s, _ in _ids(text, "physician")] == [(value, span)]


# --- regressions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Patient Name: SMITH JONES, ANA", "SMITH JONES, ANA"),  # hyphen printed as a space
        ("Patient Name: SMITH-JONES, ANA", "SMITH-JONES, ANA"),
        ("Patient: DE LA CRUZ, ANA", "DE LA CRUZ, ANA"),
        ("Patient: van der Berg, Jan", "VAN DER BERG, JAN"),
        ("Patient: Ana de la Cruz", "DE LA CRUZ, ANA"),
        ("Patient Name: Kitéaus, Mårta", "KITÉAUS, MÅRTA"),
        ("Patient: Zoë Kitéaus", "KITÉAUS, ZOË"),
    ],
)
def test_compound_and_accented_names(text: str, value: str) -> None:
    assert [v for v, _, _ in _ids(text, "patient_name")] == [value]


def test_credentials_are_not_first_names() -> None:
    assert [v for v, _, _ in _ids("Attending: Hollis Penrake, MD", "physician")] == [
        "PENRAKE, HOLLIS"
    ]


def test_identifiers_are_deduplicated_by_kind_and_value() -> None:
    text = (
        "Patient Name: BRINDLEMOOR, Orla\nMRN: 00123456\nDOB: 07/09/1952\nSex: Female\n"
        "66-year-old woman with CHF.\n\f"
        "BRINDLEMOOR, Orla   MRN: 00123456   DOB: 07/09/1952\n"
        "Attending: Hollis Penrake, MD\nElectronically signed by Dr. Hollis Penrake"
    )
    norm = normalize(text).text
    found = find_identifiers(norm, find_dates(norm, date(2026, 11, 27)), PATTERN)
    keys = [(i.kind, i.value) for i in found]
    assert len(keys) == len(set(keys)), keys
    assert sorted(keys) == sorted(
        [
            ("patient_name", "BRINDLEMOOR, ORLA"),
            ("mrn", "00123456"),
            ("dob", "1952-07-09"),
            ("sex", "F"),
            ("physician", "PENRAKE, HOLLIS"),
        ]
    )
    sex = next(i for i in found if i.kind == "sex")
    assert norm[sex.start : sex.end] == "Female" and sex.confidence >= 0.9  # best, not "woman"
    mrn = next(i for i in found if i.kind == "mrn")
    assert mrn.start < 40  # the first occurrence


def test_label_scans_give_the_finditer_matches() -> None:
    """_label_matches tries only where a label word starts: same matches as finditer."""
    from models import identifiers as ids

    rng = random.Random(5)
    pieces = ["MRN:", "M.R.N.", "MR #", "mr no.", "Medical Record Number", "Med Rec #", "Pt ID"]
    pieces += ["Patient ID:", "Chart #", "Patient Name:", "Pt. Name", "Name:", "patient:"]
    pieces += ["Attending", "Attending Physician:", "PCP:", "Consultant", "Dictated by"]
    pieces += ["Electronically signed by", "Signed by", "Provider Name:", "Dr.", "DOE, JANE"]
    pieces += ["Jane A. Doe", "Alan Grant, MD", "0O123456", "A1234567", "pt", "name", "med"]
    pieces += ["the", "\n", ",", "formed", "Xpt"]
    root = Path(__file__).resolve().parent.parent / "sample_scans"
    texts = [p.read_text(encoding="utf-8") for p in sorted(root.glob("*.gt.txt"))]
    texts += [" ".join(rng.choice(pieces) for _ in range(rng.randint(1, 25))) for _ in range(1500)]
    cases = [
        (ids._MRN_LABEL, ids._MRN_STARTS),
        (ids._PATIENT, ids._PATIENT_STARTS),
        (ids._PHYSICIAN, ids._PHYSICIAN_STARTS),
    ]
    for text in texts:
        for pattern, starts in cases:
            fast = [m.span() for m in ids._label_matches(pattern, text, starts)]
            assert fast == [m.span() for m in pattern.finditer(text)], (pattern.pattern, text)
