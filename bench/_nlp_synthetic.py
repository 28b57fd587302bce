"""Synthetic notes with known diagnoses (3-character ICD-10-CM category + assertion) and dates.

Two disjoint template sets: "dev" (used while tuning the rules) and "held-out" (written once,
scored only). Conditions are split the same way (even / odd positions), so held-out notes use
wordings and conditions the rules were not adjusted on.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

# (wording, 3-character category); a mix of full terms, lay wording and abbreviations
CONDITIONS: list[tuple[str, str]] = [
    ("hypertension", "I10"), ("essential hypertension", "I10"), ("HTN", "I10"),
    ("type 2 diabetes mellitus", "E11"), ("T2DM", "E11"), ("diabetes mellitus type 2", "E11"),
    ("congestive heart failure", "I50"), ("CHF", "I50"), ("systolic heart failure", "I50"),
    ("atrial fibrillation", "I48"), ("AFib", "I48"), ("COPD", "J44"),
    ("chronic obstructive pulmonary disease", "J44"), ("asthma", "J45"), ("pneumonia", "J18"),
    ("community acquired pneumonia", "J18"), ("urinary tract infection", "N39"), ("UTI", "N39"),
    ("chronic kidney disease stage 3", "N18"), ("CKD", "N18"), ("hyperlipidemia", "E78"),
    ("hypothyroidism", "E03"), ("major depressive disorder", "F32"), ("depression", "F32"),
    ("anxiety", "F41"), ("GERD", "K21"), ("gastroesophageal reflux disease", "K21"),
    ("obstructive sleep apnea", "G47"), ("osteoarthritis of the knee", "M17"),
    ("deep vein thrombosis", "I82"), ("DVT", "I82"), ("pulmonary embolism", "I26"),
    ("stroke", "I63"), ("transient ischemic attack", "G45"), ("TIA", "G45"),
    ("coronary artery disease", "I25"), ("CAD", "I25"), ("myocardial infarction", "I21"),
    ("sepsis", "A41"), ("cellulitis", "L03"), ("anemia", "D64"), ("iron deficiency anemia", "D50"),
    ("breast cancer", "C50"), ("prostate cancer", "C61"), ("lung cancer", "C34"),
    ("migraine", "G43"), ("epilepsy", "G40"), ("gout", "M10"), ("obesity", "E66"),
    ("chest pain", "R07"), ("shortness of breath", "R06"), ("headache", "R51"), ("fever", "R50"),
    ("abdominal pain", "R10"), ("nausea and vomiting", "R11"), ("cough", "R05"),
    ("acute kidney injury", "N17"), ("cirrhosis of liver", "K74"), ("pancreatitis", "K85"),
]  # fmt: skip

TEMPLATES: dict[str, dict[str, list[str]]] = {
    "dev": {
        "affirmed": ["Assessment: {c}.", "The patient has {c}.", "Diagnosed with {c} today."],
        "negated": ["Denies {c}.", "No evidence of {c}.", "Negative for {c}."],
        "historical": ["History of {c}.", "h/o {c}, treated in the past."],
        "family": ["Mother had {c}.", "Family history of {c}."],
        "hypothetical": ["Will evaluate for {c}.", "Rule out {c}."],
    },
    "held-out": {
        "affirmed": [
            "Impression: {c}, stable on current therapy.",
            "Admitted for {c}.",
            "She was treated for {c} during this stay.",
            "Principal problem is {c}.",
        ],
        "negated": [
            "He does not have {c}.",
            "There is no {c}.",
            "{C} was ruled out.",
            "Patient denied any {c}.",
            "Workup was negative for {c}.",
        ],
        "historical": ["Past medical history of {c}.", "Remote history of {c}.", "Prior {c}."],
        "family": [
            "His father had {c}.",
            "Sister with {c}.",
            "Family history is significant for {c}.",
        ],
        "hypothetical": ["Concern for {c}.", "Possible {c}.", "Return if {c} develops."],
    },
}
FILLER = [
    "Vital signs are within normal limits.",
    "Lungs clear to auscultation bilaterally.",
    "Continue current medications and follow up in clinic.",
    "Labs reviewed with the patient; net negative 1.2 liters yesterday.",
    "Ambulating without difficulty, tolerating diet.",
    "No change in medications today.",
]
DATE_LABELS = {
    "birth": ["DOB", "Date of Birth", "D.O.B."],
    "admission": ["Admission Date", "Admitted", "Date of Admission"],
    "discharge": ["Discharge Date", "Discharged", "Date of Discharge"],
    "service": ["Date of Service", "Visit Date", "DOS"],
}
DATE_FORMATS = ["%m/%d/%Y", "%B %d, %Y", "%d-%b-%Y", "%Y-%m-%d", "%m-%d-%Y", "%b %d %Y", "%m/%d/%y"]


@dataclass(frozen=True)
class GoldMention:
    start: int
    end: int
    category: str
    assertion: str


@dataclass(frozen=True)
class GoldDate:
    start: int
    end: int
    value: str
    role: str


@dataclass(frozen=True)
class SyntheticNote:
    text: str
    mentions: list[GoldMention]
    dates: list[GoldDate]


def make_notes(split: str, n: int, seed: int) -> list[SyntheticNote]:
    rng = random.Random(seed)
    templates = TEMPLATES[split]
    pool = CONDITIONS[0::2] if split == "dev" else CONDITIONS[1::2]
    notes = []
    for _ in range(n):
        parts: list[str] = []
        mentions: list[GoldMention] = []
        dates: list[GoldDate] = []
        pos = 0

        def add(piece: str, parts: list[str] = parts) -> None:
            nonlocal pos
            parts.append(piece)
            pos += len(piece)

        add("CLINIC NOTE\n")
        for role, labels in DATE_LABELS.items():
            if rng.random() < 0.7:
                day = date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 90))
                if role != "birth":
                    day = date(2015, 1, 1) + timedelta(days=rng.randrange(365 * 10))
                fmt = rng.choice(DATE_FORMATS if role != "birth" else DATE_FORMATS[:-1])
                shown = day.strftime(fmt)
                label = rng.choice(labels)
                add(f"{label}: ")
                dates.append(GoldDate(pos, pos + len(shown), day.isoformat(), role))
                add(f"{shown}\n")
        add("\n")
        for _ in range(rng.randint(4, 9)):
            assertion = rng.choice(list(templates))
            wording, category = rng.choice(pool)
            template = rng.choice(templates[assertion])
            shown_c = wording[0].upper() + wording[1:] if template.startswith("{C}") else wording
            template = template.replace("{C}", "{c}")
            before, after = template.split("{c}")
            add(before)
            mentions.append(GoldMention(pos, pos + len(shown_c), category, assertion))
            add(shown_c + after + " ")
            if rng.random() < 0.5:
                add(rng.choice(FILLER) + " ")
            add("\n")
        notes.append(SyntheticNote("".join(parts), mentions, dates))
    return notes
