from __future__ import annotations

import re
from pathlib import Path

from chartroom.errors import all_error_types

ROOT = Path(__file__).resolve().parent.parent


def test_exit_codes_are_unique_and_not_reserved() -> None:
    codes = [cls.exit_code for cls in all_error_types()]
    assert len(codes) == len(set(codes))
    assert all(0 < c < 126 and c != 2 for c in codes)


def test_every_error_has_a_hint_except_bases() -> None:
    for cls in all_error_types():
        if cls.__subclasses__():
            continue
        assert cls.hint, f"{cls.__name__} says nothing about what to try next"


def test_errors_doc_lists_every_error_with_its_exit_code() -> None:
    doc = (ROOT / "docs" / "errors.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| (\d+) \|", doc, flags=re.M))
    expected = {cls.__name__: str(cls.exit_code) for cls in all_error_types()}
    assert rows == expected
