"""Automatic filing: which patient a scanned document belongs to, or the unfiled queue.

Rules, in order of trust (`decide_filing`):
1. "barcode": a patient barcode ("MRN:00123456", "MRN 00123456", or a bare value matching
   `settings.mrn_pattern`; separator sheets ignored) whose MRN is in the patient index.
2. "mrn+name" / "mrn+dob": an MRN read by the NLP step, in the index, confirmed by the patient's
   name (fuzzy, `settings.name_match_threshold`) or DOB. A DOB does not confirm when another
   patient born that day has a near MRN or similar surname (twins: one misread digit).
3. "name+dob": exactly one patient born on the document's DOB whose name matches, and no other
   patient born that day with a similar name (twins, near-duplicate names).
Filed only when nothing contradicts the patient: another patient's MRN, a second labelled MRN, a
DOB, sex or name that differs, two names or DOBs. Everything else is queued with candidates and
PHI-free reasons. An unknown MRN is never "corrected" to a neighbouring one (one digit changed,
two swapped, leading zeros): neighbours are queue candidates only. An unknown MRN one character
from the identified patient's (barcode or confirmed MRN) is taken as OCR damage of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from chartroom.settings import Settings
from indexer.names import (
    NameMatch,
    PersonName,
    compare_names,
    parse_name,
    person,
    surname_similarity,
)
from models.types import Findings
from records.types import Candidate, FilingDecision, PatientDirectory, PatientRecord
from scanner.types import Barcode, ScannedPage

LABELLED_MRN = 0.9  # NLP confidence of an MRN that followed an "MRN:"-style label
SEX_CONFIDENCE = 0.9  # only labelled sex ("Sex: F") can contradict
SIMILAR_SURNAME = 0.85  # another patient with this DOB and surname makes the DOB ambiguous
SIMILAR_NAME = 0.8
MAX_CANDIDATES = 10

_BARCODE_LABEL = re.compile(
    r"^\s*(?:MRN|M\.R\.N\.?|MR\s*#|MR\s*NO\.?|MEDICAL\s+RECORD\s+(?:NUMBER|NO\.?|#)|PATIENT\s+ID"
    r"|PID)\s*[:#=\-]?\s*",
    re.IGNORECASE,
)
_MRN_JUNK = re.compile(r"[\s\-]+")
# Wristband and label barcodes often carry several fields ("MRN:00123456|DOE^JANE|19700101"):
# the MRN is the first field.
_FIELD_SEPARATOR = re.compile(r"[|^;~]")


@dataclass(frozen=True)
class _Evidence:
    barcode_mrns: tuple[str, ...]
    bad_barcodes: int  # labelled patient barcodes whose value does not match the MRN format
    labelled_mrns: tuple[str, ...]
    weak_mrns: tuple[str, ...]  # unlabelled MRN-shaped tokens near the top of the page
    names: tuple[PersonName, ...]
    dobs: tuple[date, ...]
    sexes: tuple[str, ...]

    @property
    def all_mrns(self) -> tuple[str, ...]:
        return _unique([*self.barcode_mrns, *self.labelled_mrns, *self.weak_mrns])


@dataclass
class _Verdict:
    contradictions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    name: NameMatch | None = None  # best name match against the patient
    dob_matches: bool = False

    def confirmations(self, threshold: float) -> list[str]:
        named = self.name is not None and self.name.confirms(threshold)
        return ["name matches"] * named + ["DOB matches"] * self.dob_matches


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _barcode_mrn(text: str, settings: Settings) -> tuple[str | None, bool]:
    """(MRN, labelled) of one barcode text; MRN None when it is not a patient barcode."""
    label = _BARCODE_LABEL.match(text)
    raw = text[label.end() :] if label else text
    raw = _FIELD_SEPARATOR.split(raw, maxsplit=1)[0]
    value = _MRN_JUNK.sub("", raw).upper()
    ok = bool(value) and re.fullmatch(settings.mrn_pattern, value) is not None
    return (value if ok else None), label is not None


def _is_separator(text: str, settings: Settings) -> bool:
    prefix = settings.separator_prefix.strip().casefold()
    return bool(prefix) and text.strip().casefold().startswith(prefix)


def mrns_from_barcodes(barcodes: Iterable[Barcode], settings: Settings) -> list[str]:
    """Distinct patient MRNs on barcodes, in order of appearance (separator sheets ignored)."""
    found: list[str] = []
    for b in barcodes:
        if _is_separator(b.text, settings):
            continue
        mrn, _ = _barcode_mrn(b.text, settings)
        if mrn is not None and mrn not in found:
            found.append(mrn)
    return found


def _gather(pages: Sequence[ScannedPage], findings: Findings, settings: Settings) -> _Evidence:
    barcodes = [b for p in pages for b in p.barcodes if not _is_separator(b.text, settings)]
    bad = sum(1 for b in barcodes if _barcode_mrn(b.text, settings) == (None, True))
    ids = findings.identifiers
    dobs: list[date] = []
    for i in ids:
        if i.kind == "dob":
            try:
                dobs.append(date.fromisoformat(i.value))
            except ValueError:
                continue  # the NLP step writes ISO dates; anything else is not a DOB
    return _Evidence(
        barcode_mrns=tuple(mrns_from_barcodes(barcodes, settings)),
        bad_barcodes=bad,
        labelled_mrns=_unique(
            i.value.upper() for i in ids if i.kind == "mrn" and i.confidence >= LABELLED_MRN
        ),
        weak_mrns=_unique(
            i.value.upper() for i in ids if i.kind == "mrn" and i.confidence < LABELLED_MRN
        ),
        names=tuple(parse_name(i.value) for i in ids if i.kind == "patient_name" and i.value),
        dobs=tuple(dict.fromkeys(dobs)),
        sexes=_unique(i.value for i in ids if i.kind == "sex" and i.confidence >= SEX_CONFIDENCE),
    )


def is_near_mrn(a: str, b: str) -> bool:
    """One character substituted, two adjacent characters swapped, or only leading zeros apart."""
    if a == b:
        return False
    if a.isdigit() and b.isdigit() and a.lstrip("0") == b.lstrip("0"):
        return True
    if len(a) != len(b):
        return False
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    if len(diff) == 1:
        return True
    if len(diff) == 2:
        i, j = diff
        return j == i + 1 and a[i] == b[j] and a[j] == b[i]
    return False


def near_mrns(mrn: str) -> list[str]:
    """The MRNs `is_near_mrn` would accept (digit substitutions, swaps, leading zeros)."""
    out: list[str] = []
    for k, ch in enumerate(mrn):
        if ch.isdigit():
            out.extend(mrn[:k] + d + mrn[k + 1 :] for d in "0123456789" if d != ch)
        if k + 1 < len(mrn) and mrn[k + 1] != ch:
            out.append(mrn[:k] + mrn[k + 1] + ch + mrn[k + 2 :])
    if mrn.isdigit():
        core = mrn.lstrip("0") or "0"
        out.extend(core.zfill(n) for n in range(len(core), 11))
    return [m for m in _unique(out) if m != mrn]


def _name_of(p: PatientRecord) -> PersonName:
    return person(p.last_name, p.first_name)


def _best_name(ev: _Evidence, p: PatientRecord) -> NameMatch | None:
    """The best of the document's names against `p`; `differs` if any name clearly differs."""
    matches = [compare_names(n, _name_of(p)) for n in ev.names]
    if not matches:
        return None
    best = max(matches, key=lambda m: m.score)
    if any(m.differs for m in matches) and not best.differs:
        return NameMatch(best.score, best.surname, best.first, True)
    return best


