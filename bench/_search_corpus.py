"""The synthetic chart text of bench/search_scale.py: a seeded, fast generator (no OCR, no NLP).

Sentences common to every document type and sentences of one type only, ICD-10-CM diagnoses
with their words, medications, symptoms, and a long tail of pseudo-words standing for names,
places and OCR debris, so term frequencies look like an archive's rather than a template's.
Invented patients only.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

DIAGNOSES = [
    ("I50.9", "heart failure"),
    ("I50.23", "acute on chronic systolic heart failure"),
    ("I10", "essential hypertension"),
    ("E11.9", "type 2 diabetes mellitus"),
    ("E78.5", "hyperlipidemia"),
    ("N18.3", "chronic kidney disease stage 3"),
    ("J18.9", "pneumonia"),
    ("J44.9", "chronic obstructive pulmonary disease"),
    ("I48.91", "atrial fibrillation"),
    ("I21.9", "acute myocardial infarction"),
    ("C50.912", "malignant neoplasm of left breast"),
    ("C50.911", "malignant neoplasm of right breast"),
    ("C34.90", "lung cancer"),
    ("C18.9", "colon cancer"),
    ("D64.9", "anemia"),
    ("F32.9", "major depressive disorder"),
    ("G40.909", "epilepsy"),
    ("K21.9", "reflux"),
    ("M54.5", "low back pain"),
    ("N39.0", "urinary tract infection"),
    ("R07.9", "chest pain"),
    ("R06.02", "shortness of breath"),
    ("Z95.1", "presence of coronary bypass graft"),
    ("A41.9", "sepsis"),
    ("K35.80", "acute appendicitis"),
    ("S72.001A", "fracture of femur"),
    ("O24.419", "gestational diabetes"),
    ("L03.90", "cellulitis"),
    ("E03.9", "hypothyroidism"),
    ("I63.9", "cerebral infarction"),
]
MEDS = [
    "furosemide 40 mg daily",
    "metoprolol 25 mg twice daily",
    "lisinopril 10 mg daily",
    "metformin 500 mg twice daily",
    "atorvastatin 40 mg nightly",
    "apixaban 5 mg twice daily",
    "insulin glargine 20 units nightly",
    "levothyroxine 75 mcg daily",
    "tamoxifen 20 mg daily",
    "amoxicillin 500 mg three times daily",
    "ceftriaxone 1 g IV daily",
    "sertraline 50 mg",
]
SECTIONS = [
    "HISTORY OF PRESENT ILLNESS",
    "PAST MEDICAL HISTORY",
    "MEDICATIONS",
    "ALLERGIES",
    "REVIEW OF SYSTEMS",
    "PHYSICAL EXAMINATION",
    "LABORATORY DATA",
    "IMAGING",
    "ASSESSMENT AND PLAN",
    "HOSPITAL COURSE",
    "DISCHARGE INSTRUCTIONS",
    "FINDINGS",
]
PHRASES = [  # any document type
    "The patient is a {age}-year-old {sex} who presented with {sym} for {n} days.",
    "She reports {sym} and denies fever, chills or night sweats.",
    "He was started on {med} and tolerated it well.",
    "Vital signs: blood pressure {bp}, heart rate {hr}, oxygen saturation {sat}% on room air.",
    "History of {dx}, followed by {clinic} and primary care.",
    "Assessment: {dx}. Plan: continue {med}, follow up in clinic in {n} weeks.",
    "No evidence of {dx2}. Family history of {dx2} in her mother.",
    "Discussed risks and benefits; the patient agrees with the plan.",
    "Return precautions reviewed, including worsening {sym} or new symptoms.",
]
BY_TYPE = {  # only in documents of one type
    "discharge_summary": [
        "Hospital course was notable for {sym}, treated with {med}.",
        "Discharged home in stable condition with {clinic} follow-up.",
        "Lungs with scattered crackles at the bases; trace edema bilaterally.",
    ],
    "radiology_report": [
        "Chest x-ray showed {img}.",
        "Impression: {img}; correlate clinically.",
        "CT of the chest demonstrates a spiculated mass in the {lobe} lobe.",
    ],
    "pathology_report": [
        "Pathology: invasive ductal carcinoma, grade {n}, margins negative.",
        "Specimen received in formalin, labeled with the patient's name.",
        "Immunohistochemistry: estrogen receptor positive, HER2 negative.",
    ],
    "laboratory_report": [
        "Laboratory results notable for creatinine {cr} and hemoglobin {hb}.",
        "Potassium {k}, sodium {na}, glucose {glu}.",
    ],
    "operative_report": [
        "The patient was brought to the operating room and placed supine.",
        "Estimated blood loss {n}0 mL; no complications.",
    ],
    "consultation": [
        "Echocardiogram with ejection fraction of {ef}%.",
        "Thank you for this consultation regarding {dx}.",
    ],
}
CLINICS = ["cardiology", "nephrology", "oncology", "pulmonology", "endocrinology", "surgery"]
LOBES = ["right upper", "right lower", "left upper", "left lower", "middle"]
SYLLABLES = [
    "ka",
    "lo",
    "mer",
    "vin",
    "tra",
    "sel",
    "dor",
    "quin",
    "bra",
    "fe",
    "nu",
    "zet",
    "hol",
    "par",
    "ix",
    "om",
    "rel",
    "stan",
    "gri",
    "wo",
    "chu",
    "ben",
    "tal",
    "sko",
]


def long_tail(rng: random.Random, size: int = 30_000) -> list[str]:
    """Pseudo-words standing for names, places, OCR debris: a realistic long-tail lexicon."""
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)]


SYMPTOMS = [
    "shortness of breath",
    "chest pain",
    "cough",
    "fatigue",
    "abdominal pain",
    "dizziness",
    "leg swelling",
    "palpitations",
    "headache",
    "nausea",
]
IMAGING = [
    "no acute cardiopulmonary process",
    "bilateral pleural effusions",
    "right lower lobe consolidation",
    "cardiomegaly",
    "a spiculated mass",
]
TYPES = [
    "discharge_summary",
    "history_and_physical",
    "progress_note",
    "operative_report",
    "pathology_report",
    "radiology_report",
    "laboratory_report",
    "consultation",
    "correspondence",
    "consent_form",
]
SURNAMES = [
    "Brindlemoor",
    "Quellbrook",
    "Ashcombe",
    "Fenwhistle",
    "Tallowmere",
    "Varro",
    "Pennick",
    "Holloway",
    "Marrow",
    "Sallow",
    "Crane",
    "Dunmore",
    "Elbery",
    "Farrant",
]
GIVEN = ["Orla", "Jasper", "Mira", "Tobias", "Ines", "Rowan", "Edda", "Caspar", "Lina", "Odo"]


def page_text(
    rng: random.Random, doc_type: str, dxs: list[tuple[str, str]], words: int, tail: list[str]
) -> str:
    out: list[str] = [doc_type.replace("_", " ").upper()]
    own = BY_TYPE.get(doc_type, [])
    count = 0
    while count < words:
        out.append(f"\n{rng.choice(SECTIONS)}:")
        for _ in range(rng.randint(2, 5)):
            pool = own if own and rng.random() < 0.35 else PHRASES
            sentence = rng.choice(pool).format(
                age=rng.randint(19, 94),
                sex=rng.choice(["woman", "man"]),
                sym=rng.choice(SYMPTOMS),
                n=rng.randint(1, 9),
                med=rng.choice(MEDS),
                bp=f"{rng.randint(95, 180)}/{rng.randint(55, 100)}",
                hr=rng.randint(52, 120),
                sat=rng.randint(86, 100),
                cr=f"{rng.uniform(0.6, 3.5):.1f}",
                hb=f"{rng.uniform(7.5, 15.5):.1f}",
                img=rng.choice(IMAGING),
                ef=rng.randint(15, 65),
                dx=rng.choice(dxs)[1],
                dx2=rng.choice(DIAGNOSES)[1],
                clinic=rng.choice(CLINICS),
                lobe=rng.choice(LOBES),
                k=f"{rng.uniform(3, 6):.1f}",
                na=rng.randint(128, 148),
                glu=rng.randint(60, 400),
            )
            out.append(sentence)
            count += len(sentence.split())
        # free text: a Zipf-like draw from the long tail (names, places, OCR debris)
        extra = [tail[int(len(tail) * rng.random() ** 3)] for _ in range(rng.randint(4, 12))]
        out.append(" ".join(extra) + ".")
        count += len(extra)
    return " ".join(out)


# --- records for the synthetic archives of bench/search_scale.py and bench/web_load.py -----------
# (random draws in a fixed order: the same seed gives the same archive)


def roster(rng: random.Random, count: int) -> list[Any]:
    """`count` invented patients (PatientRecord), MRNs 10000000 upwards; the first 14 surnames
    bare, the rest numbered so names stay distinct."""
    from records.types import PatientRecord

    return [
        PatientRecord(
            f"{10_000_000 + i:08d}",
            rng.choice(SURNAMES) + ("" if i < 14 else f"{i}"),
            rng.choice(GIVEN),
            date(1930, 1, 1) + timedelta(days=rng.randint(0, 27000)),
            rng.choice("FM"),
        )
        for i in range(count)
    ]


def scanned_pages(
    rng: random.Random,
    doc_type: str,
    dxs: list[tuple[str, str]],
    tail: list[str],
    pages: list[tuple[int, int, int]],
) -> tuple[Any, ...]:
    """ScannedPages of generated chart prose, one per (number, width, height) in `pages`."""
    from scanner.types import CleanupRecord, ScannedPage

    return tuple(
        ScannedPage(
            number,
            width,
            height,
            300,
            page_text(rng, doc_type, dxs, 290, tail),
            91.0,
            False,
            rng.random() < 0.03,
            CleanupRecord(),
        )
        for number, width, height in pages
    )


def chart_diagnoses(rng: random.Random, dxs: list[tuple[str, str]]) -> tuple[Any, ...]:
    """A Diagnosis per (code, text), affirmed four times in five, else negated."""
    from models.types import Assertion, Diagnosis

    return tuple(
        Diagnosis(
            t,
            0,
            len(t),
            c,
            t,
            rng.choice([Assertion.AFFIRMED] * 4 + [Assertion.NEGATED]),
            "",
            "2026-04",
        )
        for c, t in dxs
    )
