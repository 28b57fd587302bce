"""OCR text clean-up before matching, with an offset map back to the text as given.

`normalize(text)` returns a `NormalizedText` whose `text` is what the matchers see and whose
`to_original(start, end)` turns a span of that text into the span of the input that produced it.

Two stages. Stage one only swaps characters one for one, so offsets do not move:

- NUL, tabs, other control characters and Unicode spaces -> " "; form feed and a lone "\\r" ->
  "\\n"; "\\r\\n" -> " \\n"
- typographic quotes and dashes -> ASCII; other non-ASCII characters whose NFKC form is one
  character (fullwidth letters, "µ") -> that character
- l/I/O/o read in place of 1/0 inside digit runs: "03/l4/2O19" -> "03/14/2019" (not in words, not
  in ICD-10 code shapes such as "I10" or "O24.4", not in short tokens such as "O2")

Stage two changes lengths, and each change is recorded as a piece for the offset map:

- line-end hyphenation is joined: "pneu-\\nmonia" -> "pneumonia" (two letters, "-", a newline,
  a lower-case letter)
- runs of two or more spaces -> one space; zero-width characters and soft hyphens are dropped
- non-ASCII characters whose NFKC form is longer ("ﬁ" -> "fi", "½" -> "1/2")
- after 200 characters without white space a space is inserted, so no tokenizer sees a giant token

Every step is a C-level scan (str.translate or a regular expression without nested quantifiers)
plus Python work per change, so time is linear in the length of the text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

LONG_RUN = 200
_PER_CHAR_RUN = 256

_ONE_FOR_ONE: dict[int, str] = {c: " " for c in [*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20)]}
_ONE_FOR_ONE.update({c: " " for c in range(0x7F, 0xA1)})
_ONE_FOR_ONE.update(
    {c: " " for c in [0x09, 0x1680, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000]}
)
_ONE_FOR_ONE.update({0x0C: "\n", 0x2028: "\n", 0x2029: "\n"})
_ONE_FOR_ONE.update({ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u00b4"})
_ONE_FOR_ONE.update({ord(c): '"' for c in "\u201c\u201d\u201e\u2033"})
_ONE_FOR_ONE.update({ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"})
_ONE_FOR_ONE.update({0x2044: "/", 0x2022: "*", 0x00B7: "*"})
_TRANSLATE = str.maketrans(_ONE_FOR_ONE)

_CRLF = re.compile(r"\r\n")
_HYPHEN = re.compile(r"-[ ]*\n[ ]*(?=[a-z])")
_MULTI_SPACE = re.compile(r"  +")
_ZERO = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]+")
_LONG = re.compile(rf"(?<!\S)\S{{{LONG_RUN + 1},}}")
_NONASCII = re.compile(r"[^\x00-\x7f]+")
# l/I/O/o next to a digit; led by the character class so the engine scans for it in C
_CANDIDATE = re.compile(r"[lIOo](?:(?=[0-9])|(?<=[0-9][lIOo]))")
_RUN = re.compile(r"[0-9lIOo/.\-]*")
_MAX_TOKEN = 32
_ICD_SHAPE = re.compile(r"[IO]\d\d(?:\.[0-9A-Za-z]{1,4})?")
_SEPARATORS = re.compile(r"([/.\-])")
_DIGIT_FOR = {"l": "1", "I": "1", "O": "0", "o": "0"}


@lru_cache(maxsize=65536)
def fold_char(ch: str) -> str:
    """NFKC plus ASCII quotes and dashes for one character ("" for zero-width ones)."""
    if _ZERO.fullmatch(ch):
        return ""
    return unicodedata.normalize("NFKC", ch.translate(_TRANSLATE)).translate(_TRANSLATE)


@dataclass(frozen=True)
class NormalizedText:
    """Normalised text and the pieces that differ in length from the original.

    Pieces are (out_start, out_end, orig_start, orig_end), sorted and non-overlapping; outside them
    the texts align character for character, shifted by the length change of earlier pieces.
    """

    text: str
    original_length: int
    _out_starts: tuple[int, ...] = ()
    _pieces: tuple[tuple[int, int, int, int], ...] = ()

    def _char_span(self, i: int) -> tuple[int, int]:
        """The original span that produced normalised character i."""
        k = bisect_right(self._out_starts, i) - 1
        if k < 0:
            return i, i + 1
        out_s, out_e, orig_s, orig_e = self._pieces[k]
        if out_s <= i < out_e:
            return orig_s, orig_e
        shifted = i + orig_e - out_e
        return shifted, shifted + 1

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map [start, end) of `text` to [start, end) of the input as given."""
        n = len(self.text)
        start = max(0, min(start, n))
        end = max(start, min(end, n))
        if start == end:
            if start == n:
                return self.original_length, self.original_length
            point = self._char_span(start)[0]
            return point, point
        return self._char_span(start)[0], self._char_span(end - 1)[1]


