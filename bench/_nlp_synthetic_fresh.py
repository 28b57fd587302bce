"""Templates of the "fresh" synthetic split (bench/_nlp_synthetic.py builds the notes).

Written once, in the voice of US discharge summaries, H&Ps, progress, ED and consult notes,
without looking at the rules or at any score, and not adjusted afterwards. Each condition
template has exactly one {c} (or {C} at the very start, capitalised); the other words in a
template are deliberately not diagnoses, so only the {c} mention is gold. Wordings a human
annotator could read two ways ("{c} resolved", "no longer has {c}": negated or historical?) were
left out.

Date templates have one {d}; the role is what a human would give the date: "Collected" is the
lab's date of service (CMS date-of-service rule for lab tests), a signature date is the report's.
"""

from __future__ import annotations

FRESH_TEMPLATES: dict[str, list[str]] = {
    "affirmed": [
        "72 yo M admitted with {c}.",
        "{C} - continue current regimen and monitor.",
        "#{c}: stable, continue home meds.",
        "Discharge diagnosis: {c}.",
        "Pt reports ongoing {c} since her last visit.",
        "Found to have {c} on workup in the ED.",
        "Known {c}, followed by her PCP.",
        "Dx: {c}; started treatment today.",
        "Chief complaint: {c} x 3 days.",
        "Consulted for management of {c}.",
    ],
    "negated": [
        "Pt denies {c} at this time.",
        "ROS: neg for {c}.",
        "No recent travel, sick contacts, or {c}.",
        "Imaging without evidence of {c}.",
        "She was not found to have {c}.",
        "{C}: none.",
        "{C} excluded after negative workup.",
        "Pt has never had {c}.",
        "No signs or symptoms of {c} on exam today.",
        "No h/o {c}.",
    ],
    "historical": [
        "PMH significant for {c}.",
        "s/p {c} in 2015.",
        "Pt has a hx of {c}.",
        "Had {c} several years ago.",
        "{C} in 2012, treated at an outside hospital.",
        "Previously diagnosed with {c} as a child.",
        "Last episode of {c} was over 10 years ago.",
        "Hospitalized for {c} in 2019.",
        "PMHx: {c} (dx 2008).",
        "Pt was treated for {c} last year.",
    ],
    "family": [
        "FHx: mother with {c}.",
        "Father deceased at 64 from {c}.",
        "Family hx + for {c} in maternal grandmother.",
        "Brother diagnosed with {c} at age 50.",
        "{C} runs in the family (mother, two aunts).",
        "FH: {c} in both parents.",
        "Pt's daughter has {c}.",
        "Strong family history of {c} on father's side.",
        "Paternal uncle with {c}.",
        "Maternal aunt had {c} in her 40s.",
    ],
    "hypothetical": [
        "Admit to telemetry to r/o {c}.",
        "c/f {c}, will obtain further imaging.",
        "Cannot exclude {c} on this study.",
        "{C} is on the differential.",
        "Differential diagnosis includes {c}.",
        "Pt to call if she develops {c}.",
        "Suspect {c}; will start empiric treatment.",
        "Probable {c}, awaiting labs.",
        "At risk for {c}; counseled on prevention.",
        "Labs sent to screen for {c}.",
    ],
}

# Header dates (birth, admission, discharge, service) come before the body, the signature
# (report) after it, and an "other" date sits among the body lines.
FRESH_DATE_TEMPLATES: dict[str, list[str]] = {
    "birth": ["DOB: {d}", "Pt DOB {d}", "Birth date: {d}", "Date of birth {d}"],
    "admission": [
        "Date of Admission: {d}",
        "Admitted on {d}.",
        "ADMIT DATE: {d}",
        "Pt was admitted to the medicine service on {d}.",
        "Admission date {d}",
    ],
    "discharge": [
        "Discharged: {d}",
        "DISCHARGE DATE: {d}",
        "D/C date: {d}",
        "Pt was discharged home on {d}.",
        "Date of discharge {d}",
    ],
    "service": [
        "Date of service: {d}",
        "DOS {d}",
        "Collected: {d}",
        "Specimen collected {d}",
        "Encounter date: {d}",
        "Pt seen and examined on {d}.",
    ],
    "report": [
        "Electronically signed on {d}",
        "Electronically signed by Jane Alvarez, MD on {d} at 16:45",
        "Final report signed {d}",
    ],
    "other": ["Follow-up appointment with PCP on {d}.", "Last colonoscopy {d}, normal."],
}

FRESH_TITLES = [
    "DISCHARGE SUMMARY",
    "HISTORY AND PHYSICAL",
    "PROGRESS NOTE",
    "ED PROVIDER NOTE",
    "CONSULT NOTE",
]
