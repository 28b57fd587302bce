"""Synthetic roster and document identifiers for bench/filing_accuracy.py (deterministic).

The roster has ~3,000 invented patients (names from syllables) with shared surnames, hyphenated
and multi-part surnames, accents, middle initials, twins (same surname and DOB, consecutive
MRNs), siblings with consecutive MRNs and near-duplicate names (some born the same day).
Each `DocSpec` describes what a document's header shows; `findings_of` turns it straight into
`Findings` (no OCR), `header_text` renders it as damaged header text for the `--text` mode.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from models.types import Findings, Identifier
from records.types import PatientRecord
from scanner.types import Barcode, CleanupRecord, ScannedPage

_ONSETS = ["B", "D", "F", "G", "H", "K", "L", "M", "N", "P", "R", "S", "T", "V", "W", "Z",
           "BR", "CH", "DR", "GR", "KL", "PR", "SH", "ST", "TR", "J", "C"]  # fmt: skip
_VOWELS = ["A", "E", "I", "O", "U", "AI", "EA", "OU", "IE", "Y"]
_CODAS = ["N", "R", "L", "S", "T", "ND", "RT", "LD", "SK", "MAN", "SON", "BERG", "WELL", "LEY",
          "TON", "ER", "EZ", "INI", "OV", "SKI"]  # fmt: skip
_F_END = ["A", "INE", "ETTE", "ELLA", "IA", "EN"]
_M_END = ["O", "AN", "ER", "US", "IM", "EL"]
_PARTICLES = ["DE LA", "VAN DER", "DI", "O'", "MAC"]
_ACCENT = {"E": "É", "A": "Á", "O": "Ó", "N": "Ñ"}


def _word(rng: random.Random, parts: int, ends: list[str]) -> str:
    return "".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(parts)) + rng.choice(
        ends
    )


def _pool(rng: random.Random, n: int, make: Callable[[], str]) -> list[str]:
    seen: dict[str, None] = {}
    while len(seen) < n:
        seen[make()] = None
    return list(seen)


def _typo(rng: random.Random, word: str) -> str:
    """One OCR-ish edit: a letter substituted, dropped or doubled."""
    letters = [k for k, c in enumerate(word) if c.isalpha()]
    if len(letters) < 4:
        return word
    k = rng.choice(letters[1:])
    kind = rng.randrange(3)
    if kind == 0:
        return word[:k] + rng.choice("AEIOUNRSTLM".replace(word[k], "")) + word[k + 1 :]
    if kind == 1:
        return word[:k] + word[k + 1 :]
    return word[:k] + word[k] + word[k:]


class RosterDirectory:
    """Dict-backed PatientDirectory over the synthetic roster."""

    def __init__(self, patients: list[PatientRecord]) -> None:
        self.patients = patients
        self.by_mrn = {p.mrn: p for p in patients}
        self.by_dob: dict[date, list[PatientRecord]] = {}
        for p in patients:
            if p.dob is not None:
                self.by_dob.setdefault(p.dob, []).append(p)

    def patient_by_mrn(self, mrn: str) -> PatientRecord | None:
        return self.by_mrn.get(mrn)

    def patients_by_dob(self, dob: date) -> list[PatientRecord]:
        return list(self.by_dob.get(dob, []))


@dataclass
class Roster:
    directory: RosterDirectory
    twins: list[tuple[PatientRecord, PatientRecord]]
    neighbours: list[tuple[PatientRecord, PatientRecord]]  # consecutive MRNs (twins, siblings)
    near_dups: list[tuple[PatientRecord, PatientRecord]]  # near-identical names
    same_day_dups: list[tuple[PatientRecord, PatientRecord]]  # ... and the same DOB


def make_roster(seed: int, size: int = 3000) -> Roster:
    rng = random.Random(seed)
    surnames = _pool(rng, 900, lambda: _word(rng, rng.choice([1, 2]), _CODAS))
    weights = [1.0 / (1 + k) ** 0.7 for k in range(len(surnames))]  # a few very common surnames
    firsts = {
        "F": _pool(rng, 220, lambda: _word(rng, rng.choice([1, 2]), _F_END)),
        "M": _pool(rng, 220, lambda: _word(rng, rng.choice([1, 2]), _M_END)),
    }
    used: set[str] = set()
    out: list[PatientRecord] = []
    twins: list[tuple[PatientRecord, PatientRecord]] = []
    neighbours: list[tuple[PatientRecord, PatientRecord]] = []
    near: list[tuple[PatientRecord, PatientRecord]] = []
    same_day: list[tuple[PatientRecord, PatientRecord]] = []

    def mrn(after: str | None = None) -> str:
        if after is not None and f"{int(after) + 1:08d}" not in used:
            value = f"{int(after) + 1:08d}"
        else:
            value = f"{rng.randrange(10**8):08d}"
            while value in used:
                value = f"{rng.randrange(10**8):08d}"
        used.add(value)
        return value

    def first(sex: str) -> str:
        name = rng.choice(firsts[sex])
        if rng.random() < 0.06:
            k = rng.randrange(len(name))
            name = name[:k] + _ACCENT.get(name[k], name[k]) + name[k + 1 :]
        if rng.random() < 0.3:
            name += " " + rng.choice("ABCDEFGHJKLMNPRSTW")
        return name.title()

    def last() -> str:
        name = rng.choices(surnames, weights)[0]
        roll = rng.random()
        if roll < 0.05:
            name = f"{name}-{rng.choices(surnames, weights)[0]}"
        elif roll < 0.08:
            particle = rng.choice(_PARTICLES)
            name = f"{particle}{name}" if particle.endswith("'") else f"{particle} {name}"
        return name.title()

    def dob() -> date:
        return date(1930, 1, 1) + timedelta(days=rng.randrange(365 * 94))

    def add(
        last_name: str, first_name: str, born: date, sex: str, after: str | None = None
    ) -> PatientRecord:
        p = PatientRecord(mrn(after), last_name, first_name, born, sex, id=len(out) + 1)
        out.append(p)
        return p

    while len(out) < size:
        sex = rng.choice("FM")
        roll = rng.random()
        if roll < 0.04:  # twins
            a = add(last(), first(sex), dob(), sex)
            sex_b = rng.choice("FM")
            first_b = first(sex_b)
            while first_b.split()[0] == a.first_name.split()[0]:
                first_b = first(sex_b)
            b = add(a.last_name, first_b, a.dob or dob(), sex_b, after=a.mrn)
            twins.append((a, b))
            neighbours.append((a, b))
        elif roll < 0.08:  # sibling with the next MRN
            a = add(last(), first(sex), dob(), sex)
            b = add(a.last_name, first(rng.choice("FM")), dob(), rng.choice("FM"), after=a.mrn)
            neighbours.append((a, b))
        elif roll < 0.12:  # near-duplicate name (one letter apart), sometimes born the same day
            a = add(last(), first(sex), dob(), sex)
            similar_last = _typo(rng, a.last_name.upper()).title()
            born = a.dob if rng.random() < 0.3 else dob()
            b = add(similar_last, a.first_name, born or dob(), sex)
            near.append((a, b))
            if born == a.dob:
                same_day.append((a, b))
        else:
            add(last(), first(sex), dob(), sex)
    return Roster(RosterDirectory(out), twins, neighbours, near, same_day)


@dataclass(frozen=True)
class DocSpec:
    """What one document shows. `truth` is the patient it belongs to (None: unknowable);
    `must_queue` marks contradictory documents, for which any automatic filing is an error."""

    category: str
    truth: int | None
    must_queue: bool = False
    barcodes: tuple[str, ...] = ()
    mrns: tuple[str, ...] = ()  # labelled MRNs as printed
    names: tuple[tuple[str, str], ...] = ()  # (last, first) as printed
    dobs: tuple[date, ...] = ()
    sex: str = ""


def _page(number: int, barcodes: tuple[str, ...]) -> ScannedPage:
    return ScannedPage(
        number=number,
        width=2550,
        height=3300,
        dpi=300,
        text="",
        confidence=85.0,
        blank=False,
        low_confidence=False,
        cleanup=CleanupRecord(),
        barcodes=tuple(Barcode("Code128", t, 100, 100, 600, 120) for t in barcodes),
    )


def pages_of(spec: DocSpec) -> list[ScannedPage]:
    """A cover sheet carrying the barcodes (if any) and one content page."""
    if not spec.barcodes:
        return [_page(1, ())]
    return [_page(1, spec.barcodes), _page(2, ())]


def findings_of(spec: DocSpec) -> Findings:
    """Identifiers as the NLP step would normalise them (no OCR, no NLP)."""
    ids: list[Identifier] = []
    for m in spec.mrns:
        value = m.replace("-", "").upper()
        ids.append(Identifier("mrn", value, m, 0, len(m), 0.95))
    for last_name, first_name in spec.names:
        value = f"{last_name.upper()}, {first_name.split()[0].upper()}"
        ids.append(Identifier("patient_name", value, value, 0, len(value), 0.9))
    for d in spec.dobs:
        ids.append(Identifier("dob", d.isoformat(), d.isoformat(), 0, 10, 0.9))
    if spec.sex:
        ids.append(Identifier("sex", spec.sex, spec.sex, 0, 1, 0.95))
    return Findings(identifiers=tuple(ids))


_OCR_DIGIT = {"0": "O", "1": "l"}


def header_text(spec: DocSpec, rng: random.Random) -> str:
    """A document header showing the spec's identifiers, with light OCR damage."""
    lines = ["RIVERBEND GENERAL HOSPITAL", "DISCHARGE SUMMARY"]
    for last_name, first_name in spec.names:
        if rng.random() < 0.5:
            lines.append(f"PATIENT NAME: {last_name.upper()}, {first_name.upper()}")
        else:
            lines.append(f"Patient: {first_name} {last_name}")
    for d in spec.dobs:
        lines.append(f"DOB: {d.month:02d}/{d.day:02d}/{d.year}")
    for m in spec.mrns:
        shown = "".join(_OCR_DIGIT[c] if c in _OCR_DIGIT and rng.random() < 0.05 else c for c in m)
        lines.append(f"MRN: {shown}")
    if spec.sex:
        lines.append(f"Sex: {'Female' if spec.sex == 'F' else 'Male'}")
    lines += ["Attending Physician: Dr. Orla Quentin", "", "HOSPITAL COURSE: uneventful."]
    return "\n".join(lines)


