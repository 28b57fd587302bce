"""Search over an index built from a real RecordStore (SQLite); documents saved with save_stored
from ScannedPage / Findings dataclasses (no OCR). Invented patients only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chartroom.cli import main
from chartroom.errors import QueryError
from chartroom.settings import Settings
from indexer.index_query import Restriction
from indexer.journal import sync_index
from indexer.search import Search
from records.store import RecordStore
from tests._search_docs import archive


@pytest.fixture
def indexed(settings: Settings) -> Iterator[tuple[Settings, RecordStore, dict[str, int]]]:
    with RecordStore(settings) as store:
        ids = archive(store)
        report = sync_index(settings, store)  # a fresh data folder: the index is created
        assert not report.waiting and report.documents == len(ids)
        yield settings, store, ids


def _docs(settings: Settings, query: str, **kw: object) -> list[int]:
    with Search(settings) as search:
        return sorted({h.document_id for h in search.search(query, **kw).hits})  # type: ignore[arg-type]


def test_the_query_language_finds_the_right_documents(
    indexed: tuple[Settings, RecordStore, dict[str, int]],
) -> None:
    settings, _, ids = indexed
    dc19, dc21, path, _note, unfiled = (
        ids[k] for k in ("dc2019", "dc2021", "path2019", "note2020", "unfiled")
    )
    cases = {
        "heart failure": [dc19],
        "failures": [dc19],  # stemmed
        '"heart failure"': [dc19],
        '"failure heart"': [],
        "cafe": [unfiled],  # accent-folded (Café)
        "FUROSEMIDE": [dc19],
        "furosemid~": [dc19],
        "furosamide~": [dc19],  # one OCR error
        "cardio*": [unfiled],
        "pneumonia OR carcinoma": [dc21, path],
        "discharge NOT pneumonia": [dc19],
        "discharge -pneumonia": [dc19],
        "(pneumonia OR carcinoma) AND breast": [path],
        "patient:00123456": [dc19, dc21],
        "patient:brindlemoor": [dc19, dc21],
        'patient:"Brindlemoor, Orla"': [dc19, dc21],
        "type:discharge_summary": [dc19, dc21],
        'type:"discharge summary"': [dc19, dc21],
        "type:path": [path],
        "dx:C50": [path],
        "dx:I50.2*": [dc19],
        "dx:I50.9": [],
        "dx:J18.9": [dc21],  # the negated pneumonia of 2019 is not a diagnosis
        'dx:"breast"': [path],
        "dx:carcinoma": [path],
        "date:2019": [dc19, path, unfiled],
        "date:2019-03": [dc19, unfiled],
        "date:2019-01-01..2019-06-30": [dc19, unfiled],
        "date:03/14/2019": [dc19],
        "date:2021..": [dc21],
        "date:..2018-12-31": [],
        "admitted:2019-03": [dc19],
        "discharged:2021": [dc21],
        "dob:1952-07-09": [dc19, dc21],
        "filed:no": [unfiled],
        "type:discharge patient:brindlemoor date:2019": [dc19],
    }
    got = {query: _docs(settings, query) for query in cases}
    assert got == {query: sorted(want) for query, want in cases.items()}
    assert _docs(settings, "the") == []  # a stop word alone finds nothing, no error


@pytest.mark.parametrize(
    "query",
    [
        "*",
        "**",
        "*itis",
        "card*io",
        "ca*",
        "foo:bar",
        "text:heart",
        'patient:"Brindlemoor',
        "(heart failure",
        "heart failure)",
        "()",
        "heart AND",
        "OR heart",
        "NOT",
        "NOT heart",
        "heart\x00failure",
        "",
        "   ",
        "date:2019-13",
        "date:yesterday",
        "date:2020..2019",
        "type:invoice",
        "filed:maybe",
        "dx:",
        "x" * 10_240,
        "heart " * 100,
    ],
)
def test_bad_queries_are_clear_errors(
    indexed: tuple[Settings, RecordStore, dict[str, int]], query: str
) -> None:
    settings, _, _ = indexed
    with Search(settings) as search, pytest.raises(QueryError) as info:
        search.search(query)
    assert info.value.exit_code == 91 and len(str(info.value)) < 400


def test_hits_carry_page_patient_dates_escaped_snippets_and_word_boxes(
    indexed: tuple[Settings, RecordStore, dict[str, int]],
) -> None:
    settings, store, ids = indexed
    with Search(settings, pages=store) as search:
        results = search.search("diabetes", boxes=True)
        (hit,) = results.hits
        assert (hit.document_id, hit.page, hit.page_count) == (ids["dc2019"], 2, 2)
        assert hit.snippet.startswith("Page 2 of 2: ")
        assert "<mark>diabetes</mark>" in hit.snippet
        assert hit.patient is not None and hit.patient.mrn == "00123456"
        assert hit.dates["admission"] == ["2019-03-11"] and hit.document_type == "discharge_summary"
        assert [b.text for b in hit.boxes] == ["diabetes"]
        assert hit.boxes[0].width > 0 and hit.boxes[0].top >= 200

        script = search.search("script alert").hits[0]
        assert "<script>" not in script.snippet and "&lt;" in script.snippet
        assert "&lt;<mark>script</mark>&gt;" in script.snippet


def test_facets_sorting_and_paging(indexed: tuple[Settings, RecordStore, dict[str, int]]) -> None:
    settings, _, ids = indexed
    with Search(settings) as search:
        results = search.search("date:2019")
        assert results.total == 4  # pages: 2 of the 2019 discharge summary, 1 pathology, 1 x-ray
        assert results.facets["document_type"] == {
            "discharge_summary": 2,
            "pathology_report": 1,
            "radiology_report": 1,
        }
        assert results.facets["year"] == {"2019": 4}
        assert results.facets["filed"] == {"yes": 3, "no": 1}
        categories = results.facets["diagnosis_category"]
        assert (
            categories["C00-D49 Neoplasms"] == 1 and categories["I00-I99 Circulatory system"] == 3
        )
        by_date = search.search("date:2019", sort="date")
        assert by_date.hits[0].document_id == ids["path2019"]  # newest first (Aug 2019)
        first = search.search("date:2019", sort="date", page=1, page_size=3)
        second = search.search("date:2019", sort="date", page=2, page_size=3)
        assert len(first.hits) == 3 and len(second.hits) == 1 and second.total == 4
        assert search.search("date:2019", page=3, page_size=3).hits == []


def test_restriction_is_inside_the_query_so_counts_and_facets_never_leak(
    indexed: tuple[Settings, RecordStore, dict[str, int]],
) -> None:
    settings, store, ids = indexed
    jasper = store.patient_by_mrn("00234567")
    assert jasper and jasper.id
    only_jasper = Restriction(patients=frozenset({jasper.id}))
    with Search(settings) as search:
        everything = search.search("date:2019..2020")
        allowed = search.search("date:2019..2020", restriction=only_jasper)
        assert everything.total == 5
        assert allowed.total == 2 and {h.document_id for h in allowed.hits} == {
            ids["path2019"],
            ids["note2020"],
        }
        assert allowed.facets["document_type"] == {"pathology_report": 1, "progress_note": 1}
        assert allowed.facets["filed"] == {"yes": 2}
        assert "discharge_summary" not in json.dumps(allowed.facets)
        # an unfiled document only through an explicit grant
        assert search.search("filed:no", restriction=only_jasper).total == 0
        grant = Restriction(documents=frozenset({ids["unfiled"]}))
        assert search.search("filed:no", restriction=grant).total == 1
        nothing = search.search("date:2019", restriction=Restriction(documents=frozenset()))
        assert nothing.total == 0 and nothing.facets["document_type"] == {}
        # more like this: never for a document the user may not see, never shows others
        assert search.more_like_this(ids["dc2019"], restriction=only_jasper).hits == []
        like = search.more_like_this(ids["dc2021"], restriction=only_jasper)
        assert all(h.patient and h.patient.id == jasper.id for h in like.hits)


def test_more_like_this_finds_the_other_discharge_summary(
    indexed: tuple[Settings, RecordStore, dict[str, int]],
) -> None:
    settings, _, ids = indexed
    with Search(settings) as search:
        like = search.more_like_this(ids["dc2021"])
    assert like.hits and like.hits[0].document_id == ids["dc2019"]
    assert ids["dc2021"] not in {h.document_id for h in like.hits}


def test_refiling_reaches_the_index_through_the_journal(
    indexed: tuple[Settings, RecordStore, dict[str, int]],
) -> None:
    settings, store, ids = indexed
    orla = store.patient_by_mrn("00123456")
    assert orla and orla.id
    store.file_document(ids["unfiled"], orla.id, user="alice", reason="name and DOB on the page")
    assert store.counts()["index_pending"] == 1
    assert _docs(settings, "filed:no") == [ids["unfiled"]]  # not applied yet
    sync_index(settings, store)
    assert store.counts()["index_pending"] == 0
    assert _docs(settings, "filed:no") == []
    assert ids["unfiled"] in _docs(settings, "patient:brindlemoor")


def test_cli_search_json_and_errors(
    indexed: tuple[Settings, RecordStore, dict[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings, _, ids = indexed
    monkeypatch.setenv("CHARTROOM_HOME", str(settings.home))
    assert main(["search", "--json", "dx:C50"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"] == 1 and set(out) >= {"total", "hits", "facets"}
    hit = out["hits"][0]
    assert set(hit) >= {"document_id", "page", "score", "snippet", "patient", "document_type"}
    assert hit["document_id"] == ids["path2019"] and hit["patient"]["mrn"] == "00234567"
    assert main(["search", "--json", "--sort", "date", "--page", "2", "date:2019"]) == 0
    assert json.loads(capsys.readouterr().out)["page"] == 2
    assert main(["search", "heart", "failure"]) == 0
    assert "[heart] [failure]" in capsys.readouterr().out
    assert main(["search", "--json", "foo:bar"]) == 91
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["type"] == "QueryError" and "foo" in error["message"]
    assert main(["search", "--json", "--like", str(ids["dc2021"])]) == 0
    assert json.loads(capsys.readouterr().out)["hits"]


def test_search_does_not_load_the_nlp_model(root: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; import chartroom.search_command, indexer.search;"
        "print(any(m.split('.')[0] in ('spacy', 'medspacy', 'models') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_the_query_languages_document_types_are_the_nlp_steps() -> None:
    """indexer/query.py spells the types out (search must not import models/); keep them in step."""
    from indexer.query import DOCUMENT_TYPES
    from models.types import DocumentType

    assert tuple(t.value for t in DocumentType) == DOCUMENT_TYPES


def test_snippet_centres_on_the_densest_run_of_hits() -> None:
    """The sliding window finds the start with the most spans in reach, the first such."""
    import random

    from indexer.search import densest

    rng = random.Random(8)
    for _ in range(500):
        starts = sorted(rng.sample(range(2000), rng.randint(1, 40)))
        spans = [(s, s + 1) for s in starts]
        width = rng.randint(1, 300)
        counts = [sum(1 for t in starts if s <= t < s + width) for s in starts]
        assert densest(spans, width) == starts[counts.index(max(counts))]
