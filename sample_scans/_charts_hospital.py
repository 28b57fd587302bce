"""Inpatient and emergency chart documents for the invented patients (texts only)."""

from __future__ import annotations

from datetime import date

from _patients import (
    HOSPITAL,
    JASPER,
    MIRELLE,
    ORLA,
    ChartDoc,
    Condition,
    base_facts,
    continued,
    dmy,
    header,
    iso,
    long,
    signed,
    us,
)


def discharge_summary() -> ChartDoc:
    p, admit, out = ORLA, date(2019, 3, 11), date(2019, 3, 14)
    first = header(
        "DISCHARGE SUMMARY",
        p,
        [
            ("Admission Date", us(admit)),
            ("Discharge Date", us(out)),
            ("Attending", "Hollis Penrake, MD"),
        ],
    )
    first += """
## Chief Complaint
Shortness of breath and leg swelling for one week.

## History of Present Illness
66-year-old woman with CHF (ejection fraction 35%), Type 2 diabetes mellitus, HTN and CKD stage \
3 who presented with progressive dyspnea on exertion, orthopnea and a 4 kg weight gain over one \
week after running out of furosemide. She denied chest pain. In the emergency department BNP \
was 1,840 pg/mL and chest x-ray showed bilateral pleural effusions and vascular congestion. No \
evidence of pneumonia.

## Past Medical History
- Congestive heart failure with reduced ejection fraction
- h/o MI 2015, status post drug-eluting stent to the LAD
- Type 2 diabetes mellitus, on insulin since 2016
- Hypertension (HTN)
- CKD stage 3, baseline creatinine 1.4

## Family History
Father died of MI at age 60. Sister has Type 2 diabetes mellitus.

## Hospital Course
1. Acute on chronic systolic CHF: diuresed with IV furosemide 40 mg twice daily with net \
negative 3.6 liters. Weight on discharge 71.2 kg. Transitioned to oral furosemide on \
03/13/2019.
2. CKD stage 3: creatinine peaked at 1.7 and returned to 1.5 with diuresis.
"""
    second = continued("DISCHARGE SUMMARY", p)
    second += """
3. Type 2 diabetes mellitus: HbA1c 8.1%. Basal insulin continued; glucose 110-190 mg/dL.
4. Chest pain was not reported during the stay; troponin negative x2. Rule out ACS completed.

## Discharge Diagnoses
1. Acute on chronic systolic congestive heart failure (CHF)
2. Type 2 diabetes mellitus with hyperglycemia
3. CKD stage 3
4. Hypertension

## Discharge Medications
- Furosemide 40 mg by mouth twice daily
- Carvedilol 12.5 mg by mouth twice daily
- Lisinopril 5 mg by mouth daily
- Insulin glargine 22 units subcutaneously at bedtime
- Atorvastatin 80 mg by mouth nightly
- Aspirin 81 mg by mouth daily

## Allergies
Penicillin (rash). Sulfa drugs (hives).

## Follow-up
Heart failure clinic in 7 days; basic metabolic panel on March 21, 2019. Daily weights; call \
for a gain of more than 1 kg in a day or 2 kg in a week.
"""
    second += signed("Hollis Penrake", f"{dmy(out)} 16:42")
    facts = base_facts(
        p,
        admission_date=iso(admit),
        discharge_date=iso(out),
        attending="Hollis Penrake, MD",
    )
    conditions = (
        Condition("No evidence of pneumonia", "negated"),
        Condition("h/o MI 2015", "historical"),
        Condition("Father died of MI", "family"),
        Condition("Type 2 diabetes mellitus", "affirmed"),
        Condition("CKD stage 3", "affirmed"),
        Condition("She denied chest pain", "negated"),
    )
    return ChartDoc("discharge_summary", p, (first, second), "sans", facts, conditions)


