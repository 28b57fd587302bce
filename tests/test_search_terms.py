"""Exact phrases through word pairs, date ranges through year/month terms, and the set-based
totals and BM25 ranking (indexer/index_terms.py, index_docsets.py, index_rank.py) agreeing with
Whoosh's own. Real RecordStore (SQLite); invented patients only.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from chartroom.settings import Settings
from indexer.index_query import Restriction
from indexer.journal import sync_index
from indexer.search import Search
from records.store import RecordStore
from tests._search_docs import Doc, archive, save

from models.types import DateRole, DocumentType  # isort: skip


@pytest.fixture
def indexed(settings: Settings) -> Iterator[tuple[Settings, RecordStore, dict[str, int]]]:
    with RecordStore(settings) as store:
        ids = archive(store)
        sync_index(settings, store)
        yield settings, store, ids


def _docs(settings: Settings, query: str, **kw: object) -> list[int]:
    with Search(settings) as search:
        return sorted({h.document_id for h in search.search(query, **kw).hits})  # type: ignore[arg-type]


# --- word pairs, coarse date terms, set-based counting (indexer/index_terms.py, index_docsets.py)


def test_phrases_need_adjacent_words_in_order(settings: Settings) -> None:
    with RecordStore(settings) as store:
        adjacent = save(
            store, Doc("a", ("Marked SHORTNESS of Breath at rest.",), DocumentType.CONSULTATION)
        )
        apart = save(
            store,
            Doc(
                "b",
                ("Shortness improved; of note, breath sounds clear.",),
                DocumentType.CONSULTATION,
            ),
        )
        reversed_ = save(
            store,
            Doc("c", ("Breath of shortness, café au lait spots.",), DocumentType.CONSULTATION),
        )
        split = save(
            store,
            Doc(
                "d",
                ("Page one ends with shortness", "of breath starts page two."),
                DocumentType.CONSULTATION,
            ),
        )
        sync_index(settings, store)
    assert _docs(settings, '"shortness of breath"') == [adjacent]
    assert _docs(settings, '"shortness of"') == [adjacent]
    assert _docs(settings, '"of breath"') == sorted([adjacent, split])
    assert _docs(settings, '"breath of shortness"') == [reversed_]
    assert _docs(settings, '"cafe au lait spots"') == [reversed_]  # accents folded
    assert _docs(settings, '"breath sounds clear"') == [apart]
    assert _docs(settings, '"shortness of breath" OR "breath sounds"') == sorted([adjacent, apart])
    assert _docs(settings, 'breath -"shortness of breath"') == sorted([apart, reversed_, split])
    with Search(settings) as search:
        hit = search.search('"shortness of breath"').hits[0]
        assert "<mark>SHORTNESS</mark> <mark>of</mark> <mark>Breath</mark>" in hit.snippet


def test_date_ranges_at_month_year_and_leap_day_edges(settings: Settings) -> None:
    days = [
        "2019-12-31",
        "2020-01-01",
        "2020-01-31",
        "2020-02-01",
        "2020-02-28",
        "2020-02-29",
        "2020-03-01",
        "2020-12-31",
        "2021-01-01",
        "2021-06-15",
    ]
    with RecordStore(settings) as store:
        ids = {
            d: save(
                store,
                Doc(d, (f"Visit on {d}.",), DocumentType.CONSULTATION, ((DateRole.SERVICE, d),)),
            )
            for d in days
        }
        sync_index(settings, store)

    def within(low: str, high: str) -> list[int]:
        return sorted(ids[d] for d in days if low <= d <= high)

    cases = {
        "date:2020": within("2020-01-01", "2020-12-31"),
        "date:2020-02": within("2020-02-01", "2020-02-29"),
        "date:2020-02-29": within("2020-02-29", "2020-02-29"),
        "date:2020-01-31..2020-03-01": within("2020-01-31", "2020-03-01"),
        "date:2020-02-01..2020-02-28": within("2020-02-01", "2020-02-28"),
        "date:2019-12-31..2021-01-01": within("2019-12-31", "2021-01-01"),
        "date:2019-12..2020-01": within("2019-12-01", "2020-01-31"),
        "date:2019..2020": within("2019-01-01", "2020-12-31"),
        "date:2020-02-29..": within("2020-02-29", "9999"),
        "date:..2020-02-28": within("0000", "2020-02-28"),
        "date:..2020": within("0000", "2020-12-31"),
        "date:2021..": within("2021-01-01", "9999"),
        "date:2020-03-01..2020-12-30": within("2020-03-01", "2020-12-30"),
        "date:2020 -date:2020-02": sorted(
            set(within("2020-01-01", "2020-12-31")) - set(within("2020-02-01", "2020-02-29"))
        ),
        "admitted:2020": [],
    }
    for query, expected in cases.items():
        assert _docs(settings, query, page_size=50) == expected, query
        with Search(settings) as search:
            assert search.search(query).total == len(expected), query


def test_set_counting_agrees_with_whoosh() -> None:
    from whoosh import fields
    from whoosh import query as wq
    from whoosh.filedb.filestore import RamStorage

    from indexer.index_docsets import matching_docnums
    from indexer.index_terms import date_range_query, date_terms

    storage = RamStorage()
    index = storage.create_index(fields.Schema(date=fields.KEYWORD(), n=fields.ID()))
    start = date(2015, 11, 20)
    for batch in range(3):  # three segments, some documents deleted
        writer = index.writer()
        for k in range(batch * 300, batch * 300 + 300):
            writer.add_document(
                date=date_terms([(start + timedelta(days=k)).isoformat()]), n=str(k)
            )
        writer.commit(merge=False)
    writer = index.writer()
    writer.delete_by_term("n", "450")
    writer.delete_by_term("n", "10")
    writer.commit(merge=False)
    bounds = [
        None,
        date(2016, 1, 1),
        date(2016, 2, 29),
        date(2016, 3, 1),
        date(2016, 12, 31),
        date(2017, 1, 1),
        date(2017, 2, 14),
        date(2017, 12, 31),
    ]
    with index.searcher() as searcher:
        for low in bounds:
            for high in bounds:
                if low and high and low > high:
                    continue
                query = date_range_query("date", low, high)
                expected = list(searcher.docs_for_query(query))
                got = matching_docnums(searcher, query).tolist()
                assert got == sorted(expected)
                brute = wq.Or(
                    [
                        wq.Term("n", str(k))
                        for k in range(900)
                        if k not in (10, 450)
                        and (low or date.min) <= start + timedelta(days=k) <= (high or date.max)
                    ]
                )
                assert got == sorted(searcher.docs_for_query(brute)), (low, high)
                restricted = wq.And([query, wq.Not(wq.Term("n", "20"))])
                assert matching_docnums(searcher, restricted).tolist() == sorted(
                    searcher.docs_for_query(restricted)
                )


def test_ranking_matches_whoosh(indexed: tuple[Settings, RecordStore, dict[str, int]]) -> None:
    from indexer.index_docsets import matching_docnums
    from indexer.index_query import restrict, translate
    from indexer.index_rank import top_docs
    from indexer.query import parse

    settings, _, _ = indexed
    only = Restriction(patients=frozenset({1}), documents=frozenset({3}))
    queries = [
        "heart failure",
        "discharge -pneumonia",
        "pneumonia OR carcinoma",
        "cardio*",
        "furosamide~",
        "dx:I50.2*",
        "date:2019 discharge",
        "(pneumonia OR carcinoma) AND breast",
    ]
    with Search(settings) as search:
        searcher = search.reader().searcher
        for text in queries:
            for restriction in (None, only):
                query = restrict(translate(parse(text)), restriction)
                docnums = matching_docnums(searcher, query)
                assert docnums.tolist() == sorted(searcher.docs_for_query(query)), text
                ranked = top_docs(searcher, query, docnums, 20)
                assert ranked is not None, text
                expected = [(h.docnum, h.score) for h in searcher.search(query, limit=20)]
                assert [d for d, _ in ranked] == [d for d, _ in expected], text
                assert [round(s, 6) for _, s in ranked] == [round(s, 6) for _, s in expected]


# --- common grams: pairs only around common words (indexer/index_terms.py `phrase_units`) -----

PHRASE_PAGES = [
    "History of the present illness: shortness of breath on exertion.",
    "Spiculated mass in the left breast; no spiculated margin of the mass.",
    "The mass of the heart is normal. Of note the patient is well.",
    "Heart failure with reduced ejection fraction, history of heart failure.",
    "Invasive ductal carcinoma of the breast, grade 2. The end of",
    "of the of the of",
    "Breath sounds clear; shortness improved. Of breath nothing.",
]
PHRASES = [
    "shortness of breath",
    "spiculated mass",
    "mass of the heart",
    "of the",
    "of",
    "the",
    "the end of",
    "of the breast",
    "history of heart failure",
    "heart failure",
    "invasive ductal carcinoma",
    "invasive ductal carcinoma of the breast",
    "of note the patient",
    "the of",
    "of the of",
    "the of the of",
    "breath of",
    "no spiculated margin",
    "left breast no spiculated",
    "ejection fraction history",
    "failure of",
]


def _contains(words: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(words[i : i + n] == phrase for i in range(len(words) - n + 1))


def test_phrases_with_and_without_common_words_match_exactly(settings: Settings) -> None:
    from indexer.index_schema import fold

    with RecordStore(settings) as store:
        ids = [
            save(store, Doc(f"p{i}", (text,), DocumentType.CONSULTATION))
            for i, text in enumerate(PHRASE_PAGES)
        ]
        sync_index(settings, store)
    for phrase in PHRASES:
        wanted = fold(phrase)
        expected = sorted(
            d for d, text in zip(ids, PHRASE_PAGES, strict=True) if _contains(fold(text), wanted)
        )
        assert _docs(settings, f'"{phrase}"', page_size=50) == expected, phrase
        with Search(settings) as search:
            assert search.search(f'"{phrase}"').total == len(expected), phrase


@pytest.mark.parametrize("packed", [True, False], ids=["packed-positions", "whoosh-positions"])
def test_common_gram_phrases_agree_with_whoosh_phrases(packed: bool) -> None:
    """A phrase through common grams and words finds what Whoosh's positional phrase over
    every word finds, in the set path and in Whoosh's own matcher (several segments, deletions),
    with positions packed as chartroom's schema stores them and in Whoosh's own format."""
    import random

    from whoosh import fields
    from whoosh import query as wq
    from whoosh.filedb.filestore import RamStorage

    from indexer.index_docsets import matching_docnums
    from indexer.index_schema import EXACT, PAIRS, fold, phrase_text
    from indexer.index_terms import SpacedPhrase, phrase_query

    vocabulary = ["of", "the", "and", "heart", "failure", "mass", "breath", "left", "is", "a"]
    rng = random.Random(5)
    storage = RamStorage()
    if packed:
        exact, pairs = phrase_text(EXACT), phrase_text(PAIRS)
    else:
        exact = fields.TEXT(analyzer=EXACT, phrase=True)
        pairs = fields.TEXT(analyzer=PAIRS, phrase=True)
    schema = fields.Schema(exact=exact, pairs=pairs, n=fields.ID())
    index = storage.create_index(schema)
    for batch in range(3):
        writer = index.writer()
        for k in range(batch * 150, batch * 150 + 150):
            text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 30)))
            writer.add_document(exact=text, pairs=text, n=str(k))
        writer.commit(merge=False)
    writer = index.writer()
    writer.delete_by_term("n", "160")
    writer.commit(merge=False)
    spaced = 0
    with index.searcher() as searcher:
        for _ in range(300):
            words = fold(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 5))))
            query = phrase_query(words)
            spaced += isinstance(query, SpacedPhrase)
            plain = wq.Phrase("exact", words) if len(words) > 1 else wq.Term("exact", words[0])
            expected = sorted(searcher.docs_for_query(plain))
            assert matching_docnums(searcher, query).tolist() == expected, words
            assert sorted(searcher.docs_for_query(query)) == expected, words
    assert spaced > 20
