"""Dates: formats, OCR damage, impossible dates, two-digit years and roles."""

from __future__ import annotations

from datetime import date

import pytest

from models.dates import find_dates
from models.normalize import normalize
from models.types import DateRole

TODAY = date(2026, 11, 27)


def _dates(text: str) -> list[tuple[str, str, DateRole]]:
    norm = normalize(text).text
    return [(norm[d.start : d.end], d.value.isoformat(), d.role) for d in find_dates(norm, TODAY)]


@pytest.mark.parametrize(
    ("text", "found", "value"),
    [
        ("Date: 03/14/2019", "03/14/2019", "2019-03-14"),
        ("Date: 3-14-19", "3-14-19", "2019-03-14"),
        ("Date: 3/14/19", "3/14/19", "2019-03-14"),
        ("Date: 03.14.2019", "03.14.2019", "2019-03-14"),
        ("Date: March 14, 2019", "March 14, 2019", "2019-03-14"),
        ("Date: Mar 14 2019", "Mar 14 2019", "2019-03-14"),
        ("Date: Mar. 14th, 2019", "Mar. 14th, 2019", "2019-03-14"),
        ("Date: 14 Mar 2019", "14 Mar 2019", "2019-03-14"),
        ("Date: 14-MAR-2019", "14-MAR-2019", "2019-03-14"),
        ("Date: 14-MAR-19", "14-MAR-19", "2019-03-14"),
        ("Date: 2019-03-14", "2019-03-14", "2019-03-14"),
        ("Date: 2019/03/14", "2019/03/14", "2019-03-14"),
        ("Date: 20190314", "20190314", "2019-03-14"),
        ("seen 20190314 in clinic", "20190314", "2019-03-14"),
        ("Date: 14/03/2019", "14/03/2019", "2019-03-14"),  # day first when it must be
        # OCR damage
        ("Date: 03/l4/2019", "03/14/2019", "2019-03-14"),
        ("Date: O3/14/2O19", "03/14/2019", "2019-03-14"),
        ("Date: 03 /14/ 2019", "03 /14/ 2019", "2019-03-14"),
        ("Date: 03/14-2019", "03/14-2019", "2019-03-14"),
        ("Date: 0ct 5, 2019", "0ct 5, 2019", "2019-10-05"),
        ("Date: Ju1y 4 2019", "Ju1y 4 2019", "2019-07-04"),
        ("Date: Novernber 2, 2019", "Novernber 2, 2019", "2019-11-02"),
        ("Date: Sept 9, 2019", "Sept 9, 2019", "2019-09-09"),
    ],
)
def test_formats(text: str, found: str, value: str) -> None:
    assert [(f, v) for f, v, _ in _dates(text)] == [(found, value)]


@pytest.mark.parametrize(
    "text",
    [
        "Date: 02/30/2019",
        "Date: 13/45/2020",
        "Date: 00/10/2019",
        "Date: 2019-13-01",
        "Date: 04/31/2019",
        "Date: 02/29/2019",  # not a leap year
        "Date: 03/14/1850",  # before the plausible range
        "Date: 03/14/2919",
        "MRN: 20190314",  # an 8-digit MRN, not a date
        "Account # 20190314",
        "seen 20191399 in clinic",
        "BP 120/80, dose 1.5-20 mg, ratio 1/2",
        "On exam no distress",
        "Tumor 30% of sample",
    ],
)
def test_not_dates(text: str) -> None:
    assert _dates(text) == []


def test_leap_day() -> None:
    assert _dates("Date: 02/29/2020")[0][1] == "2020-02-29"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Visit Date: 3/14/19", "2019-03-14"),
        ("Visit Date: 3/14/85", "1985-03-14"),
        ("Visit Date: 3/14/27", "2027-03-14"),  # next year: still this century
        ("Visit Date: 3/14/35", "1935-03-14"),
        ("DOB: 3/14/19", "2019-03-14"),  # a child born in 2019
        ("DOB: 12/31/26", "1926-12-31"),  # 2026-12-31 is in the future: the past century
        ("DOB: 3/14/45", "1945-03-14"),
    ],
)
def test_two_digit_years(text: str, value: str) -> None:
    assert _dates(text)[0][1] == value


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("DOB: 03/14/1950", [DateRole.BIRTH]),
        ("Date of Birth: 03/14/1950", [DateRole.BIRTH]),
        ("Birth Date: 03/14/1950", [DateRole.BIRTH]),
        ("Date of Birth:\n03/14/1950", [DateRole.BIRTH]),
        ("Admission Date: 03/10/2019", [DateRole.ADMISSION]),
        ("Date of Admission: 03/10/2019", [DateRole.ADMISSION]),
        ("Admitted: 03/10/2019", [DateRole.ADMISSION]),
        ("Discharge Date: 03/14/2019", [DateRole.DISCHARGE]),
        ("Discharged 03/14/2019", [DateRole.DISCHARGE]),
        ("Date of Service: 03/14/2019", [DateRole.SERVICE]),
        ("DOS: 03/14/2019", [DateRole.SERVICE]),
        ("Visit Date: 03/14/2019", [DateRole.SERVICE]),
        ("Procedure Date: 03/14/2019", [DateRole.SERVICE]),
        ("Date of Procedure: 03/14/2019", [DateRole.SERVICE]),
        ("Collected: 03/14/2019 08:15", [DateRole.SERVICE]),
        ("Collection Date: 03/14/2019", [DateRole.SERVICE]),
        ("Exam Date: 03/14/2019", [DateRole.SERVICE]),
        ("Date of Surgery: 03/14/2019", [DateRole.SERVICE]),
        ("Encounter: 03/14/2019", [DateRole.SERVICE]),
        ("Report Date: 03/15/2019", [DateRole.REPORT]),
        ("Date Reported: 03/15/2019", [DateRole.REPORT]),
        ("Dictated: 03/15/2019", [DateRole.REPORT]),
        ("Transcribed: 03/15/2019", [DateRole.REPORT]),
        ("Signed: 03/15/2019", [DateRole.REPORT]),
        ("Verified: 03/15/2019", [DateRole.REPORT]),
        ("Electronically signed by Alan Grant, MD on 03/15/2019 10:32", [DateRole.REPORT]),
        ("Follow up in clinic on 04/02/2019.", [DateRole.OTHER]),
        (
            "Admission Date: 03/10/2019    Discharge Date: 03/14/2019",
            [DateRole.ADMISSION, DateRole.DISCHARGE],
        ),
        ("Dates of service: 03/01/2019 - 03/05/2019", [DateRole.SERVICE, DateRole.SERVICE]),
        ("DOB: 01/02/1950 seen 03/14/2019", [DateRole.BIRTH, DateRole.OTHER]),
        ("DOB: 01/02/1950\n03/14/2019 fall at home", [DateRole.BIRTH, DateRole.OTHER]),
        ("Discharge Diagnoses:\n1. Pneumonia\nSeen 03/14/2019", [DateRole.OTHER]),
    ],
)
def test_roles(text: str, roles: list[DateRole]) -> None:
    assert [r for _, _, r in _dates(text)] == roles


