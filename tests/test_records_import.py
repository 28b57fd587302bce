"""Patient rosters: CSV and FHIR R4 bundles, re-import without duplicates, bad rows rejected."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from chartroom.errors import InputNotFound, InvalidRequest
from chartroom.settings import Settings
from records.patients_import import (
    Rejection,
    import_patients,
    read_fhir_bundle,
    read_roster_csv,
)
from records.store import RecordStore
from records.types import PatientRecord

ROOT = Path(__file__).resolve().parent.parent


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_tolerates_bom_header_spelling_and_us_dates(tmp_path: Path) -> None:
    roster = write(
        tmp_path / "r.csv",
        "\ufeff MRN ,Last Name,first-name, DOB ,Gender\n"
        "00123456,Brindlemoor,Orla,1952-07-09,F\n"
        "ab234567 , Quellbrook , Jasper ,11/23/1964,male\n"
        ",,,,\n"
        "00345678,Fenwhistle,Mirelle,,U\n",
    )
    rows = list(read_roster_csv(roster))
    assert rows == [
        PatientRecord("00123456", "Brindlemoor", "Orla", date(1952, 7, 9), "F"),
        PatientRecord("AB234567", "Quellbrook", "Jasper", date(1964, 11, 23), "M"),
        PatientRecord("00345678", "Fenwhistle", "Mirelle", None, ""),
    ]


def test_csv_bad_rows_are_rejected_by_number_without_phi(tmp_path: Path) -> None:
    roster = write(
        tmp_path / "r.csv",
        "mrn,last_name,first_name,dob,sex\n"
        "00123456,Brindlemoor,Orla,1952-07-09,F\n"  # row 1 ok
        "00234567,Quellbrook,Jasper,23/11/1964,M\n"  # row 2: day/month swapped
        "00345678,Fenwhistle,Mirelle,1947-02-28,Zed\n"  # row 3: sex
        ",Ashcombe,Tobias,1971-05-17,M\n"  # row 4: no MRN
        "00123456,Tallowmere,Ines,1980-01-01,F\n"  # row 5: MRN repeats row 1
        "00567890,,Ines,1980-01-01,F\n"  # row 6: no last name
        "00678901,Varro,Ada,2999-01-01,F\n",  # row 7: future DOB
        encoding="cp1252",
    )
    items = list(read_roster_csv(roster))
    rejections = [str(i) for i in items if isinstance(i, Rejection)]
    assert [r.split(":")[0] for r in rejections] == [
        "row 2",
        "row 3",
        "row 4",
        "row 5",
        "row 6",
        "row 7",
    ]
    assert "repeats row 1" in rejections[3]
    for text in rejections:
        for phi in ("Quellbrook", "23/11/1964", "Zed", "Ashcombe", "Tallowmere", "00123456"):
            assert phi not in text


def test_csv_without_required_columns_is_refused(tmp_path: Path) -> None:
    roster = write(tmp_path / "r.csv", "id,surname,dob\n1,Brindlemoor,1952-07-09\n")
    with pytest.raises(InvalidRequest, match="mrn"):
        list(read_roster_csv(roster))
    with pytest.raises(InvalidRequest):
        list(read_roster_csv(write(tmp_path / "empty.csv", "")))
    with pytest.raises(InputNotFound):
        list(read_roster_csv(tmp_path / "missing.csv"))


def fhir_patient(
    identifiers: list[dict[str, object]], family: str, given: list[str], **extra: object
) -> dict[str, object]:
    return {
        "resource": {
            "resourceType": "Patient",
            "identifier": identifiers,
            "name": [{"family": family, "given": given}],
            **extra,
        }
    }


MR_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}


def test_fhir_bundle_maps_identifiers_names_and_gender(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            fhir_patient(
                [
                    {"system": "urn:ssn", "value": "999-99-9999"},
                    {"type": MR_TYPE, "value": "00123456"},
                ],
                "Brindlemoor",
                ["Orla", "Jane"],
                birthDate="1952-07-09",
                gender="female",
            ),
            fhir_patient(
                [{"system": "https://hospital.example/mrn", "value": "00234567"}],
                "Quellbrook",
                ["Jasper"],
                birthDate="1964",  # partial date: no DOB
                gender="other",
            ),
            {"resource": {"resourceType": "Observation", "id": "skip-me"}},
            fhir_patient([{"system": "urn:ssn", "value": "1"}], "Nomrn", ["A"]),
            fhir_patient([{"type": MR_TYPE, "value": "00345678"}], "Fenwhistle", [], gender="x"),
            fhir_patient(
                [{"type": MR_TYPE, "value": "00456789"}], "Varro", ["T"], gender="unknown"
            ),
        ],
    }
    path = write(tmp_path / "bundle.json", json.dumps(bundle))
    items = list(read_fhir_bundle(path))
    assert items[0] == PatientRecord("00123456", "Brindlemoor", "Orla", date(1952, 7, 9), "F")
    assert items[1] == PatientRecord("00234567", "Quellbrook", "Jasper", None, "X")
    assert str(items[2]) == "entry 4: no medical record number (identifier type MR)"
    assert str(items[3]) == "entry 5: gender must be male, female, other or unknown"
    assert items[4] == PatientRecord("00456789", "Varro", "T", None, "")
    with pytest.raises(InvalidRequest):
        list(read_fhir_bundle(write(tmp_path / "bad.json", "{not json")))
    with pytest.raises(InvalidRequest):
        list(read_fhir_bundle(write(tmp_path / "obs.json", '{"resourceType": "Observation"}')))


def test_import_and_reimport_never_duplicates(settings: Settings, tmp_path: Path) -> None:
    roster = ROOT / "sample_scans" / "roster.csv"
    total = sum(1 for line in roster.read_text().splitlines()[1:] if line.strip())
    with RecordStore(settings) as store:
        first = import_patients(store, roster)
        assert (first.created, first.updated, first.unchanged, first.rejected) == (
            total,
            0,
            0,
            (),
        )
        again = import_patients(store, roster)
        assert (again.created, again.updated, again.unchanged) == (0, 0, total)
        lines = roster.read_text().splitlines()
        mrn, last, first_name, _dob, sex = lines[1].split(",")
        changed = write(
            tmp_path / "changed.csv",
            "\n".join([lines[0], f"{mrn},{last},{first_name},1900-01-01,{sex}", "x,,,,"]),
        )
        third = import_patients(store, changed)
        assert (third.created, third.updated, third.unchanged) == (0, 1, 0)
        assert third.rejected == ("row 2: the last name is empty",)
        assert store.counts()["patients"] == total
        patient = store.patient_by_mrn(mrn)
        assert patient and patient.dob == date(1900, 1, 1)

        bundle = {
            "resourceType": "Bundle",
            "entry": [
                fhir_patient(
                    [{"type": MR_TYPE, "value": mrn}],
                    last,
                    [first_name],
                    birthDate="1900-01-01",
                    gender={"F": "female", "M": "male"}.get(sex, "unknown"),
                )
            ],
        }
        fhir = import_patients(store, write(tmp_path / "b.json", json.dumps(bundle)))
        assert (fhir.created, fhir.updated, fhir.unchanged) == (0, 0, 1)
