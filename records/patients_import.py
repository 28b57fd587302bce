"""Reading patient rosters: CSV (mrn,last_name,first_name,dob,sex) and FHIR R4 Patient bundles.

Readers yield a `PatientRecord` per good row and a `Rejection` per bad one. Rejections name the row
(or bundle entry) number and what is wrong, never the value (it may be PHI).
`import_patients(store, path)` reads a roster by its suffix and upserts it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from chartroom.errors import InputNotFound, InvalidRequest
from records.patients import check, normalize_mrn
from records.types import ImportSummary, PatientRecord


@dataclass(frozen=True)
class Rejection:
    row: int  # 1-based data row (CSV: the header is row 0) or bundle entry number
    reason: str
    unit: str = "row"

    def __str__(self) -> str:
        return f"{self.unit} {self.row}: {self.reason}"


class _Upserter(Protocol):
    def upsert_patients(self, rows: Any) -> ImportSummary: ...


HEADER_ALIASES = {
    "mrn": "mrn",
    "medical_record_number": "mrn",
    "last_name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family_name": "last_name",
    "first_name": "first_name",
    "firstname": "first_name",
    "given_name": "first_name",
    "dob": "dob",
    "date_of_birth": "dob",
    "birth_date": "dob",
    "birthdate": "dob",
    "sex": "sex",
    "gender": "sex",
}
REQUIRED = ("mrn", "last_name", "first_name", "dob", "sex")
SEX_WORDS = {
    "f": "F",
    "female": "F",
    "m": "M",
    "male": "M",
    "x": "X",
    "o": "X",
    "other": "X",
    "u": "",
    "unknown": "",
    "": "",
}
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def parse_dob(text: str) -> date | None:
    """ISO (YYYY-MM-DD) or US (MM/DD/YYYY) date; '' is None; anything else raises ValueError."""
    text = text.strip()
    if not text:
        return None
    us = _US_DATE.fullmatch(text)
    if us:
        month, day, year = (int(g) for g in us.groups())
        return date(year, month, day)
    return date.fromisoformat(text[:10]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad()


def _bad() -> date:
    raise ValueError("not a date")


def parse_sex(text: str) -> str:
    value = SEX_WORDS.get(text.strip().lower())
    if value is None:
        raise ValueError("unknown sex")
    return value


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _header_key(name: str) -> str:
    key = re.sub(r"[\s\-]+", "_", name.strip().lower().lstrip("\ufeff"))
    return HEADER_ALIASES.get(key, key)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise InputNotFound("the roster file does not exist") from exc
    except OSError as exc:
        raise InvalidRequest("the roster file cannot be read") from exc


def read_roster_csv(path: Path) -> Iterator[PatientRecord | Rejection]:
    """Patients from a CSV roster (header names: any case and spacing; BOM; ISO or US dates)."""
    reader = csv.reader(io.StringIO(_decode(_read_bytes(path)), newline=""))
    header = next(reader, None)
    if header is None:
        raise InvalidRequest("the roster is empty (it needs a header row)")
    columns = {_header_key(name): i for i, name in enumerate(header)}
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise InvalidRequest(
            f"the roster has no {', '.join(missing)} column (columns: {', '.join(REQUIRED)})"
        )
    seen: dict[str, int] = {}
    for number, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        values = {name: cells[i] if i < len(cells) else "" for name, i in columns.items()}
        yield _row(number, values, seen, "row")


def _row(
    number: int, values: Mapping[str, str], seen: dict[str, int], unit: str
) -> PatientRecord | Rejection:
    try:
        dob = parse_dob(values["dob"])
    except ValueError:
        return Rejection(number, "the date of birth is not a date (YYYY-MM-DD or MM/DD/YYYY)", unit)
    try:
        sex = parse_sex(values["sex"])
    except ValueError:
        return Rejection(number, "sex must be F, M, X (other) or U (unknown)", unit)
    record = PatientRecord(
        mrn=normalize_mrn(values["mrn"]),
        last_name=values["last_name"].strip(),
        first_name=values["first_name"].strip(),
        dob=dob,
        sex=sex,
    )
    problem = check(record)
    if problem:
        return Rejection(number, problem, unit)
    if record.mrn in seen:
        return Rejection(number, f"the MRN repeats {unit} {seen[record.mrn]}", unit)
    seen[record.mrn] = number
    return record


# --- FHIR ------------------------------------------------------------------------------------

FHIR_GENDER = {"male": "M", "female": "F", "other": "X", "unknown": ""}


def read_fhir_bundle(path: Path) -> Iterator[PatientRecord | Rejection]:
    """Patients from a FHIR R4 Bundle of Patient resources (or a single Patient resource)."""
    try:
        data = json.loads(_decode(_read_bytes(path)))
    except json.JSONDecodeError as exc:
        raise InvalidRequest("the FHIR file is not valid JSON") from exc
    if not isinstance(data, dict) or data.get("resourceType") not in ("Bundle", "Patient"):
        raise InvalidRequest("the FHIR file is not a Bundle or a Patient resource")
    if data["resourceType"] == "Patient":
        entries: list[Any] = [{"resource": data}]
    else:
        entries = data.get("entry") or []
        if not isinstance(entries, list):
            raise InvalidRequest("the FHIR Bundle's entry is not a list")
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
            continue
        yield _fhir_patient(number, resource, seen)


def _fhir_patient(
    number: int, resource: dict[str, Any], seen: dict[str, int]
) -> PatientRecord | Rejection:
    mrn = _fhir_mrn(resource.get("identifier"))
    if not mrn:
        return Rejection(number, "no medical record number (identifier type MR)", "entry")
    names = [n for n in resource.get("name") or [] if isinstance(n, dict)]
    name = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = name.get("given") or []
    gender = resource.get("gender") or ""
    if gender not in FHIR_GENDER and gender != "":
        return Rejection(number, "gender must be male, female, other or unknown", "entry")
    birth = resource.get("birthDate") or ""
    values = {
        "mrn": mrn,
        "last_name": str(name.get("family") or ""),
        "first_name": str(given[0]) if given else "",
        # FHIR allows partial dates (YYYY, YYYY-MM): those give no date of birth
        "dob": birth if isinstance(birth, str) and len(birth) == 10 else "",
        "sex": FHIR_GENDER.get(gender, ""),
    }
    return _row(number, values, seen, "entry")


def _fhir_mrn(identifiers: Any) -> str:
    if not isinstance(identifiers, list):
        return ""
    typed = ""
    by_system = ""
    for ident in identifiers:
        if not isinstance(ident, dict) or not ident.get("value"):
            continue
        codings = (ident.get("type") or {}).get("coding") or []
        if any(isinstance(c, dict) and c.get("code") == "MR" for c in codings):
            typed = typed or str(ident["value"])
        if "mrn" in str(ident.get("system", "")).lower():
            by_system = by_system or str(ident["value"])
    return typed or by_system


# --- both ------------------------------------------------------------------------------------


def read_roster(path: Path) -> Iterator[PatientRecord | Rejection]:
    """A roster by its suffix: .json is a FHIR bundle, anything else CSV."""
    if path.suffix.lower() == ".json":
        return read_fhir_bundle(path)
    return read_roster_csv(path)


def import_patients(store: _Upserter, path: Path) -> ImportSummary:
    """Read a roster and upsert its patients; bad rows are in the summary's `rejected`."""
    rejected: list[str] = []
    good: list[PatientRecord] = []
    for item in read_roster(path):
        if isinstance(item, Rejection):
            rejected.append(str(item))
        else:
            good.append(item)
    summary = store.upsert_patients(good)
    return ImportSummary(
        summary.created, summary.updated, summary.unchanged, (*rejected, *summary.rejected)
    )
