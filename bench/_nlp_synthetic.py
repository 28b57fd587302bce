"""Synthetic notes with known diagnoses (3-character ICD-10-CM category + assertion) and dates.

Two disjoint template sets: "dev" (used while tuning the rules) and "held-out" (written once,
scored only). Conditions are split the same way (even / odd positions), so held-out notes use
wordings and conditions the rules were not adjusted on.

A third split, "fresh" (bench/_nlp_synthetic_fresh.py), was written later, once, by someone who
had not read the rules: new condition templates, note titles and date sentences (new labels,
roles report and other, formats 03/14/2019, 3-14-19, March 14, 2019, 14 Mar 2019, 14-MAR-2019,
2019-03-14). It reuses the held-out conditions (odd positions), so what it tests is the
wording around a condition, not the condition's wording. Its notes are built by make_fresh_notes.

A fourth split, "fresh2" (bench/_nlp_synthetic_fresh2.py), is a second blind set of the same
shape, written once by someone who had read neither the rules nor the earlier templates, and
built by the same make_fresh_notes (same conditions) from its own templates, dates and titles.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from _nlp_synthetic_fresh import FRESH_DATE_TEMPLATES, FRESH_TEMPLATES, FRESH_TITLES
from _nlp_synthetic_fresh2 import FRESH2_DATE_TEMPLATES, FRESH2_TEMPLATES, FRESH2_TITLES

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
        "affirmed": [
            "Assessment: {c}.",
            "The patient has {c}.",
            "Diagnosed with {c} today.",
            "She was found to have {c}.",
            "Admitted with {c}.",
            "Denies recent travel but reports {c}.",
            "ROS negative except for {c}.",
            "No change in medications for {c}.",
            "{C}, not well controlled.",
            "No new complaints.\n{C} is worse today.",
            "Presents with a 4-day history of {c}.",
            "Accompanied by her daughter, who reports the patient has {c}.",
            "Albuterol as needed for {c}.",
            "Compared with prior visit, {c} is unchanged.",
            "She was evaluated in urgent care for {c} and started on treatment.",
            "Return to clinic in 6 weeks for {c} follow-up.",
            "Known {c}, on treatment.",
        ],
        "negated": [
            "Denies {c}.",
            "No evidence of {c}.",
            "Negative for {c}.",
            "No signs of {c}.",
            "{C} was ruled out.",
            "CT was negative for {c}.",
            "She does not have {c}.",
            "{C}: denies.",
            "There is no {c}.",
            "Free of {c}.",
            "Findings not consistent with {c}.",
            "Pt denied any {c}.",
            "Evaluation negative for {c}.",
            "Was not found to have {c}.",
            "No reports of {c} since the last visit.",
            "Denies recent travel, sick contacts, or {c}.",
            "{C} is doubtful.",
            "Workup neg. for {c}.",
        ],
        "historical": [
            "History of {c}.",
            "h/o {c}, treated in the past.",
            "Past medical history significant for {c}.",
            "Remote history of {c}.",
            "Previously treated for {c}.",
            "s/p {c}, doing well.",
            "PMHx notable for {c}.",
            "Was diagnosed with {c} in 2014.",
            "Hospitalized for {c} last winter.",
            "Prior episode of {c}.",
            "{C} as a teenager.",
            "Past hx: {c}.",
        ],
        "family": [
            "Mother had {c}.",
            "Family history of {c}.",
            "Maternal grandmother with {c}.",
            "Brother diagnosed with {c}.",
            "FHx: {c} in father.",
            "Fam hx significant for {c}.",
            "{C} runs in her family.",
            "Paternal aunt with a history of {c}.",
        ],
        "hypothetical": [
            "Will evaluate for {c}.",
            "Rule out {c}.",
            "Monitor for {c}.",
            "At risk for {c}.",
            "{C} cannot be excluded.",
            "Differential includes {c}.",
            "Suspected {c}.",
            "c/f {c}.",
            "Should {c} develop, she will call.",
            "If she develops {c}, return to the ED.",
            "Opacity may represent {c}.",
            "Enoxaparin to prevent {c}.",
            "Consider {c} if symptoms persist.",
            "{C} is a consideration.",
        ],
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
    "fresh": FRESH_TEMPLATES,
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
    if split == "fresh":
        return make_fresh_notes(n, seed)
    if split == "fresh2":
        return make_fresh_notes(n, seed, FRESH2_TEMPLATES, FRESH2_DATE_TEMPLATES, FRESH2_TITLES)
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


def fresh_date(day: date, rng: random.Random, birth: bool) -> str:
    """One of the fresh formats; a two-digit year only for recent dates, never for a birth."""
    shown = [
        f"{day:%m/%d/%Y}",
        f"{day:%B} {day.day}, {day.year}",
        f"{day.day} {day:%b} {day.year}",
        f"{day:%d-%b-%Y}".upper(),
        day.isoformat(),
    ]
    if not birth:
        shown.append(f"{day.month}-{day.day}-{day:%y}")
    return rng.choice(shown)


class _FreshNote:
    """A fresh note being written: text pieces plus gold spans at their offsets."""

    def __init__(
        self,
        rng: random.Random,
        templates: dict[str, list[str]],
        date_templates: dict[str, list[str]],
    ) -> None:
        self.rng = rng
        self.templates = templates
        self.date_templates = date_templates
        self.parts: list[str] = []
        self.pos = 0
        self.mentions: list[GoldMention] = []
        self.dates: list[GoldDate] = []

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.pos += len(piece)

    def add_date(self, role: str) -> None:
        rng = self.rng
        if role == "birth":
            day = date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 90))
        else:
            day = date(2015, 1, 1) + timedelta(days=rng.randrange(365 * 10))
        shown = fresh_date(day, rng, role == "birth")
        before, after = rng.choice(self.date_templates[role]).split("{d}")
        self.add(before)
        self.dates.append(GoldDate(self.pos, self.pos + len(shown), day.isoformat(), role))
        self.add(f"{shown}{after}\n")

    def add_condition(self, pool: list[tuple[str, str]]) -> None:
        rng = self.rng
        assertion = rng.choice(list(self.templates))
        wording, category = rng.choice(pool)
        template = rng.choice(self.templates[assertion])
        shown_c = wording[0].upper() + wording[1:] if template.startswith("{C}") else wording
        before, after = template.replace("{C}", "{c}").split("{c}")
        self.add(before)
        self.mentions.append(GoldMention(self.pos, self.pos + len(shown_c), category, assertion))
        self.add(shown_c + after + " ")
        if rng.random() < 0.5:
            self.add(rng.choice(FILLER) + " ")
        self.add("\n")


def make_fresh_notes(
    n: int,
    seed: int,
    templates: dict[str, list[str]] = FRESH_TEMPLATES,
    date_templates: dict[str, list[str]] = FRESH_DATE_TEMPLATES,
    titles: list[str] = FRESH_TITLES,
) -> list[SyntheticNote]:
    """Title, header dates, 4-9 condition lines (maybe one "other" date among them), signature.

    The template set defaults to "fresh"; "fresh2" passes its own (same code path).
    """
    rng = random.Random(seed)
    pool = CONDITIONS[1::2]
    notes = []
    for _ in range(n):
        note = _FreshNote(rng, templates, date_templates)
        note.add(rng.choice(titles) + "\n")
        for role in ("birth", "admission", "discharge", "service"):
            if rng.random() < 0.7:
                note.add_date(role)
        note.add("\n")
        lines = rng.randint(4, 9)
        other_at = rng.randrange(lines) if rng.random() < 0.3 else -1
        for line in range(lines):
            if line == other_at:
                note.add_date("other")
            note.add_condition(pool)
        if rng.random() < 0.7:
            note.add("\n")
            note.add_date("report")
        notes.append(SyntheticNote("".join(note.parts), note.mentions, note.dates))
    return notes
