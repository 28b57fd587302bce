"""Filing rules: barcode, MRN confirmed by name or DOB, name+DOB; everything doubtful is queued."""

from __future__ import annotations

from datetime import date

import pytest

from chartroom.settings import Settings
from indexer.filing import decide_filing, is_near_mrn, mrns_from_barcodes, near_mrns
from indexer.names import compare_names, parse_name, person
from models.types import Findings, Identifier
from records.types import FilingDecision, PatientRecord
from scanner.types import Barcode, CleanupRecord, ScannedPage

SETTINGS = Settings()


class DictDirectory:
    """In-memory PatientDirectory (the unit seam; RecordStore implements it over SQL)."""

    def __init__(self, patients: list[PatientRecord]) -> None:
        self.by_mrn = {p.mrn: p for p in patients}

    def patient_by_mrn(self, mrn: str) -> PatientRecord | None:
        return self.by_mrn.get(mrn)

    def patients_by_dob(self, dob: date) -> list[PatientRecord]:
        return [p for p in self.by_mrn.values() if p.dob == dob]


def _p(pid: int, mrn: str, last: str, first: str, dob: str, sex: str) -> PatientRecord:
    return PatientRecord(mrn, last, first, date.fromisoformat(dob), sex, id=pid)


ROSTER = [
    _p(1, "10234567", "Smith", "John A", "1970-01-01", "M"),
    _p(2, "20345678", "Smyth", "Jon", "1971-05-05", "M"),  # near-duplicate name
    _p(3, "31456781", "Doe", "Jane", "2001-02-02", "F"),  # twins: same DOB, MRNs one apart
    _p(4, "31456782", "Doe", "Joan", "2001-02-02", "F"),
    _p(5, "42567891", "García-López", "Ana", "1965-04-04", "F"),  # hyphenated, accents
    _p(6, "42567897", "Brown", "Alice", "1950-06-06", "F"),  # MRN one digit from patient 5
    _p(7, "53678912", "Williamson", "Robert", "1980-03-03", "M"),
    _p(8, "64789123", "Martinez", "Maria", "1990-07-07", "F"),  # near-duplicates, same DOB
    _p(9, "75891234", "Martines", "Mariah", "1990-07-07", "F"),
    _p(10, "86912345", "De la Cruz", "José", "1944-09-09", "M"),
]
DIRECTORY = DictDirectory(ROSTER)


def _page(*barcodes: str) -> ScannedPage:
    return ScannedPage(
        number=1,
        width=2550,
        height=3300,
        dpi=300,
        text="",
        confidence=90.0,
        blank=False,
        low_confidence=False,
        cleanup=CleanupRecord(),
        barcodes=tuple(Barcode("Code128", t, 10, 10, 200, 60) for t in barcodes),
    )


def _findings(
    mrn: tuple[str, ...] = (),
    name: tuple[str, ...] = (),
    dob: tuple[str, ...] = (),
    sex: str = "",
    weak_mrn: str = "",
) -> Findings:
    ids = [Identifier("mrn", m, m, 0, len(m), 0.95) for m in mrn]
    ids += [Identifier("patient_name", n, n, 0, len(n), 0.9) for n in name]
    ids += [Identifier("dob", d, d, 0, len(d), 0.9) for d in dob]
    if sex:
        ids.append(Identifier("sex", sex, sex, 0, 1, 0.95))
    if weak_mrn:
        ids.append(Identifier("mrn", weak_mrn, weak_mrn, 0, len(weak_mrn), 0.4))
    return Findings(identifiers=tuple(ids))


def _decide(barcodes: tuple[str, ...], findings: Findings) -> FilingDecision:
    return decide_filing([_page(*barcodes)], findings, DIRECTORY, SETTINGS)