def radiology_report() -> ChartDoc:
    p, when = JASPER, date(2021, 3, 14)
    page = header(
        "RADIOLOGY REPORT",
        p,
        [
            ("Date of Service", dmy(when)),
            ("Exam", "CT ANGIOGRAPHY CHEST WITH CONTRAST"),
            ("Ordering Physician", "Dr. Sabine Oakhurst"),
        ],
        dob=dmy(p.dob),
    )
    page += """
## Clinical Indication
56-year-old man with pleuritic chest pain and tachycardia, rule out PE. h/o DVT 2012.

## Technique
Helical CT of the chest after 80 mL of intravenous iohexol 350 using a pulmonary embolism \
protocol. Multiplanar reformats were reviewed. Dose length product 412 mGy-cm.

## Comparison
Chest radiograph 13-MAR-2021.

## Findings
Pulmonary arteries: Adequate opacification to the subsegmental level. No filling defect in the \
main, lobar, segmental or subsegmental pulmonary arteries.
Heart and great vessels: Heart size is normal. No pericardial effusion. Mild coronary artery \
calcification.
Lungs and airways: Mild dependent atelectasis at both lung bases. No consolidation. A 4 mm \
nodule in the right upper lobe (series 4, image 61) is unchanged from 2019.
Pleura: No pleural effusion or pneumothorax.
Upper abdomen: Cholelithiasis without gallbladder wall thickening.

## Impression
1. No evidence of pulmonary embolism.
2. No evidence of pneumonia.
3. Stable 4 mm right upper lobe nodule; no further follow-up needed.
4. Cholelithiasis.
"""
    page += signed("Lionel Ferncastle", "2021-03-14 22:07")
    facts = base_facts(
        p, date_of_service=iso(when), attending="Lionel Ferncastle, MD", exam="CTA chest"
    )
    conditions = (
        Condition("rule out PE", "hypothetical"),
        Condition("No evidence of pulmonary embolism", "negated"),
        Condition("h/o DVT 2012", "historical"),
        Condition("Cholelithiasis", "affirmed"),
    )
    return ChartDoc("radiology_report", p, (page,), "serif", facts, conditions)


def progress_note() -> ChartDoc:
    p, day1, day2 = MIRELLE, date(2020, 10, 5), date(2020, 10, 6)
    pages = []
    for day, n, text in (
        (
            day1,
            2,
            """
## Subjective
Hospital day 2 for COPD exacerbation. Breathing a little easier overnight; still short of \
breath walking to the bathroom. Productive cough with yellow sputum. Denies chest pain, fever \
or calf pain.

## Objective
Vitals: T 37.4 C, HR 98, BP 142/84, RR 22, SpO2 91% on 2 L nasal cannula.
Lungs: diffuse expiratory wheezes, prolonged expiration, no crackles.
Labs: WBC 11.2, sodium 138, potassium 3.6, creatinine 0.9. Sputum culture pending.
Chest x-ray: hyperinflation, no evidence of pneumonia.

## Assessment and Plan
1. COPD exacerbation, improving: continue prednisone 40 mg daily (day 2 of 5), azithromycin day \
2 of 5, duonebs every 4 hours and albuterol as needed. Wean oxygen to SpO2 88-92%.
2. HTN: continue amlodipine 5 mg daily.
3. Tobacco use, 50 pack-years, quit in 2016: no active use.
4. DVT prophylaxis: enoxaparin 40 mg daily.
""",
        ),
        (
            day2,
            3,
            """
## Subjective
Feels much better. Walked the hallway twice with physical therapy. Cough less productive.

## Objective
Vitals: HR 84, BP 136/80, RR 18, SpO2 93% on room air at rest, 89% with ambulation.
Lungs: scattered end-expiratory wheezes, improved air movement.

## Assessment and Plan
1. COPD exacerbation, resolving: off oxygen at rest. Home oxygen evaluation before discharge. \
Complete prednisone and azithromycin courses.
2. Pulmonary rehabilitation referral on discharge.
3. Family history: mother had emphysema; brother had lung cancer.
4. Anticipate discharge home tomorrow, 2020-10-07.
""",
        ),
    ):
        page = header(
            "PROGRESS NOTE",
            p,
            [
                ("Date of Service", us(day)),
                ("Hospital Day", str(n)),
                ("Attending", "Imogen Daventry, MD"),
            ],
        )
        page += text + signed("Imogen Daventry", f"{long(day)} at 17:15")
        pages.append(page)
    facts = base_facts(
        p, date_of_service=iso(day1), attending="Imogen Daventry, MD", admission_date="2020-10-04"
    )
    conditions = (
        Condition("COPD exacerbation", "affirmed"),
        Condition("no evidence of pneumonia", "negated"),
        Condition("mother had emphysema", "family"),
        Condition("brother had lung cancer", "family"),
        Condition("Denies chest pain", "negated"),
    )
    return ChartDoc("progress_note", p, tuple(pages), "mono", facts, conditions)


