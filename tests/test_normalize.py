"""The OCR normaliser: what it changes, and that every span maps back to the input as given."""

from __future__ import annotations

import random
import re
import time
import unicodedata

import pytest

from models.normalize import _CANDIDATE, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("pneu-\nmonia", "pneumonia"),
        ("pneu-\r\nmonia", "pneumonia"),
        ("pneu-  \n   monia", "pneumonia"),
        ("03/l4/2019", "03/14/2019"),
        ("O3/14/2O19", "03/14/2019"),
        ("MRN 0O123456", "MRN 00123456"),
        ("a    b", "a b"),
        ("a\x00\x00b", "a b"),
        ("a\tb", "a b"),
        ("x\u2019s \u201cok\u201d \u2013 1", 'x\'s "ok" - 1'),
        ("\ufb01ne", "fine"),
        ("\uff21\uff22", "AB"),
        ("a\u200bb", "ab"),
        ("line\r\nnext", "line \nnext"),
        ("page\x0cnext", "page\nnext"),
    ],
)
def test_changes(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


@pytest.mark.parametrize(
    "unchanged",
    [
        "Oliver lo Io",  # letters in words stay letters
        "I10 O24.419 I25.10",  # ICD-10 codes keep their letter
        "O2 sat 95%",  # oxygen, not zero-two
        "follow-up",  # a hyphen inside a line
        "E-\n10",  # hyphen before a digit is not hyphenation
        "COPD-\nAsthma",  # next line starts upper-case: not joined
        "病历记录",
        "Πνευμονία",
        "",
    ],
)
def test_leaves_alone(unchanged: str) -> None:
    assert normalize(unchanged).text == unchanged


def _canon(s: str) -> str:
    """Compare words modulo what normalisation may change inside them."""
    s = unicodedata.normalize("NFKC", re.sub(r"[-\s\u00ad\u200b\ufeff\x00]", "", s))
    return s.translate(str.maketrans("lIOo", "1100"))


def _words_round_trip(raw: str) -> None:
    norm = normalize(raw)
    for m in re.finditer(r"[A-Za-z0-9]+", norm.text):
        start, end = norm.to_original(*m.span())
        assert 0 <= start <= end <= len(raw)
        assert _canon(raw[start:end]) == _canon(m.group()), (m.group(), raw[start:end])


@pytest.mark.parametrize(
    "raw",
    [
        "Dx: pneu-\nmonia and dia-\r\nbetes.  Seen   03/l4/2O19\x00\x00 by Dr\u00a0Grant \ufb01ne",
        "\u200bZero\u200b width\ufeff and soft\u00adhyphen",
        "x" * 450 + " tail",
    ],
)
def test_round_trip_examples(raw: str) -> None:
    _words_round_trip(raw)


def test_round_trip_random() -> None:
    """Property-style: random OCR-like noise, every word maps back onto the same word."""
    rng = random.Random(1234)
    pieces = [
        "pneu-\nmonia",
        "03/l4/2019",
        "  ",
        "\t",
        "\x00",
        "\r\n",
        "word",
        "O3",
        "\ufb01",
        "\u2019",
        "\u200b",
        " ",
        "\n",
        "Type 2",
        "diabetes",
        "-",
        "2O19",
        "l",
        "I10",
    ]
    for _ in range(300):
        raw = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        _words_round_trip(raw)


def test_span_ends_and_empty_spans() -> None:
    raw = "ab\u200b  cd"
    norm = normalize(raw)
    assert norm.text == "ab cd"
    assert norm.to_original(0, len(norm.text)) == (0, len(raw))
    assert norm.to_original(3, 5) == (5, 7)
    assert norm.to_original(5, 5) == (len(raw), len(raw))
    assert norm.to_original(-3, 99) == (0, len(raw))


def test_long_runs_get_spaces() -> None:
    norm = normalize("x" * 1000)
    assert max(len(t) for t in norm.text.split()) <= 200
    assert norm.to_original(0, len(norm.text)) == (0, 1000)


@pytest.mark.parametrize(
    "raw",
    [
        "Pt seen 03/l4/2019. Dx: pneu-\nmonia.  BP 120/80   ok\x00 \u2019\n" * 40_000,
        "1.1.1.1.1." * 200_000,
        pytest.param("l1 " * 600_000, marks=pytest.mark.slow),  # 6-12 s on the shared bench box
        "\u75c5" * 2_000_000,
    ],
)
def test_bounded_time(raw: str) -> None:
    started = time.perf_counter()
    normalize(raw)
    assert time.perf_counter() - started < 30


def test_digit_candidates_same_as_the_two_sided_pattern() -> None:
    """_CANDIDATE (led by its character class, for speed) finds what the plain form finds."""
    plain = re.compile(r"[lIOo](?=[0-9])|(?<=[0-9])[lIOo]")
    rng = random.Random(11)
    for _ in range(3000):
        text = "".join(rng.choice("lIOo01 9a/.-\n") for _ in range(rng.randint(0, 30)))
        assert [m.span() for m in _CANDIDATE.finditer(text)] == [
            m.span() for m in plain.finditer(text)
        ]
