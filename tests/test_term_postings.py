"""One read of a term's postings per search, and the numpy phrase-position check
(indexer/index_term_postings.py), against brute force and Whoosh's own matchers."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from whoosh import fields
from whoosh.filedb.filestore import RamStorage

from indexer.index_merge import copy_merge
from indexer.index_term_postings import _read, at_offsets, postings_memo, term_postings
from indexer.index_writer import Writer


def _brute(
    candidates: set[int], positions: list[dict[int, list[int]]], offsets: list[int]
) -> set[int]:
    return {
        d
        for d in candidates
        if any(
            all(p + k - offsets[0] in positions[i][d] for i, k in enumerate(offsets))
            for p in positions[0][d]
        )
    }


def test_at_offsets_agrees_with_brute_force() -> None:
    rng = random.Random(11)
    for _ in range(200):
        n_terms = rng.randint(1, 4)
        docs = rng.sample(range(5000), rng.randint(1, 60))
        positions = [
            {d: sorted(rng.sample(range(40), rng.randint(1, 6))) for d in docs}
            for _ in range(n_terms)
        ]
        offsets = sorted(rng.sample(range(6), n_terms))
        candidates = set(rng.sample(docs, rng.randint(1, len(docs))))
        terms = [(values, list, k) for values, k in zip(positions, offsets, strict=True)]
        assert at_offsets(candidates, terms) == _brute(candidates, positions, offsets)


def test_at_offsets_takes_positions_out_of_order() -> None:
    def backwards(value: Sequence[int]) -> Sequence[int]:
        return list(reversed(value))

    values = [{7: [1, 9, 4]}, {7: [10, 5]}]
    assert at_offsets({7}, [(values[0], backwards, 0), (values[1], backwards, 1)]) == {7}
    assert at_offsets({7}, [(values[0], backwards, 0), (values[1], backwards, 2)]) == set()
    assert at_offsets(set(), [(values[0], backwards, 0)]) == set()


def _index(texts: list[str], chartroom: bool) -> Any:
    """Whoosh's own writer (every term in blocks), or chartroom's as a rebuild writes it: parts
    with their final document numbers (single postings inlined, small blocks uncompressed)
    merged by copying (posting regions spliced from several parts)."""
    storage = RamStorage()
    schema = fields.Schema(body=fields.TEXT(phrase=True), plain=fields.TEXT(phrase=False))
    index = storage.create_index(schema)
    if not chartroom:
        writer = index.writer()
        for text in texts:
            writer.add_document(body=text, plain=text)
        writer.commit()
        return index
    for start in range(0, len(texts), 250):
        part = Writer(index, postings_base=start)
        for text in texts[start : start + 250]:
            part.add_document(body=text, plain=text)
        part.commit(merge=False)
    Writer(index).commit(mergetype=copy_merge)
    return index


@pytest.mark.parametrize("chartroom", [False, True])
def test_term_postings_match_whoosh_and_are_read_once_per_search(chartroom: bool) -> None:
    rng = random.Random(3)
    words = ["alpha", "beta", "gamma"]
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 9))) for _ in range(700)]
    texts[100] += " delta"  # one page: inlined by chartroom's writer
    texts[300] += " epsilon"  # one page in each of two parts: spliced, one block made
    texts[600] += " epsilon"
    index = _index(texts, chartroom)
    with index.searcher() as searcher:
        reader = searcher.reader()
        if chartroom:
            assert reader.term_info("body", b"delta").is_inlined()
        for field in ("body", "plain"):
            for word in [*words, "delta", "epsilon"]:
                postings = term_postings(reader, field, word.encode())
                matcher = reader.postings(field, word.encode())
                expected_ids, expected_weights, expected_values = [], [], []
                while matcher.is_active():
                    expected_ids.append(matcher.id())
                    expected_weights.append(matcher.weight())
                    expected_values.append(matcher.value())
                    matcher.next()
                assert postings.id_array.tolist() == expected_ids
                through_matcher = _read(reader.postings(field, word.encode()))  # the fallback
                assert through_matcher.id_array.tolist() == expected_ids
                assert np.allclose(through_matcher.weight_array, expected_weights)
                assert postings.id_set() == set(expected_ids)
                assert np.allclose(postings.weight_array, expected_weights)
                if field == "body":
                    assert postings.value_map == dict(
                        zip(expected_ids, expected_values, strict=True)
                    )
        assert len(term_postings(reader, "body", b"absent")) == 0
        assert term_postings(reader, "body", b"alpha") is not term_postings(
            reader, "body", b"alpha"
        )
        with postings_memo():
            first = term_postings(reader, "body", b"alpha")
            assert term_postings(reader, "body", b"alpha") is first
        with postings_memo():
            assert term_postings(reader, "body", b"alpha") is not first