def test_future_birth_date_rejected() -> None:
    assert _dates("DOB: 03/14/2030") == []


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        # label vocabulary
        ("Adm Date: 03/10/2019", [DateRole.ADMISSION]),
        ("Admit Dt: 03/10/2019", [DateRole.ADMISSION]),
        ("Date Admitted: 03/10/2019", [DateRole.ADMISSION]),
        ("Disch Date: 03/14/2019", [DateRole.DISCHARGE]),
        ("D/C Date: 03/14/2019", [DateRole.DISCHARGE]),
        ("Date Discharged: 03/14/2019", [DateRole.DISCHARGE]),
        ("Date of Encounter: 03/14/2019", [DateRole.SERVICE]),
        ("Appointment Date: 03/14/2019", [DateRole.SERVICE]),
        ("Date of Consultation: 03/14/2019", [DateRole.SERVICE]),
        ("Clinic Date: 03/14/2019", [DateRole.SERVICE]),
        ("Date Dictated: 03/15/2019", [DateRole.REPORT]),
        ("DD: 03/15/2019 DT: 03/16/2019", [DateRole.REPORT, DateRole.REPORT]),
        # OCR confusions inside labels
        ("Adm1ssion Date: 03/10/2019", [DateRole.ADMISSION]),
        ("Adrnission Date: 03/10/2019", [DateRole.ADMISSION]),
        ("Dlscharge Date: 03/14/2019", [DateRole.DISCHARGE]),
        ("Date of Serv1ce: 03/14/2019", [DateRole.SERVICE]),
        ("D0S: 03/14/2019", [DateRole.SERVICE]),
        ("D0B: 03/14/1950", [DateRole.BIRTH]),
        ("Date 0f Birth: 03/14/1950", [DateRole.BIRTH]),
        # labels in columns on the line above, dates under them in the same order
        (
            "Admission Date:      Discharge Date:\n03/10/2019           03/14/2019",
            [DateRole.ADMISSION, DateRole.DISCHARGE],
        ),
        (
            "DOB:          Date of Service:\n03/14/1950    03/14/2019",
            [DateRole.BIRTH, DateRole.SERVICE],
        ),
        ("Admission Date:   Discharge Date:\n03/10/2019", [DateRole.ADMISSION]),
        # a bare "Date:" among the patient header lines is the encounter's date
        ("Patient Name: DOE, Jane\nMRN: 123456\nDate: 03/14/2019", [DateRole.SERVICE]),
        (
            "Date: 03/14/2019\nPatient: DOE, Jane\nDOB: 01/02/1950",
            [DateRole.SERVICE, DateRole.BIRTH],
        ),
        ("Plan reviewed.\nDate: 03/14/2019\nFollow up in 2 weeks.", [DateRole.OTHER]),
        ("Patient Name: DOE, Jane\nLast dose date: 03/14/2019", [DateRole.OTHER]),
        # a date alone on one of the first lines (a letter's dateline) dates the document
        ("CITY HOSPITAL\nNovember 2, 2020\nDear Dr. Smith,", [DateRole.SERVICE]),
        ("CITY HOSPITAL\n03/14/2019\nPatient seen for follow up.", [DateRole.SERVICE]),
        ("Seen today.\n" * 8 + "03/14/2019\n", [DateRole.OTHER]),
        ("CITY HOSPITAL\n03/14/2019 fall at home", [DateRole.OTHER]),
        ("LABS:\n03/14/2019\nWBC 11.2", [DateRole.OTHER]),  # under a section header: a row
    ],
)
def test_label_forms(text: str, roles: list[DateRole]) -> None:
    assert [r for _, _, r in _dates(text)] == roles


@pytest.mark.parametrize(
    "text",
    [
        "Date of Service: 10/05/2020\nHospital Day: 2",  # day numbering differs between sites
        "DOS: 10/06/2020\nHD #5, doing well",
    ],
)
def test_no_admission_date_is_inferred(text: str) -> None:
    assert [v for _, v, r in _dates(text) if r == DateRole.ADMISSION] == []