_UNACCENT = str.maketrans(
    "".join(_ACCENT.values()) + "".join(_ACCENT.values()).lower(),
    "".join(_ACCENT) + "".join(_ACCENT).lower(),
)


def _strip_accents(text: str) -> str:
    return text.translate(_UNACCENT)


def _printed(rng: random.Random, p: PatientRecord, typos: int = 0) -> tuple[str, str]:
    """The name as a document prints it: accents often lost, hyphens sometimes spaced,
    middle initial sometimes dropped, and `typos` OCR edits in the surname or first name."""
    last_name, first_name = p.last_name, p.first_name
    if rng.random() < 0.5:
        last_name, first_name = _strip_accents(last_name), _strip_accents(first_name)
    if "-" in last_name and rng.random() < 0.3:
        last_name = last_name.replace("-", " ")
    if rng.random() < 0.5:
        first_name = first_name.split()[0]
    for _ in range(typos):
        if rng.random() < 0.6:
            last_name = _typo(rng, last_name)
        else:
            first_name = _typo(rng, first_name)
    return last_name, first_name


def _damage_mrn(rng: random.Random, mrn: str, avoid: RosterDirectory) -> str:
    """One digit substituted, not landing on any patient's MRN."""
    while True:
        k = rng.randrange(len(mrn))
        out = mrn[:k] + rng.choice("0123456789".replace(mrn[k], "")) + mrn[k + 1 :]
        if avoid.patient_by_mrn(out) is None:
            return out


