"""models.sections: header look-up details not covered through the diagnosis tests."""

from __future__ import annotations

import random
import re

from models.sections import _INLINE, find_headers


def test_inline_header_pattern_same_as_the_look_behind_form() -> None:
    """_INLINE matches the ".,;" before a header (for speed); the headers found are the same."""
    behind = re.compile(r"(?<=[.,;])[ \t]*(?P<h>[A-Z][A-Z0-9 /&'()\-]{1,60}?)[ \t]*:")
    rng = random.Random(13)
    pieces = [".", ",", ";", ":", " ", "\t", "\n", "A", "PLAN", "ASSESSMENT", "x", "(", "-", "1"]
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 25)))
        got = [(m.start("h"), m.end(), m.group("h")) for m in _INLINE.finditer(text)]
        assert got == [(m.start("h"), m.end(), m.group("h")) for m in behind.finditer(text)]


def test_inline_headers_found() -> None:
    text = "Doing well.,ASSESSMENT: ,Stable.,PLAN: ,Continue."
    assert [text[h.start : h.end] for h in find_headers(text)] == ["ASSESSMENT:", "PLAN:"]
