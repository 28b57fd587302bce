"""Emergency and admission documents for the invented chest-pain patient (texts only)."""

from __future__ import annotations

from datetime import date

from _patients import (
    TOBIAS,
    ChartDoc,
    Condition,
    base_facts,
    continued,
    header,
    iso,
    long,
    signed,
    us,
)

ADMIT = date(2023, 6, 18)


def history_and_physical() -> ChartDoc:
    p = TOBIAS
    first = header(
        "HISTORY AND PHYSICAL",
        p,
        [
            ("Admission Date", long(ADMIT)),
            ("Attending", "Peregrine Walcott, MD"),
            ("Service", "Cardiology"),
        ],
        dob=long(p.dob),
    )
    first += """
## Chief Complaint
Chest pain for 6 hours.

## History of Present Illness
52-year-old man with HTN, hyperlipidemia and paroxysmal atrial fibrillation who developed \
substernal chest pressure at rest this morning, radiating to the left arm, with diaphoresis. \
Pain 7/10, partially relieved by nitroglycerin in the ED. ECG shows atrial fibrillation at 112 \
with 1 mm ST depression in V4-V6. Initial troponin 0.09 ng/mL. Admitted to rule out ACS; rule \
out PE given recent flight.

## Past Medical History
- Hypertension, since 2010
- Hyperlipidemia
- Paroxysmal atrial fibrillation, diagnosed 2018
- h/o kidney stones 2014
- No history of diabetes. No prior stroke.

## Family History
Father had MI at age 52. Mother had breast cancer at 64.

## Social History
Former smoker, quit 2015. Two beers per week. Works as a bus driver.
"""
    second = continued("HISTORY AND PHYSICAL", p)
    second += """
## Medications
- Metoprolol succinate 50 mg daily
- Apixaban 5 mg twice daily
- Atorvastatin 40 mg nightly
- Lisinopril 20 mg daily

## Allergies
No known drug allergies.

## Physical Examination
BP 158/94, HR 108 irregular, RR 18, SpO2 97% on room air. Lungs clear. No JVD. No leg edema.

## Assessment and Plan
1. Chest pain, possible NSTEMI: aspirin load, heparin drip, serial troponins every 6 hours, \
cardiology to consider catheterization.
2. Atrial fibrillation with rapid ventricular response: metoprolol, hold apixaban while on heparin.
3. Rule out PE: CT angiography if troponin trend is flat.
4. HTN: continue lisinopril.

## Diagnoses
Chest pain; atrial fibrillation with RVR; HTN; hyperlipidemia.
"""
    second += signed("Peregrine Walcott", f"{us(ADMIT)} 14:20")
    facts = base_facts(p, admission_date=iso(ADMIT), attending="Peregrine Walcott, MD")
    conditions = (
        Condition("chest pain", "affirmed"),
        Condition("paroxysmal atrial fibrillation", "affirmed"),
        Condition("rule out PE", "hypothetical"),
        Condition("No history of diabetes", "negated"),
        Condition("h/o kidney stones 2014", "historical"),
        Condition("Father had MI at age 52", "family"),
        Condition("Mother had breast cancer", "family"),
    )
    return ChartDoc("history_and_physical", p, (first, second), "mono", facts, conditions)


def ed_note() -> ChartDoc:
    p = TOBIAS
    page = header(
        "EMERGENCY DEPARTMENT NOTE",
        p,
        [
            ("Date of Service", iso(ADMIT)),
            ("Arrival", "08:52 by private vehicle"),
            ("Attending", "Marisol Quenby, MD"),
        ],
    )
    page += """
## Chief Complaint
Chest pain.

## History of Present Illness
Pressure-like substernal chest pain since about 06:30, associated with sweating and mild \
nausea. No shortness of breath. Returned from a 9-hour flight two days ago. Takes apixaban for \
atrial fibrillation and reports no missed doses.

## Review of Systems
Negative for fever, cough, hemoptysis, leg swelling and syncope.

## ED Course
ECG at 08:58: atrial fibrillation, rate 112, ST depression V4-V6. Aspirin 324 mg chewed, \
nitroglycerin 0.4 mg sublingual x2 with partial relief. Troponin 0.09 ng/mL (reference < 0.04). \
Chest x-ray: no acute process, no evidence of pneumonia.

## Assessment
Chest pain concerning for NSTEMI. Atrial fibrillation with RVR. Low suspicion for PE on \
apixaban; rule out PE if troponin flat.

## Disposition
Admitted to cardiology, telemetry bed, in stable condition.
"""
    page += signed("Marisol Quenby", f"{long(ADMIT)} 11:05")
    facts = base_facts(p, date_of_service=iso(ADMIT), attending="Marisol Quenby, MD")
    conditions = (
        Condition("No shortness of breath", "negated"),
        Condition("no evidence of pneumonia", "negated"),
        Condition("NSTEMI", "hypothetical"),
    )
    return ChartDoc("ed_note", p, (page,), "sans", facts, conditions)


def medication_reconciliation() -> ChartDoc:
    p = TOBIAS
    page = header(
        "ADMISSION MEDICATION RECONCILIATION",
        p,
        [("Date of Service", us(ADMIT)), ("Reviewed by", "Linnea Graystock, PharmD")],
    )
    page += """
## Home medications
| MEDICATION               DOSE      ROUTE  FREQUENCY   ACTION ON ADMISSION
| Metoprolol succinate     50 mg     PO     daily       Continue
| Apixaban                 5 mg      PO     BID         Hold (on heparin)
| Atorvastatin             40 mg     PO     nightly     Change to 80 mg
| Lisinopril               20 mg     PO     daily       Continue
| Omeprazole               20 mg     PO     daily       Continue
| Ibuprofen                400 mg    PO     PRN pain    Stop

## New medications started
| Aspirin                  81 mg     PO     daily       Start
| Heparin infusion         per protocol IV continuous   Start

## Allergies
No known drug allergies. Verified with patient and pharmacy fill history.

## Notes
Patient brought medication bottles. Last apixaban dose 06/17/2023 at 21:00. Ibuprofen stopped \
given anticoagulation and CKD risk; acetaminophen as needed instead.
"""
    page += signed("Linnea Graystock", f"{us(ADMIT)} 15:31")
    facts = base_facts(p, date_of_service=iso(ADMIT))
    return ChartDoc("medication_reconciliation", p, (page,), "sans", facts, ())
