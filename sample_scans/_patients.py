"""The invented patients and the markup shared by every synthetic chart document.

Every name, number and address here is made up; phone numbers use the fictional 555-01xx range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

HOSPITAL = "NORTHGATE VALLEY MEDICAL CENTER"
ADDRESS = "400 Placeholder Avenue, Lakemont  -  Tel (555) 010-4400  -  Fax (555) 010-4499"
SEPARATOR_TEXT = "CHARTROOM-SEPARATOR-0001"


@dataclass(frozen=True)
class Patient:
    mrn: str  # 8 digits
    last: str
    first: str
    dob: date
    sex: str  # "F" or "M"

    @property
    def name(self) -> str:
        return f"{self.last.upper()}, {self.first}"

    @property
    def sex_word(self) -> str:
        return "Female" if self.sex == "F" else "Male"


@dataclass(frozen=True)
class Condition:
    text: str  # appears verbatim (case-insensitive, line breaks as spaces) in the document
    status: str  # "affirmed", "negated", "historical", "family" or "hypothetical"


@dataclass(frozen=True)
class ChartDoc:
    document_type: str
    patient: Patient | None
    pages: tuple[str, ...]  # page markup (see _render)
    family: str = "sans"
    facts: Mapping[str, str] = field(default_factory=dict)  # header values, dates in ISO form
    conditions: tuple[Condition, ...] = ()


ORLA = Patient("00123456", "Brindlemoor", "Orla", date(1952, 7, 9), "F")
JASPER = Patient("00234567", "Quellbrook", "Jasper", date(1964, 11, 23), "M")
MIRELLE = Patient("00345678", "Fenwhistle", "Mirelle", date(1947, 2, 28), "F")
TOBIAS = Patient("00456789", "Ashcombe-Varro", "Tobias", date(1971, 5, 17), "M")
WREN = Patient("00567890", "Tallowmere", "Wren", date(1985, 9, 3), "F")
ROSTER = (ORLA, JASPER, MIRELLE, TOBIAS, WREN)


def us(d: date) -> str:
    return d.strftime("%m/%d/%Y")


def long(d: date) -> str:
    return f"{d.strftime('%B')} {d.day}, {d.year}"


def dmy(d: date) -> str:
    return d.strftime("%d-%b-%Y").upper()


def iso(d: date) -> str:
    return d.isoformat()


def header(title: str, p: Patient, fields: list[tuple[str, str]], dob: str = "") -> str:
    """Letterhead, title and the identification block of a document's first page."""
    rows = [
        f"^ {HOSPITAL}",
        f"^^ {ADDRESS}",
        "---",
        f"# {title}",
        "",
        f"* Patient Name: {p.name}",
        f"* MRN: {p.mrn}",
        f"* DOB: {dob or us(p.dob)}",
        f"* Sex: {p.sex_word}",
    ]
    rows += [f"* {label}: {value}" for label, value in fields]
    rows.append("---")
    return "\n".join(rows) + "\n"


def continued(title: str, p: Patient) -> str:
    """The running header of a continuation page."""
    return f"## {title} (continued)\n{p.name}   MRN: {p.mrn}   DOB: {us(p.dob)}\n---\n"


def signed(doctor: str, when: str) -> str:
    return f"\nElectronically signed by Dr. {doctor} on {when}\n"


def base_facts(p: Patient, **more: str) -> dict[str, str]:
    facts = {
        "patient_name": p.name,
        "mrn": p.mrn,
        "dob": iso(p.dob),
        "sex": p.sex,
    }
    facts.update(more)
    return facts


def cover_sheet(p: Patient, code2d: str, batch: str, received: date) -> ChartDoc:
    payload = f"MRN:{p.mrn}|{p.last.upper()}^{p.first.upper()}|{p.dob.strftime('%Y%m%d')}"
    page = f"""
^ {HOSPITAL}
^^ Health Information Management  -  Scanning Cover Sheet
---
# PATIENT COVER SHEET
Place this sheet on top of the patient's documents. Do not separate.

* Patient Name: {p.name}
* MRN: {p.mrn}
* DOB: {us(p.dob)}
* Sex: {p.sex_word}
* Batch: {batch}
* Received: {long(received)}

## Patient label
@barcodes Code128=MRN:{p.mrn}; {code2d}={payload}
MRN:{p.mrn}

## Scanning instructions
1. Scan this sheet first, then every page of the patient's documents.
2. Insert a separator sheet between documents of different types.
3. Report damaged or illegible pages to HIM at extension 4412.
"""
    facts = base_facts(p, batch=batch, received=iso(received))
    return ChartDoc("cover_sheet", p, (page,), facts=facts)


def separator_sheet() -> ChartDoc:
    page = f"""
^ {HOSPITAL}
---



@big SEPARATOR SHEET



A new document starts after this page.
Do not remove. This sheet is recognised by its barcode.

@barcodes Code128={SEPARATOR_TEXT}
{SEPARATOR_TEXT}
"""
    return ChartDoc("separator_sheet", None, (page,))
