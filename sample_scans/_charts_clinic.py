"""Laboratory, pathology, clinic and consent documents for the invented patients (texts only)."""

from __future__ import annotations

from datetime import date

from _patients import (
    JASPER,
    ORLA,
    WREN,
    ChartDoc,
    Condition,
    base_facts,
    dmy,
    header,
    iso,
    long,
    signed,
    us,
)


def lab_report() -> ChartDoc:
    p, when = ORLA, date(2019, 3, 12)
    page = header(
        "LABORATORY REPORT",
        p,
        [
            ("Collected", f"{us(when)} 05:40"),
            ("Received", f"{us(when)} 06:15"),
            ("Ordering Physician", "Hollis Penrake, MD"),
            ("Location", "4 West, Bed 12"),
        ],
    )
    page += """
## Basic Metabolic Panel
| TEST                RESULT   FLAG  UNITS      REFERENCE RANGE
| Sodium              134      L     mmol/L     135-145
| Potassium           3.4      L     mmol/L     3.5-5.1
| Chloride            97       L     mmol/L     98-107
| CO2                 29             mmol/L     22-29
| BUN                 38       H     mg/dL      7-20
| Creatinine          1.7      H     mg/dL      0.6-1.1
| eGFR                31       L     mL/min     >60
| Glucose             186      H     mg/dL      70-99
| Calcium             8.9            mg/dL      8.5-10.2

## Cardiac and Other
| TEST                RESULT   FLAG  UNITS      REFERENCE RANGE
| BNP                 1840     H     pg/mL      <100
| Troponin I          <0.01          ng/mL      <0.04
| Hemoglobin A1c      8.1      H     %          4.0-5.6
| Magnesium           1.9            mg/dL      1.7-2.2

## Complete Blood Count
| TEST                RESULT   FLAG  UNITS      REFERENCE RANGE
| WBC                 7.8            K/uL       4.0-11.0
| Hemoglobin          11.2     L     g/dL       12.0-16.0
| Platelets           231            K/uL       150-400

Critical values: none. Results verified by the laboratory on 12-MAR-2019 07:02.
Performed at Northgate Valley Medical Center Laboratory, CLIA 00D0000000.
"""
    facts = base_facts(p, date_of_service=iso(when), attending="Hollis Penrake, MD")
    return ChartDoc("lab_report", p, (page,), "sans", facts, ())


def clinic_note() -> ChartDoc:
    p, when = ORLA, date(2019, 6, 20)
    page = header(
        "ENDOCRINOLOGY CLINIC NOTE",
        p,
        [("Date of Service", long(when)), ("Attending", "Agatha Millbury, MD")],
    )
    page += """
## Chief Complaint
Follow-up of Type 2 diabetes mellitus.

## History of Present Illness
Seen three months after admission for CHF. Weight stable, no orthopnea. Checks glucose twice \
daily, fasting 120-160 mg/dL. Two episodes of hypoglycemia to 62 mg/dL after skipped lunches. \
No polyuria. Denies vision changes.

## Medications
Insulin glargine 22 units at bedtime; metformin was stopped in 2018 for CKD stage 3. \
Furosemide, carvedilol, lisinopril, atorvastatin, aspirin.

## Allergies
Penicillin, sulfa.

## Assessment and Plan
1. Type 2 diabetes mellitus, HbA1c 7.6% today (8.1% on 2019-03-12): reduce glargine to 20 \
units, add lunchtime snack plan, start a GLP-1 receptor agonist.
2. CKD stage 3: eGFR 38; avoid metformin; repeat renal panel in 3 months.
3. CHF, compensated: per cardiology.
4. Diabetic retinopathy screening: no evidence of retinopathy on exam of 01/15/2019.

Return in 3 months with labs.
"""
    page += signed("Agatha Millbury", "06/20/2019 12:10")
    facts = base_facts(p, date_of_service=iso(when), attending="Agatha Millbury, MD")
    conditions = (
        Condition("Type 2 diabetes mellitus", "affirmed"),
        Condition("hypoglycemia", "affirmed"),
        Condition("no evidence of retinopathy", "negated"),
        Condition("Denies vision changes", "negated"),
    )
    return ChartDoc("clinic_note", p, (page,), "serif", facts, conditions)


def consent_form() -> ChartDoc:
    p, when = WREN, date(2024, 2, 6)
    page = header(
        "CONSENT FOR PROCEDURE",
        p,
        [("Date", us(when)), ("Physician", "Ottoline Brackwater, MD")],
    )
    page += f"""
@barcodes Code128=MRN:{p.mrn}
MRN:{p.mrn}

## Procedure
Ultrasound-guided core needle biopsy of the left breast, 2 o'clock position.

## Statement of the patient
1. My physician has explained the nature and purpose of the procedure, its expected benefits, \
and the alternatives, including observation with a repeat ultrasound in 6 months.
2. I understand the risks, which include bleeding, bruising, infection, pain, a non-diagnostic \
sample requiring repeat biopsy, and damage to nearby structures.
3. I consent to the administration of local anesthesia and to the examination and disposal of \
removed tissue by the pathology department.
4. I have had the opportunity to ask questions and all of my questions have been answered.

[X] I have no allergy to lidocaine or latex.
[ ] I take blood thinners (aspirin, warfarin, apixaban, clopidogrel).
[X] I consent to the procedure described above.

Patient signature:
@scribble
Signed on {long(when)} at 09:40.

Witness: Harriet Loamfield, RN
Physician: Ottoline Brackwater, MD
"""
    facts = base_facts(p, date_of_service=iso(when), attending="Ottoline Brackwater, MD")
    return ChartDoc("consent_form", p, (page,), "serif", facts, ())


