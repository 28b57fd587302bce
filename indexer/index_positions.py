"""Word positions stored so numpy reads a whole term's worth at once (the phrase fields).

Whoosh's Positions format stores each posting's positions as a count and a pickled list of
deltas: reading them back is a `pickle.loads` per posting (~0.7 µs), and a phrase over a common
word reads tens of thousands. `PackedPositions` stores a posting's positions as little-endian
unsigned 32-bit integers, nothing else (the count is the length / 4), so a term's postings,
joined, are one `numpy.frombuffer`. Whoosh's own matchers read it through the same Format
methods as before (`decode_positions`, `decode_frequency`, ...), so Whoosh's phrase queries,
merges and highlighting keep working on it.

In a postings block the values of a PackedPositions field are one `PackedValues`: the values
joined, and each one's number of positions (Whoosh's writer pickles a tuple of bytes objects,
one object to build per posting when the block is read). Whoosh's matcher indexes it like the
tuple.

A position is a word's number on its page (a page has thousands, never 2**32).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, chain
from struct import Struct
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh.formats import Positions

_ONE = Struct("<I")
_SINGLE: list[bytes] = [_ONE.pack(n) for n in range(4096)]  # the common case: one position
_STRUCTS: dict[int, Struct] = {}


def _struct(count: int) -> Struct:
    found = _STRUCTS.get(count)
    if found is None:
        found = _STRUCTS[count] = Struct(f"<{count}I")
    return found


def pack_positions(poses: Sequence[int]) -> bytes:
    """A posting's positions (ascending) as PackedPositions stores them."""
    if len(poses) == 1 and poses[0] < 4096:
        return _SINGLE[poses[0]]
    return _struct(len(poses)).pack(*poses)


class PackedPositions(Positions):  # type: ignore[misc]
    """Whoosh's Positions format with each posting's positions as little-endian uint32s."""

    def encode(self, poslist: Iterable[int]) -> bytes:
        return pack_positions(list(poslist))

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return list(_struct(len(valuestring) // 4).unpack(valuestring))

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4

    def decode_weight(self, valuestring: bytes) -> float:
        return float(self.decode_frequency(valuestring) * self.field_boost)


class PackedValues:
    """A postings block's PackedPositions values: `blob`, the values one after another, and
    `counts`, each value's number of positions (little-endian uint32s). Pickled as those two
    bytes objects; indexed (`block[i]`) like the tuple of values Whoosh's reader expects."""

    __slots__ = ("_ends", "blob", "counts")

    def __init__(self, blob: bytes, counts: bytes) -> None:
        self.blob = blob
        self.counts = counts
        self._ends: list[int] | None = None

    @classmethod
    def of(cls, values: Sequence[bytes]) -> PackedValues:
        lengths = [len(v) // 4 for v in values]
        return cls(b"".join(values), _struct(len(lengths)).pack(*lengths))

    def __reduce__(self) -> tuple[type[PackedValues], tuple[bytes, bytes]]:
        return (PackedValues, (self.blob, self.counts))

    def __len__(self) -> int:
        return len(self.counts) // 4

    def __getitem__(self, i: int) -> bytes:
        ends = self._ends
        if ends is None:
            ends = self._ends = [0, *accumulate(_struct(len(self)).unpack(self.counts))]
        count = len(ends) - 1
        if i < 0:
            i += count
        if not 0 <= i < count:
            raise IndexError("PackedValues index out of range")
        return self.blob[ends[i] * 4 : ends[i + 1] * 4]

    def __iter__(self) -> Iterator[bytes]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PackedValues)
            and self.blob == other.blob
            and self.counts == other.counts
        )

    __hash__ = None  # type: ignore[assignment]


def packed_table(
    blocks: Iterable[Sequence[bytes] | None], count: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The positions of a term's `count` PackedPositions values (its blocks' values: each a
    PackedValues or a tuple of values): each value's number of positions, and all positions one
    after another, read without a Python call per value."""
    blobs: list[bytes] = []
    counts: list[NDArray[np.int64]] = []
    for block in blocks:
        if block is None:
            continue
        if isinstance(block, PackedValues):
            blobs.append(block.blob)
            counts.append(np.frombuffer(block.counts, dtype="<u4").astype(np.int64))
        else:
            blobs.extend(block)
            counts.append(np.fromiter(map(len, block), np.int64, count=len(block)) // 4)
    all_counts = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    if all_counts.size != count:
        raise ValueError(f"{all_counts.size} position values for {count} postings")
    flat = np.frombuffer(b"".join(blobs), dtype="<u4").astype(np.int64)
    return all_counts, flat


def decoded_table(
    values: Iterable[Any], count: int, fmt: Any
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """`packed_table` for any other positional format: one `decode_positions` per value."""
    lists = [fmt.decode_positions(v) for v in values]
    counts = np.fromiter(map(len, lists), np.int64, count=count)
    flat = np.fromiter(chain.from_iterable(lists), np.int64, count=int(counts.sum()))
    return counts, flat


def chain_values(blocks: Iterable[Sequence[Any] | None]) -> Iterable[Any]:
    """The values of a term's blocks, one after another."""
    return chain.from_iterable(b for b in blocks if b is not None)