def operative_report() -> ChartDoc:
    p, when = JASPER, date(2021, 8, 2)
    first = header(
        "OPERATIVE REPORT",
        p,
        [
            ("Date of Service", us(when)),
            ("Surgeon", "Cordelia Ashbury, MD"),
            ("Assistant", "Ravi Tenbrook, PA-C"),
            ("Anesthesia", "General endotracheal"),
        ],
    )
    first += """
## Preoperative Diagnosis
Symptomatic cholelithiasis.

## Postoperative Diagnosis
Symptomatic cholelithiasis with chronic cholecystitis.

## Procedure
Laparoscopic cholecystectomy.

## Indications
56-year-old man with recurrent biliary colic since March 2021 and gallstones on CT of \
14-MAR-2021. Past medical history of HTN and atrial fibrillation on apixaban, held for 48 hours \
before surgery. No history of pancreatitis.

## Description of Procedure
The patient was placed supine and general anesthesia was induced. The abdomen was prepped and \
draped in the usual sterile fashion. A 12 mm port was placed at the umbilicus with the open \
Hasson technique and pneumoperitoneum established to 15 mmHg. Three 5 mm ports were placed \
under direct vision. The gallbladder was retracted cephalad. The triangle of Calot was \
dissected and the critical view of safety obtained. The cystic duct and cystic artery were \
clipped and divided.
"""
    second = continued("OPERATIVE REPORT", p)
    second += """
The gallbladder was removed from the liver bed with electrocautery and extracted in a retrieval \
bag. Hemostasis was confirmed. The ports were removed under direct vision and the fascia at the \
umbilicus closed with 0 absorbable suture. Skin was closed with 4-0 monofilament.

## Findings
Thick-walled gallbladder with multiple stones. No evidence of choledocholithiasis on inspection.

## Estimated Blood Loss
15 mL.

## Specimens
Gallbladder to pathology.

## Complications
None.

## Disposition
To the recovery room in stable condition. Resume apixaban on August 4, 2021 if no bleeding.
"""
    second += signed("Cordelia Ashbury", "08/02/2021 13:58")
    facts = base_facts(p, date_of_service=iso(when), attending="Cordelia Ashbury, MD")
    conditions = (
        Condition("chronic cholecystitis", "affirmed"),
        Condition("atrial fibrillation", "affirmed"),
        Condition("No history of pancreatitis", "negated"),
        Condition("No evidence of choledocholithiasis", "negated"),
    )
    return ChartDoc("operative_report", p, (first, second), "serif", facts, conditions)


def referral_letter() -> ChartDoc:
    """A born-digital letter: rendered to PDF with a text layer, not scanned."""
    p, when = MIRELLE, date(2020, 11, 2)
    page = f"""
^ {HOSPITAL}
^^ Department of Pulmonary Medicine  -  Tel (555) 010-4430
---
{long(when)}

Dr. Caspian Weatherby
Lakemont Pulmonary Rehabilitation Program
12 Sample Row, Lakemont

Re: {p.first} {p.last.upper()}   DOB: {us(p.dob)}   MRN: {p.mrn}

Dear Dr. Weatherby,

Thank you for seeing Ms. {p.last}, a 73-year-old woman with severe COPD (FEV1 38% predicted) \
whom we treated in hospital from 10/04/2020 to 2020-10-07 for a COPD exacerbation. She \
completed prednisone and azithromycin. There was no evidence of pneumonia on imaging.

Her past medical history includes HTN and osteoporosis, and a remote h/o tuberculosis exposure \
1978 with a negative work-up. She quit smoking in 2016 after 50 pack-years. Her mother had \
emphysema.

Current medications: tiotropium-olodaterol inhaler daily, albuterol as needed, amlodipine 5 mg \
daily, alendronate 70 mg weekly, calcium with vitamin D. Allergies: codeine (nausea).

She desaturates to 89% with ambulation and we have arranged home oxygen with exertion. I would \
be grateful if you could enrol her in your 12-week pulmonary rehabilitation program. She is \
motivated and lives with her husband, who drives her to appointments.

Sincerely,

Imogen Daventry, MD
Attending Physician, Pulmonary Medicine
Electronically signed by Dr. Imogen Daventry on {dmy(when)} 09:12
"""
    facts = base_facts(p, date_of_service=iso(when), attending="Imogen Daventry, MD")
    conditions = (
        Condition("severe COPD", "affirmed"),
        Condition("no evidence of pneumonia", "negated"),
        Condition("h/o tuberculosis exposure 1978", "historical"),
        Condition("Her mother had emphysema", "family"),
    )
    return ChartDoc("correspondence", p, (page,), "sans", facts, conditions)