def _fix_digits(token: str) -> str:
    """Replace l/I/O/o by 1/0 in a numeric-looking token, when the context says digits."""
    if _ICD_SHAPE.fullmatch(token):
        return token
    segments = _SEPARATORS.split(token)
    has_sep = len(segments) > 1
    real_digits = sum(c.isdigit() for c in token)
    out: list[str] = []
    for seg in segments:
        if not any(c in _DIGIT_FOR for c in seg):
            out.append(seg)
            continue
        seg_digits = sum(c.isdigit() for c in seg)
        if seg_digits >= 2 or (has_sep and real_digits >= 3 and len(seg) <= 4):
            out.append("".join(_DIGIT_FOR.get(c, c) for c in seg))
        else:
            out.append(seg)
    return "".join(out)


def _digit_fixes(text: str) -> list[tuple[int, str]]:
    """(position, replacement) for each numeric token in which `_fix_digits` changes something.

    Only letters touching a digit start a look, so ordinary text costs one C-level scan.
    """
    fixes: list[tuple[int, str]] = []
    n = len(text)
    pos = 0
    while (m := _CANDIDATE.search(text, pos)) is not None:
        p = m.start()
        raw_hi = _RUN.match(text, p).end()  # type: ignore[union-attr]
        window = text[max(0, p - _MAX_TOKEN - 1) : p][::-1]
        raw_lo = p - _RUN.match(window).end()  # type: ignore[union-attr]
        pos = max(raw_hi, p + 1)
        raw = text[raw_lo:raw_hi]
        lo = raw_lo + len(raw) - len(raw.lstrip("/.-"))
        hi = raw_hi - (len(raw) - len(raw.rstrip("/.-")))
        if hi - lo > _MAX_TOKEN or (lo > 0 and text[lo - 1].isalnum()):
            continue  # too long for a date or number, or part of a word such as "abc2019"
        if hi < n and text[hi].isalnum():
            continue
        token = text[lo:hi]
        fixed = _fix_digits(token)
        if fixed != token:
            fixes.append((lo, fixed))
    return fixes


def _substitute(text: str, subs: list[tuple[int, str]]) -> str:
    """Replace text[p:p+len(new)] by new for each (p, new); lengths do not change."""
    if not subs:
        return text
    subs.sort()
    parts: list[str] = []
    pos = 0
    for p, new in subs:
        parts.append(text[pos:p])
        parts.append(new)
        pos = p + len(new)
    parts.append(text[pos:])
    return "".join(parts)


def _stage_one(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Length-preserving swaps; returns the text and the NFKC edits that change length."""
    if "\r" in text:
        text = _CRLF.sub(" \n", text).replace("\r", "\n")
    text = text.translate(_TRANSLATE)  # one C pass (a regex over the runs to swap took 15x longer)
    subs: list[tuple[int, str]] = []
    longer: list[tuple[int, int, str]] = []
    if not text.isascii():
        for m in _NONASCII.finditer(text):
            run = m.group()
            if unicodedata.is_normalized("NFKC", run):
                continue
            folded = [fold_char(ch) for ch in run]
            if all(len(f) == 1 for f in folded):
                subs.append((m.start(), "".join(folded)))
            elif len(run) <= _PER_CHAR_RUN:
                for i, (ch, new) in enumerate(zip(run, folded, strict=True), start=m.start()):
                    if len(new) == 1 and new != ch:
                        subs.append((i, new))
                    elif len(new) != 1:
                        longer.append((i, i + 1, new))
            else:  # one piece for the whole run: offsets inside it map to the run
                longer.append((m.start(), m.end(), "".join(folded)))
    text = _substitute(text, subs)
    text = _substitute(text, _digit_fixes(text))
    return text, longer


def _stage_two_edits(text: str, longer: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Length-changing edits as (start, end, replacement), sorted and not overlapping."""
    edits = list(longer)
    for m in _HYPHEN.finditer(text):
        s = m.start()
        if s >= 2 and text[s - 1].isalpha() and text[s - 2].isalpha():
            edits.append((s, m.end(), ""))
    edits.extend((m.start(), m.end(), " ") for m in _MULTI_SPACE.finditer(text))
    if not text.isascii():
        edits.extend((m.start(), m.end(), "") for m in _ZERO.finditer(text))
    for m in _LONG.finditer(text):
        edits.extend((p, p, " ") for p in range(m.start() + LONG_RUN, m.end(), LONG_RUN))
    edits.sort(key=lambda ed: (ed[0], ed[1]))
    kept: list[tuple[int, int, str]] = []
    last_end = -1
    for ed in edits:
        if ed[0] >= last_end:
            kept.append(ed)
            last_end = ed[1]
    return kept


def normalize(text: str) -> NormalizedText:
    """Clean OCR text for matching; see the module docstring for what changes."""
    swapped, longer = _stage_one(text)
    out: list[str] = []
    pieces: list[tuple[int, int, int, int]] = []
    pos = 0  # next index of `swapped` (same offsets as `text`) not yet copied
    out_len = 0
    for orig_s, orig_e, new in _stage_two_edits(swapped, longer):
        if orig_s > pos:
            out.append(swapped[pos:orig_s])
            out_len += orig_s - pos
        out.append(new)
        pieces.append((out_len, out_len + len(new), orig_s, orig_e))
        out_len += len(new)
        pos = orig_e
    out.append(swapped[pos:])
    return NormalizedText(
        text="".join(out),
        original_length=len(text),
        _out_starts=tuple(p[0] for p in pieces),
        _pieces=tuple(pieces),
    )
