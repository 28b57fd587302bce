"""models.tokenizer: the same tokens as spaCy's stock English tokenizer, with its cache working."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import Doc

from chartroom.settings import Settings
from models.pipeline import build_nlp
from models.tokenizer import CONFIG, TEXT_KEY, doc_text

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "sample_scans").glob("*.gt.txt"))


@pytest.fixture(scope="module")
def stock() -> Language:
    return spacy.blank("en")


@pytest.fixture(scope="module")
def caching() -> Language:
    import models.tokenizer  # noqa: F401  (registers the tokenizer)

    return spacy.blank("en", config=CONFIG)


def tokens(doc: Doc) -> list[tuple[str, str, str]]:
    return [(t.text, t.whitespace_, t.norm_) for t in doc]


EDGE_CASES = [
    "",
    " ",
    "\n",
    " abc",
    "  abc",
    "abc ",
    "abc  ",
    "a \n b",
    "a\n b",
    "a \nb",
    "a\t b",
    " \n",
    "\n\n\nDr. Smith\n",
    "Pt. seen by Dr. Alan Grant, MD at 10 a.m. vs. 2 p.m.",
    "HTN/DM, s/p CABG x2 (2019); BP: 120/80 mg/dL; 5% 10mg E11.9 3-14-19",
    "dont cannot Wed id\xa0im 'em o'clock and/or i.e. e.g. :) <3 -- --- \u2014",
    "1. Hypertension.\n2. DM.\n  a) CHF\n\t- COPD\r\n",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_same_tokens_as_stock_english(stock: Language, caching: Language, text: str) -> None:
    assert tokens(caching.make_doc(text)) == tokens(stock.make_doc(text))


def test_same_tokens_on_sample_notes_and_random_strings(stock: Language, caching: Language) -> None:
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    rng = random.Random(7)
    alphabet = [*"abzAMDRXIO019 .,:;()-/\n\t'\"%#&*+=<>[]_!?", "  ", "\n\n", " \n", "\xa0"]
    alphabet += ["é", "\u2019", "Dr.", "dont", "vs.", "a.m.", "e.g.", ":)", "mg", "Wed", "St."]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(3000)]
    for text in texts:
        for _ in range(2):  # the second time through the tokenizer's cache
            assert tokens(caching.make_doc(text)) == tokens(stock.make_doc(text)), text


def test_pipeline_uses_it_and_keeps_white_space_out_of_the_special_cases() -> None:
    nlp = build_nlp(Settings(), diagnoses=False)
    rules = nlp.tokenizer.rules or {}  # type: ignore[attr-defined]
    assert "\n" not in rules and " " not in rules and "Dr." in rules


def test_doc_text(caching: Language) -> None:
    doc = caching.make_doc("Assessment:\nHTN.")
    assert doc_text(doc) == "Assessment:\nHTN."
    doc.user_data[TEXT_KEY] = doc.text
    assert doc_text(doc) == doc.text