def _names_disagree(ev: _Evidence) -> bool:
    return any(
        compare_names(a, b).differs for k, a in enumerate(ev.names) for b in ev.names[k + 1 :]
    )


def _check(p: PatientRecord, ev: _Evidence, directory: PatientDirectory) -> _Verdict:
    """What on the document contradicts `p` being the patient, and what confirms it."""
    v = _Verdict()
    for mrn in ev.all_mrns:
        if mrn == p.mrn:
            continue
        if directory.patient_by_mrn(mrn) is not None:
            v.contradictions.append("a second MRN in the document belongs to another patient")
        elif is_near_mrn(mrn, p.mrn):
            v.notes.append("an MRN differs from the patient's by one character (OCR damage)")
        elif mrn in ev.barcode_mrns or mrn in ev.labelled_mrns:
            v.contradictions.append("two different MRNs in the document")
    if len(ev.dobs) > 1:
        v.contradictions.append("two different DOBs on the document")
    if p.dob is not None:
        v.dob_matches = p.dob in ev.dobs
        if any(d != p.dob for d in ev.dobs):
            v.contradictions.append("DOB on document differs from patient's")
    v.name = _best_name(ev, p)
    if v.name is not None and v.name.differs:
        v.contradictions.append("name on document differs from patient's")
    if _names_disagree(ev):
        v.contradictions.append("two different patient names on the document")
    if p.sex in ("F", "M") and any(s in ("F", "M") and s != p.sex for s in ev.sexes):
        v.contradictions.append("sex on document differs from patient's")
    if ev.bad_barcodes:
        v.contradictions.append("a patient barcode does not match the MRN format")
    v.contradictions = list(_unique(v.contradictions))
    v.notes = list(_unique(v.notes))
    return v