def pathology_report() -> ChartDoc:
    p, when = WREN, date(2024, 2, 6)
    page = header(
        "SURGICAL PATHOLOGY REPORT",
        p,
        [
            ("Accession", "SP-24-000173"),
            ("Collected", dmy(when)),
            ("Reported", "2024-02-09"),
            ("Submitting Physician", "Ottoline Brackwater, MD"),
        ],
    )
    page += """
## Clinical History
38-year-old woman with a palpable left breast mass, BI-RADS 4A on ultrasound. Mother had breast \
cancer at age 45. No personal history of breast cancer.

## Specimen
Left breast, 2 o'clock, 4 cm from nipple, ultrasound-guided core needle biopsy (4 cores).

## Gross Description
Received in formalin labeled with the patient's name and MRN are four tan-white cores of \
tissue, 1.2 to 1.6 cm in length and 0.1 cm in diameter, entirely submitted in one cassette.

## Microscopic Description
Sections show a circumscribed fibroepithelial lesion with a pericanalicular growth pattern. The \
stroma is of low cellularity without atypia or mitotic activity. Ductal epithelium is bland.

## Diagnosis
Left breast, 2 o'clock, core needle biopsy:
- Fibroadenoma.
- No evidence of malignancy.
- Negative for atypical hyperplasia.

## Comment
The findings are concordant with the imaging. Given the family history, referral to the \
high-risk breast clinic for genetic counseling is suggested.
"""
    page += signed("Leopold Sandringham", "February 9, 2024")
    facts = base_facts(p, date_of_service=iso(when), attending="Leopold Sandringham, MD")
    conditions = (
        Condition("Fibroadenoma", "affirmed"),
        Condition("No evidence of malignancy", "negated"),
        Condition("Mother had breast cancer", "family"),
        Condition("No personal history of breast cancer", "negated"),
    )
    return ChartDoc("pathology_report", p, (page,), "sans", facts, conditions)


def cardiology_consult() -> ChartDoc:
    p, when = JASPER, date(2022, 1, 18)
    page = header(
        "CARDIOLOGY CONSULTATION",
        p,
        [("Date of Service", us(when)), ("Attending", "Theodora Vanholt, MD")],
    )
    page += """
## Reason for Consultation
New-onset atrial fibrillation found at a pre-employment physical.

## History of Present Illness
57-year-old man with HTN, occasional palpitations for two months and no syncope. Denies chest \
pain and dyspnea. No history of stroke or TIA. CT angiography on 14-MAR-2021 showed no evidence \
of pulmonary embolism.

## Past Medical History
HTN; cholelithiasis status post laparoscopic cholecystectomy 08/02/2021; h/o DVT 2012.

## Family History
Father had atrial fibrillation and a stroke at 70. No family history of sudden cardiac death.

## Assessment and Plan
1. Atrial fibrillation, persistent, rate controlled on diltiazem. CHA2DS2-VASc score 1 (HTN): \
discussed anticoagulation; patient chooses apixaban 5 mg twice daily.
2. Transthoracic echocardiogram to assess structure; TSH.
3. Rule out obstructive sleep apnea: sleep study referral.
4. HTN: continue lisinopril 10 mg daily.
"""
    page += signed("Theodora Vanholt", f"{long(when)} 15:48")
    facts = base_facts(p, date_of_service=iso(when), attending="Theodora Vanholt, MD")
    conditions = (
        Condition("atrial fibrillation", "affirmed"),
        Condition("Denies chest pain", "negated"),
        Condition("No history of stroke or TIA", "negated"),
        Condition("Father had atrial fibrillation", "family"),
        Condition("Rule out obstructive sleep apnea", "hypothetical"),
    )
    return ChartDoc("cardiology_consult", p, (page,), "sans", facts, conditions)


def echo_report() -> ChartDoc:
    p, when = JASPER, date(2022, 1, 19)
    page = header(
        "TRANSTHORACIC ECHOCARDIOGRAM REPORT",
        p,
        [("Date of Service", dmy(when)), ("Indication", "Atrial fibrillation")],
        dob=iso(p.dob),
    )
    page += """
## Measurements
| PARAMETER                      VALUE     UNITS   NORMAL
| LV ejection fraction (biplane) 55        %       52-72
| LV end-diastolic diameter      5.1       cm      4.2-5.8
| Interventricular septum        1.1       cm      0.6-1.0
| Left atrial volume index       41        mL/m2   16-34
| TAPSE                          2.2       cm      >1.7
| RV systolic pressure           28        mmHg    <35

## Findings
Normal left ventricular size with mild concentric hypertrophy. Normal systolic function, no \
regional wall motion abnormality. Moderately dilated left atrium. Mild mitral regurgitation. No \
evidence of pericardial effusion. No intracardiac thrombus seen (transthoracic study).

## Conclusions
1. LVEF 55%.
2. Moderate left atrial enlargement, consistent with atrial fibrillation.
3. No evidence of pericardial effusion.
"""
    page += signed("Theodora Vanholt", f"{iso(when)} 10:30")
    facts = base_facts(p, date_of_service=iso(when), attending="Theodora Vanholt, MD")
    conditions = (
        Condition("Mild mitral regurgitation", "affirmed"),
        Condition("No evidence of pericardial effusion", "negated"),
    )
    return ChartDoc("echo_report", p, (page,), "sans", facts, conditions)
