"""One read of a term's postings per search, and the numpy phrase-position check
(indexer/index_term_postings.py), against brute force and Whoosh's own matchers."""

from __future__ import annotations

import pickle
import random
import zlib
from array import array
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from whoosh import fields
from whoosh.filedb.filestore import RamStorage
from whoosh.formats import Positions

from indexer.index_merge import copy_merge
from indexer.index_positions import PackedPositions, PackedValues
from indexer.index_schema import EXACT, phrase_text
from indexer.index_term_postings import (
    TermPostings,
    _read,
    at_offsets,
    postings_memo,
    term_postings,
)
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


class _Backwards:
    """A positional format whose values are lists in reverse order (not ascending)."""

    def decode_positions(self, value: Sequence[int]) -> list[int]:
        return list(reversed(value))


def _postings(values: dict[int, list[int]], fmt: Any) -> TermPostings:
    """A term's postings in one block, its values encoded by `fmt` (a list: as they are)."""
    ids = sorted(values)
    encode = fmt.encode if hasattr(fmt, "encode") else list
    encoded = [encode(values[d]) for d in ids]
    return TermPostings(np.asarray(ids, dtype=np.int64), [len(ids)], [None], [encoded], fmt)


@pytest.mark.parametrize("fmt", [PackedPositions(), Positions()], ids=["packed", "whoosh"])
def test_at_offsets_agrees_with_brute_force(fmt: Any) -> None:
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
        # each term also on pages that are not candidates
        terms = [
            (_postings({**values, **{9000 + i: [1]}}, fmt), k)
            for i, (values, k) in enumerate(zip(positions, offsets, strict=True))
        ]
        found = at_offsets(np.asarray(sorted(candidates), dtype=np.int64), terms)
        assert set(found.tolist()) == _brute(candidates, positions, offsets)


def test_at_offsets_takes_positions_out_of_order() -> None:
    first = _postings({7: [9, 4, 1]}, _Backwards())
    second = _postings({7: [10, 5]}, _Backwards())
    seven = np.asarray([7], dtype=np.int64)
    assert at_offsets(seven, [(first, 0), (second, 1)]).tolist() == [7]
    assert at_offsets(seven, [(first, 0), (second, 2)]).tolist() == []
    assert at_offsets(np.zeros(0, dtype=np.int64), [(first, 0)]).tolist() == []


def _index(texts: list[str], chartroom: bool) -> Any:
    """Whoosh's own writer (every term in blocks), or chartroom's as a rebuild writes it: parts
    with their final document numbers (single postings inlined, small blocks uncompressed)
    merged by copying (posting regions spliced from several parts)."""
    storage = RamStorage()
    schema = fields.Schema(
        body=fields.TEXT(phrase=True), plain=fields.TEXT(phrase=False), packed=phrase_text(EXACT)
    )
    index = storage.create_index(schema)
    if not chartroom:
        writer = index.writer()
        for text in texts:
            writer.add_document(body=text, plain=text, packed=text)
        writer.commit()
        return index
    for start in range(0, len(texts), 250):
        part = Writer(index, postings_base=start)
        for text in texts[start : start + 250]:
            part.add_document(body=text, plain=text, packed=text)
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
        for field in ("body", "plain", "packed"):
            for word in [*words, "delta", "epsilon"]:
                postings = term_postings(reader, field, word.encode())
                matcher = reader.postings(field, word.encode())
                expected_ids, expected_weights, expected_values = [], [], []
                while matcher.is_active():
                    expected_ids.append(matcher.id())
                    expected_weights.append(matcher.weight())
                    expected_values.append(matcher.value())
                    matcher.next()
                assert postings.ids.tolist() == expected_ids
                fmt = reader.schema[field].format
                through_matcher = _read(reader.postings(field, word.encode()), fmt)  # fallback
                assert through_matcher.ids.tolist() == expected_ids
                assert np.allclose(through_matcher.weight_array, expected_weights)
                assert np.allclose(postings.weight_array, expected_weights)
                if field != "plain":
                    assert postings.values() == expected_values
                    ids = postings.ids
                    expected_keys = [
                        d * 2**32 + p
                        for d, value in zip(expected_ids, expected_values, strict=True)
                        for p in fmt.decode_positions(value)
                    ]
                    assert postings.keys(ids, 0).tolist() == expected_keys
                    assert postings.keys(ids[::3], 2).tolist() == [
                        k - 2 for k in expected_keys if (k >> 32) in set(ids[::3].tolist())
                    ]
        assert len(term_postings(reader, "body", b"absent")) == 0
        assert term_postings(reader, "body", b"alpha") is not term_postings(
            reader, "body", b"alpha"
        )
        with postings_memo():
            first = term_postings(reader, "body", b"alpha")
            assert term_postings(reader, "body", b"alpha") is first
        with postings_memo():
            assert term_postings(reader, "body", b"alpha") is not first


def _first_block(reader: Any, field: str, word: bytes) -> bytes:
    """The pickled (ids, weights, values) of a term's first block, as Whoosh's matcher finds it."""
    matcher = reader.postings(field, word)
    block = matcher._postfile.get(matcher._dataoffset, matcher._nextoffset - matcher._dataoffset)
    return zlib.decompress(block) if matcher._compression else bytes(block)


@pytest.mark.parametrize("chartroom", [False, True])
def test_chartroom_blocks_unpickle_without_a_call_per_value(chartroom: bool) -> None:
    """Protocol-2 pickles (Whoosh's writer) store each bytes value as a call to
    _codecs.encode, ~1 µs per posting to read back; chartroom's blocks hold bytes as bytes, their
    ids as one array of uint32 and differing weights as one array of float32."""
    texts = [f"alpha beta {'gamma ' * (k % 4)}" for k in range(300)]
    index = _index(texts, chartroom=chartroom)
    with index.searcher() as searcher:
        reader = searcher.reader()
        for field in ("body", "packed"):
            block = _first_block(reader, field, b"alpha")
            ids, _, values = pickle.loads(block)
            assert all(type(v) is bytes for v in values)
            if chartroom:
                assert b"_codecs" not in block
                assert isinstance(ids, array) and ids.typecode == "I"
                assert isinstance(values, PackedValues) == (field == "packed")
            else:
                assert b"_codecs" in block  # the check above can fail
                assert isinstance(ids, tuple)
        _, weights, _ = pickle.loads(_first_block(reader, "body", b"gamma"))  # 1-3 per page
        assert isinstance(weights, array if chartroom else tuple)