def _candidate(p: PatientRecord, ev: _Evidence, settings: Settings) -> Candidate | None:
    if p.id is None:
        return None
    score, reasons = 0.0, []
    if p.mrn in ev.barcode_mrns:
        score, reasons = 0.6, ["barcode MRN matches"]
    elif p.mrn in ev.labelled_mrns or p.mrn in ev.weak_mrns:
        score, reasons = 0.45, ["MRN matches"]
    elif any(is_near_mrn(m, p.mrn) for m in ev.all_mrns):
        score, reasons = 0.15, ["MRN differs by one character"]
    name = _best_name(ev, p)
    if name is not None and name.confirms(settings.name_match_threshold):
        score, reasons = score + 0.3, [*reasons, "name matches"]
    elif name is not None and name.differs:
        score, reasons = score - 0.2, [*reasons, "name differs"]
    elif name is not None:
        score, reasons = score + 0.15 * name.score, [*reasons, "name similar"]
    if p.dob is not None and p.dob in ev.dobs:
        score, reasons = score + 0.25, [*reasons, "DOB matches"]
    elif p.dob is not None and ev.dobs:
        score, reasons = score - 0.2, [*reasons, "DOB differs"]
    return Candidate(p.id, p.mrn, round(min(1.0, max(0.0, score)), 3), tuple(reasons))


def _candidates(
    ev: _Evidence, directory: PatientDirectory, settings: Settings
) -> tuple[Candidate, ...]:
    """Patients a person reviewing the queue should consider, best first."""
    pool: dict[str, PatientRecord] = {}
    for mrn in ev.all_mrns:  # the MRN's patient and its neighbours (a digit misread)
        for m in (mrn, *near_mrns(mrn)):
            if (found := directory.patient_by_mrn(m)) is not None:
                pool.setdefault(found.mrn, found)
    for dob in ev.dobs:
        for p in directory.patients_by_dob(dob):
            pool.setdefault(p.mrn, p)
    scored = [c for p in pool.values() if (c := _candidate(p, ev, settings)) is not None]
    scored.sort(key=lambda c: (-c.score, c.mrn))
    return tuple(scored[:MAX_CANDIDATES])


def _queue(
    ev: _Evidence, directory: PatientDirectory, settings: Settings, reasons: Iterable[str]
) -> FilingDecision:
    candidates = _candidates(ev, directory, settings)
    return FilingDecision(None, "", 0.0, candidates, _unique(reasons))


def _file(
    p: PatientRecord,
    rule: str,
    confidence: float,
    reasons: Sequence[str],
    ev: _Evidence,
    settings: Settings,
) -> FilingDecision:
    own = _candidate(p, ev, settings)
    if own is None:  # a directory row without a database id cannot be filed to
        return FilingDecision(None, "", 0.0, (), ("patient has no record id",))
    return FilingDecision(own.patient_id, rule, round(confidence, 3), (own,), _unique(reasons))


def _by_barcode(ev: _Evidence, directory: PatientDirectory, settings: Settings) -> FilingDecision:
    if len(ev.barcode_mrns) > 1:
        return _queue(ev, directory, settings, ["two different MRNs in the barcodes"])
    p = directory.patient_by_mrn(ev.barcode_mrns[0])
    if p is None:
        return _queue(ev, directory, settings, ["barcode MRN not in the patient index"])
    v = _check(p, ev, directory)
    if v.contradictions:
        return _queue(ev, directory, settings, v.contradictions)
    confirmed = v.confirmations(settings.name_match_threshold)
    confidence = 0.99 if confirmed else 0.97
    return _file(
        p, "barcode", confidence, ["barcode MRN matches", *confirmed, *v.notes], ev, settings
    )


def _dob_is_ambiguous(p: PatientRecord, directory: PatientDirectory) -> bool:
    """Another patient born the same day with a near MRN or a similar surname (twins)."""
    if p.dob is None:
        return True
    own = _name_of(p)
    for q in directory.patients_by_dob(p.dob):
        similar = surname_similarity(own.last, _name_of(q).last) >= SIMILAR_SURNAME
        if q.mrn != p.mrn and (similar or is_near_mrn(q.mrn, p.mrn)):
            return True
    return False