def _barcode(rng: random.Random, mrn: str) -> str:
    return rng.choice([f"MRN:{mrn}", f"MRN {mrn}", mrn])


def make_documents(roster: Roster, seed: int) -> list[DocSpec]:
    rng = random.Random(seed + 1)
    people = roster.directory.patients
    d = roster.directory
    docs: list[DocSpec] = []

    def typos(p_one: float, p_two: float = 0.0) -> int:
        roll = rng.random()
        return 2 if roll < p_two else 1 if roll < p_two + p_one else 0

    def add(
        category: str,
        p: PatientRecord,
        *,
        t: int = 0,
        barcode: bool = False,
        mrns: tuple[str, ...] = (),
        name: bool = True,
        dob: bool = True,
    ) -> None:
        docs.append(
            DocSpec(
                category,
                p.id,
                barcodes=(_barcode(rng, p.mrn),) if barcode else (),
                mrns=mrns,
                names=(_printed(rng, p, t),) if name else (),
                dobs=(p.dob,) if dob and p.dob else (),
                sex=p.sex if name and dob else "",
            )
        )

    for p in rng.sample(people, 80):
        add("barcode + name/DOB", p, t=typos(0.15), barcode=True)
    for p in rng.sample(people, 40):
        add("barcode only", p, barcode=True, name=False, dob=False)
    for p in rng.sample(people, 40):
        add("barcode + damaged text MRN", p, barcode=True, mrns=(_damage_mrn(rng, p.mrn, d),))
    for p in rng.sample(people, 100):
        add("MRN + name + DOB", p, t=typos(0.15), mrns=(p.mrn,))
    for p in rng.sample(people, 50):
        add("MRN + name", p, t=typos(0.15), mrns=(p.mrn,), dob=False)
    for p in rng.sample(people, 50):
        add("MRN + DOB", p, mrns=(p.mrn,), name=False)
    for p in rng.sample(people, 60):
        add("damaged MRN (unknown)", p, t=typos(0.15), mrns=(_damage_mrn(rng, p.mrn, d),))
    for _ in range(40):
        a, b = rng.choice(roster.neighbours)
        p, other = (a, b) if rng.random() < 0.5 else (b, a)
        add("damaged MRN = neighbour's", p, mrns=(other.mrn,), name=rng.random() < 0.5)
    for p in rng.sample(people, 120):
        add("name + DOB", p, t=typos(0.25, 0.1))
    for _ in range(30):
        add("twins: name + DOB", rng.choice(rng.choice(roster.twins)))
    for _ in range(20):
        add("near-duplicate, same DOB", rng.choice(rng.choice(roster.same_day_dups)))
    for p in rng.sample(people, 25):
        add("name only", p, dob=False)
    for p in rng.sample(people, 40):
        add("nothing", p, name=False, dob=False)
    docs.extend(_contradictory(rng, roster, 80))
    return docs