CASES = [
    # id, barcodes, findings, patient_id, rule, reason keyword
    ("barcode alone", ("MRN:10234567",), _findings(), 1, "barcode", "barcode MRN matches"),
    ("barcode spaced", ("MRN 42567891",), _findings(name=("GARCIA, ANA",)), 5, "barcode", "name"),
    ("barcode bare", ("53678912",), _findings(dob=("1980-03-03",)), 7, "barcode", "DOB matches"),
    ("barcode + separator", ("CHARTROOM-SEPARATOR", "MRN:10234567"), _findings(), 1, "barcode",
     "barcode"),
    ("barcode + wrong DOB", ("MRN:10234567",), _findings(dob=("1971-05-05",)), None, "",
     "DOB on document differs"),
    ("barcode + other name", ("MRN:10234567",), _findings(name=("BROWN, ALICE",)), None, "",
     "name on document differs"),
    ("barcode + wrong sex", ("MRN:10234567",), _findings(sex="F"), None, "", "sex"),
    ("barcode unknown", ("MRN:00999999",), _findings(), None, "", "not in the patient index"),
    ("two barcodes", ("MRN:10234567", "MRN:20345678"), _findings(), None, "", "two different"),
    ("barcode + other patient's MRN", ("MRN:10234567",), _findings(mrn=("53678912",)), None, "",
     "belongs to another patient"),
    ("barcode + OCR-damaged copy", ("MRN:10234567",), _findings(mrn=("10234587",)), 1, "barcode",
     "OCR damage"),
    ("mrn + name", (), _findings(mrn=("86912345",), name=("DELACRUZ, JOSE",)), 10, "mrn+name",
     "name matches"),
    ("mrn + name + dob", (), _findings(mrn=("10234567",), name=("SMITH, JOHN",),
     dob=("1970-01-01",)), 1, "mrn+name", "DOB matches"),
    ("mrn + dob", (), _findings(mrn=("53678912",), dob=("1980-03-03",)), 7, "mrn+dob",
     "DOB matches"),
    ("weak mrn + name", (), _findings(weak_mrn="53678912", name=("WILLIAMSON, ROBERT",)), 7,
     "mrn+name", "without a label"),
    ("mrn alone", (), _findings(mrn=("10234567",)), None, "", "neither name nor DOB"),
    ("mrn + wrong dob", (), _findings(mrn=("10234567",), name=("SMITH, JOHN",),
     dob=("1970-01-02",)), None, "", "DOB on document differs"),
    ("mrn one digit off", (), _findings(mrn=("42567899",), name=("GARCIA-LOPEZ, ANA",),
     dob=("1965-04-04",)), None, "", "not in the patient index"),
    ("mrn misread onto neighbour", (), _findings(mrn=("42567897",), name=("GARCIA-LOPEZ, ANA",)),
     None, "", "name on document differs"),
    ("twin mrn misread, dob only", (), _findings(mrn=("31456782",), dob=("2001-02-02",)), None,
     "", "another patient shares"),
    ("twin mrn + name", (), _findings(mrn=("31456782",), name=("DOE, JOAN",),
     dob=("2001-02-02",)), 4, "mrn+name", "name matches"),
    ("two mrns", (), _findings(mrn=("10234567", "53678912"), name=("SMITH, JOHN",)), None, "",
     "two different MRNs"),
    ("mrn + unknown far mrn", (), _findings(mrn=("10234567", "98765432"), name=("SMITH, JOHN",)),
     None, "", "two different MRNs"),
    ("name+dob exact", (), _findings(name=("SMITH, JOHN",), dob=("1970-01-01",)), 1, "name+dob",
     "name matches"),
    ("name+dob accents/hyphen", (), _findings(name=("GARCIA LOPEZ, ANA",), dob=("1965-04-04",)),
     5, "name+dob", "DOB matches"),
    ("name+dob typo", (), _findings(name=("WILLIAMSEN, ROBERT",), dob=("1980-03-03",)), 7,
     "name+dob", "name matches"),
    ("name+dob near-duplicate", (), _findings(name=("MARTINEZ, MARIA",), dob=("1990-07-07",)),
     None, "", "similar name"),
    ("name+dob far spelling", (), _findings(name=("SMYTHE, JONATHAN",), dob=("1970-01-01",)),
     None, "", "no patient matches"),
    ("twins", (), _findings(name=("DOE, JANE",), dob=("2001-02-02",)), None, "", "similar name"),
    ("name only", (), _findings(name=("SMITH, JOHN",)), None, "", "no DOB"),
    ("dob only", (), _findings(dob=("1970-01-01",)), None, "", "no name"),
    ("two dobs", (), _findings(name=("SMITH, JOHN",), dob=("1970-01-01", "1971-05-05")), None,
     "", "two different DOBs"),
    ("nothing", (), _findings(), None, "", "no identifiers found"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("barcodes", "findings", "patient_id", "rule", "keyword"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_decide_filing(
    barcodes: tuple[str, ...], findings: Findings, patient_id: int | None, rule: str, keyword: str
) -> None:
    decision = _decide(barcodes, findings)
    assert decision.patient_id == patient_id, decision
    assert decision.rule == rule
    assert any(keyword in r for r in decision.reasons), decision.reasons
    assert 0.0 <= decision.confidence <= 1.0
    if patient_id is None:
        assert decision.confidence == 0.0
    else:
        assert decision.confidence >= 0.8


def test_one_digit_off_offers_neighbours_as_candidates_only() -> None:
    decision = _decide((), _findings(mrn=("42567899",), name=("GARCIA-LOPEZ, ANA",)))
    assert decision.patient_id is None
    ids = [c.patient_id for c in decision.candidates]
    assert ids[0] == 5  # the neighbour whose name also matches ranks first
    assert 6 in ids
    assert "MRN differs by one character" in decision.candidates[0].reasons


def test_twins_are_both_candidates() -> None:
    decision = _decide((), _findings(name=("DOE, JANE",), dob=("2001-02-02",)))
    assert {c.patient_id for c in decision.candidates} == {3, 4}
    assert decision.candidates[0].patient_id == 3


def test_queued_mrn_keeps_its_patient_as_candidate() -> None:
    decision = _decide((), _findings(mrn=("10234567",)))
    assert [c.patient_id for c in decision.candidates] == [1]
    assert decision.candidates[0].reasons == ("MRN matches",)


def test_misread_onto_neighbour_ranks_the_name_match_first() -> None:
    decision = _decide((), _findings(mrn=("42567897",), name=("GARCIA-LOPEZ, ANA",)))
    assert decision.patient_id is None
    assert [c.patient_id for c in decision.candidates][:2] == [5, 6]
    assert decision.candidates[1].reasons == ("MRN matches", "name differs")


def test_reasons_carry_no_phi() -> None:
    for case in CASES:
        decision = _decide(case[1], case[2])
        text = " ".join(decision.reasons).upper()
        for p in ROSTER:
            assert p.mrn not in text
            assert p.last_name.upper() not in text
        assert not any(ch.isdigit() for ch in text)


def test_mrns_from_barcodes() -> None:
    codes = [
        Barcode("Code128", t, 0, 0, 1, 1)
        for t in ("CHARTROOM-SEPARATOR", "MRN:00123456", "mrn 00123456", "MRN-0012-3457",
                  "00999999", "hello", "MRN:12", "MRN:00555555|DOE^JANE|19700101")
    ]  # fmt: skip
    assert mrns_from_barcodes(codes, SETTINGS) == [
        "00123456", "00123457", "00999999", "00555555",
    ]  # fmt: skip


def test_malformed_patient_barcode_queues() -> None:
    decision = _decide(("MRN:12",), _findings(name=("SMITH, JOHN",), dob=("1970-01-01",)))
    assert decision.patient_id is None
    assert "a patient barcode does not match the MRN format" in decision.reasons


def test_threshold_comes_from_settings() -> None:
    strict = SETTINGS.with_(name_match_threshold=0.99)
    findings = _findings(name=("WILLIAMSEN, ROBERT",), dob=("1980-03-03",))
    assert decide_filing([_page()], findings, DIRECTORY, strict).patient_id is None


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [("00123456", "00123457", True), ("00123456", "00124356", True), ("00123456", "123456", True),
     ("00123456", "00123456", False), ("00123456", "00123477", False), ("AB123", "AB124", True)],
)  # fmt: skip
def test_near_mrn(a: str, b: str, near: bool) -> None:
    assert is_near_mrn(a, b) is near
    if near and len(a) == len(b):
        assert b in near_mrns(a)


@pytest.mark.parametrize(
    ("doc", "last", "first", "confirms", "differs"),
    [
        ("SMITH, JOHN", "Smith", "John A.", True, False),
        ("SMITH JONES, JOSE", "Smith-Jones", "José", True, False),
        ("O BRIEN, SEAN", "O'Brien", "Seán", True, False),
        ("DELACRUZ, ANA", "De la Cruz", "Ana", True, False),
        ("GARCIA, MARIA", "García-López", "Maria", True, False),
        ("SMITH, JOHN", "Smyth", "Jon", False, False),
        ("DOE, JANE", "Doe", "Joan", False, True),
        ("SMITH, J", "Smith", "John", False, False),  # an initial agrees but never confirms
        ("JOHN, SMITH", "Smith", "John", False, False),  # swapped: not confirming, not differing
        ("BROWN, ALICE", "Smith", "John", False, True),
    ],
)
def test_compare_names(doc: str, last: str, first: str, confirms: bool, differs: bool) -> None:
    match = compare_names(parse_name(doc), person(last, first))
    assert match.confirms(SETTINGS.name_match_threshold) is confirms
    assert match.differs is differs