def _by_mrn(
    p: PatientRecord, ev: _Evidence, directory: PatientDirectory, settings: Settings
) -> FilingDecision:
    v = _check(p, ev, directory)
    if v.contradictions:
        return _queue(ev, directory, settings, v.contradictions)
    confirmed = v.confirmations(settings.name_match_threshold)
    labelled = p.mrn in ev.labelled_mrns
    notes = [*v.notes] if labelled else [*v.notes, "MRN read without a label"]
    scale = 1.0 if labelled else 0.9
    if "name matches" in confirmed:
        confidence = (0.98 if v.dob_matches else 0.95) * scale
        return _file(p, "mrn+name", confidence, ["MRN matches", *confirmed, *notes], ev, settings)
    if v.dob_matches:
        if _dob_is_ambiguous(p, directory):
            reason = "DOB cannot confirm the MRN: another patient shares it (similar MRN or name)"
            return _queue(ev, directory, settings, [reason])
        return _file(p, "mrn+dob", 0.93 * scale, ["MRN matches", *confirmed, *notes], ev, settings)
    return _queue(ev, directory, settings, ["MRN found but neither name nor DOB confirms it"])


def _by_name_dob(ev: _Evidence, directory: PatientDirectory, settings: Settings) -> FilingDecision:
    if not ev.names and not ev.dobs:
        return _queue(ev, directory, settings, ["unlabelled MRN not in the patient index"])
    if not ev.dobs:
        return _queue(ev, directory, settings, ["name found but no DOB to confirm it"])
    if not ev.names:
        return _queue(ev, directory, settings, ["DOB found but no name to confirm it"])
    if len(ev.dobs) > 1:
        return _queue(ev, directory, settings, ["two different DOBs on the document"])
    if _names_disagree(ev):
        return _queue(ev, directory, settings, ["two different patient names on the document"])
    threshold = settings.name_match_threshold
    scored = [(p, m) for p in directory.patients_by_dob(ev.dobs[0]) if (m := _best_name(ev, p))]
    matches = [(p, m) for p, m in scored if m.confirms(threshold)]
    if not matches:
        return _queue(ev, directory, settings, ["no patient matches name and DOB"])
    if len(matches) > 1:
        return _queue(ev, directory, settings, ["two patients match name and DOB"])
    p, match = matches[0]
    own = _name_of(p)
    for q, m in scored:
        similar = surname_similarity(own.last, _name_of(q).last) >= SIMILAR_SURNAME
        if q.mrn != p.mrn and (similar or m.score >= SIMILAR_NAME):
            reason = "another patient with the same DOB has a similar name"
            return _queue(ev, directory, settings, [reason])
    v = _check(p, ev, directory)
    if v.contradictions:
        return _queue(ev, directory, settings, v.contradictions)
    reasons = ["name matches", "DOB matches", *v.notes]
    return _file(p, "name+dob", 0.9 * match.score, reasons, ev, settings)


def decide_filing(
    pages: Sequence[ScannedPage],
    findings: Findings,
    directory: PatientDirectory,
    settings: Settings,
) -> FilingDecision:
    """File one document to a patient, or queue it with candidates and reasons.

    Every barcode on `pages` counts for this document: the caller passes the document segment's
    pages plus, for a batch, the cover-sheet pages before the batch's first separator (whose
    patient barcode names the patient of every document in the batch).

    `findings`: the NLP step's findings over the document's text.
    """
    ev = _gather(pages, findings, settings)
    if not (ev.all_mrns or ev.names or ev.dobs or ev.bad_barcodes):
        return _queue(ev, directory, settings, ["no identifiers found"])
    if ev.barcode_mrns:
        return _by_barcode(ev, directory, settings)
    if ev.bad_barcodes:
        reason = "a patient barcode does not match the MRN format"
        return _queue(ev, directory, settings, [reason])
    text_mrns = (*ev.labelled_mrns, *ev.weak_mrns)
    known = {p.mrn: p for m in text_mrns if (p := directory.patient_by_mrn(m)) is not None}
    if len(known) > 1:
        return _queue(ev, directory, settings, ["two different MRNs in the document"])
    if known:
        return _by_mrn(next(iter(known.values())), ev, directory, settings)
    if ev.labelled_mrns:
        return _queue(ev, directory, settings, ["MRN not in the patient index"])
    return _by_name_dob(ev, directory, settings)