def _contradictory(rng: random.Random, roster: Roster, n: int) -> list[DocSpec]:
    """Documents whose identifiers disagree: any automatic filing is an error."""
    people = roster.directory.patients
    out: list[DocSpec] = []
    for k in range(n):
        a, b = rng.sample(people, 2)
        if k % 8 == 6:  # twins: one twin's MRN with the other's name
            a, b = rng.choice(roster.twins)
        bar = (_barcode(rng, a.mrn),)
        a_dob = (a.dob,) if a.dob else ()
        b_dob = (b.dob,) if b.dob else ()
        spec = [
            DocSpec("", None, barcodes=bar, names=(_printed(rng, a),), dobs=b_dob),
            DocSpec("", None, barcodes=bar, mrns=(b.mrn,)),
            DocSpec("", None, mrns=(a.mrn,), names=(_printed(rng, b),), dobs=b_dob),
            DocSpec("", None, barcodes=(*bar, _barcode(rng, b.mrn))),
            DocSpec("", None, barcodes=bar, names=(_printed(rng, b),)),
            DocSpec("", None, mrns=(a.mrn, b.mrn), names=(_printed(rng, a),), dobs=a_dob),
            DocSpec("", None, mrns=(a.mrn,), names=(_printed(rng, b),), dobs=a_dob),
            DocSpec("", None, names=(_printed(rng, a), _printed(rng, b)), dobs=a_dob),
        ][k % 8]
        out.append(DocSpec("contradictory", None, True, spec.barcodes, spec.mrns, spec.names,
                           spec.dobs, a.sex if k % 3 == 0 else ""))  # fmt: skip
    return out
