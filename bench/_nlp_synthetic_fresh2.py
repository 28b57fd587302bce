"""Templates of the "fresh2" synthetic split (bench/_nlp_synthetic.py builds the notes).

A second blind set, same shape and same generator as "fresh" (make_fresh_notes), written once
by someone who had read neither the rules nor the earlier template wordings, and not adjusted
after any score. Voices: ED provider notes, hospitalist progress notes, discharge summaries,
nursing notes, specialist consults, primary-care visits and radiology impressions, with the
abbreviations and fragments US clinicians use (Pt, c/o, hx, FHx, s/p, r/o, w/u, f/u).

Each condition template has exactly one {c} ({C} only at the very start, capitalised), and the
label is what an annotator following i2b2-2010-like guidelines would give that mention:
affirmed = present now, negated = absent, historical = in the past and no longer current,
family = a relative's, hypothetical = possible, suspected, conditional or future. Other items in
a list ("recent travel", "sick contacts") are deliberately not diagnoses, so only {c} is gold.
Templates must read sensibly for chronic diseases and symptoms alike (the held-out conditions).

Date templates have one {d}; the role is the one a human would give it: a signature, dictation
or finalisation date is the report's, a prior test or vaccine date is "other".
"""

from __future__ import annotations

FRESH2_TEMPLATES: dict[str, list[str]] = {
    "affirmed": [
        "Pt presents to the ED c/o worsening {c} since yesterday.",
        "# {c}: ongoing, continue current regimen and reassess in AM.",
        "Principal discharge diagnosis: {c}.",
        "Per pt, {c} was worse overnight; on-call MD notified.",
        "Seen at the request of Dr. Alvarez for management of known {c}.",
        "{C} - not well controlled today, will adjust meds and f/u in 4 wks.",
        "IMPRESSION: Interval worsening of {c} compared with the prior study.",
        "Active problems: {c}, currently on treatment.",
        "Pt is a 67 yo M admitted with {c}, improving but still symptomatic.",
        "Dx: {c}.",
    ],
    "negated": [
        "ROS: denies recent travel, sick contacts or {c}.",
        "No recent travel, sick contacts, or {c}.",
        "IMPRESSION: No radiographic evidence of {c}.",
        "{C} was ruled out during this admission.",
        "Pt denies {c} at this time, resting comfortably.",
        "W/u negative for {c}.",
        "Pt has never been diagnosed with {c}.",
        "Pertinent negatives: no recent travel, no sick contacts, no {c}.",
        "Exam today without signs of {c}.",
        "There is no evidence of {c} on today's evaluation.",
    ],
    "historical": [
        "PMH: remote {c}, resolved.",
        "Hx of {c} in 2015, fully resolved with treatment.",
        "{C} treated in 2018; resolved, no longer on therapy.",
        "Pt was hospitalized in 2019 for {c}, which resolved prior to discharge.",
        "Per pt, had {c} as a teenager and has had none since.",
        "Remote history of {c} (2009), resolved, not an active issue.",
        "Prior episode of {c} about 5 years ago, resolved; no recurrence.",
        "Past history: {c} (2012, resolved).",
        "s/p {c} in 2016, completely resolved.",
        "{C} - resolved, listed for hx only.",
    ],
    "family": [
        "FHx: mother with {c}.",
        "Family history significant for {c} in his father.",
        "Pt's sister was recently diagnosed with {c}.",
        "FH: {c} (father, brother).",
        "Brother with {c}, diagnosed in his 40s.",
        "{C} in paternal grandfather.",
        "Family hx positive for {c} (mother).",
        "Strong family history of {c} on the maternal side.",
        "Pt's father had {c}; mother alive and well.",
        "Per daughter at bedside, her grandmother (pt's mother) had {c}.",
    ],
    "hypothetical": [
        "Possible {c}, will obtain further w/u.",
        "Concern for {c}; empiric tx started pending results.",
        "Admit to telemetry to r/o {c}.",
        "Return precautions reviewed: come back to the ED if {c} develops.",
        "Pt at risk for {c}; will monitor closely.",
        "IMPRESSION: Cannot exclude {c}; recommend clinical correlation.",
        "Differential diagnosis includes {c}.",
        "Suspect {c}; will check labs and f/u in 2 wks.",
        "Questionable {c} on exam, will reassess tomorrow.",
        "If no improvement by Monday, consider w/u for {c}.",
    ],
}

# Header dates (birth, admission, discharge, service) come before the body, the signature
# (report) after it, and an "other" date sits among the body lines.
FRESH2_DATE_TEMPLATES: dict[str, list[str]] = {
    "birth": ["Pt DOB: {d}", "Birthdate: {d}", "Date of birth {d}"],
    "admission": [
        "Admit date: {d}",
        "Admitted to medicine on {d} via the ED.",
        "Date admitted: {d}",
    ],
    "discharge": ["D/C date: {d}", "Discharged home on {d}.", "Date of hospital discharge: {d}"],
    "service": ["Encounter date: {d}", "Date seen: {d}", "Seen in clinic today, {d}."],
    "report": [
        "Electronically signed by J. Patel, MD on {d}",
        "Dictated: {d}",
        "Report finalized {d}.",
    ],
    "other": [
        "Last colonoscopy {d}, normal per pt.",
        "Most recent A1c drawn {d}.",
        "Influenza vaccine given {d}.",
    ],
}

FRESH2_TITLES = [
    "ED PROVIDER NOTE",
    "HOSPITALIST PROGRESS NOTE",
    "DISCHARGE SUMMARY",
    "NURSING NOTE",
    "CARDIOLOGY CONSULTATION",
    "PRIMARY CARE OFFICE VISIT",
    "RADIOLOGY REPORT",
]
