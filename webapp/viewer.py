"""What the document viewer draws on a page: boxes around search hits and around the extracted
diagnoses and dates, in the page's own pixel coordinates (the SVG overlay's viewBox), and the
page's OCR text with the hit words marked (escaped first: OCR text is untrusted)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from records.types import StoredFinding, StoredPage
from scanner.types import Word

_EDGE = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class Box:
    kind: str  # "hit", "dx" or "date": the CSS class of the rectangle
    left: int
    top: int
    width: int
    height: int
    label: str  # the rectangle's <title> (autoescaped in the template)


def _norm(text: str) -> str:
    return _EDGE.sub("", text).casefold()


def _span_boxes(words: Sequence[Word], tokens: list[str]) -> list[Word]:
    """The first run of words on the page reading `tokens` (punctuation and case ignored)."""
    if not tokens:
        return []
    normal = [_norm(w.text) for w in words]
    for i in range(len(words) - len(tokens) + 1):
        if all(normal[i + k] == tokens[k] for k in range(len(tokens))):
            return list(words[i : i + len(tokens)])
    return []


def _union(words: Iterable[Word]) -> tuple[int, int, int, int] | None:
    items = list(words)
    if not items:
        return None
    left = min(w.left for w in items)
    top = min(w.top for w in items)
    right = max(w.left + w.width for w in items)
    bottom = max(w.top + w.height for w in items)
    return left, top, right - left, bottom - top


def finding_boxes(page: StoredPage, findings: Iterable[StoredFinding]) -> list[Box]:
    """Boxes around the diagnoses and dates found on this page (one per line they span)."""
    out: list[Box] = []
    for finding in findings:
        if finding.page != page.number or finding.kind not in ("diagnosis", "date"):
            continue
        tokens = [t for t in (_norm(x) for x in finding.text.split()) if t]
        run = _span_boxes(page.words, tokens)
        if finding.kind == "diagnosis":
            kind = "dx"
            label = f"Diagnosis {finding.code} ({finding.assertion}): {finding.description}"
        else:
            kind, label = "date", f"Date ({finding.role}): {finding.value}"
        lines: dict[tuple[int, int], list[Word]] = {}
        for word in run:
            lines.setdefault((word.block, word.line), []).append(word)
        for words in lines.values():
            rect = _union(words)
            if rect:
                out.append(Box(kind, *rect, label))
    return out


def hit_boxes(page: StoredPage, hit_words: Iterable[tuple[int, int, int, int]]) -> list[Box]:
    """Boxes of the search's hit words on this page (left, top, width, height)."""
    return [Box("hit", x, y, w, h, "Search hit") for x, y, w, h in hit_words]


def marked_text(text: str, words: Iterable[str]) -> Markup:
    """The OCR text, escaped, with each whole word in `words` wrapped in <mark>."""
    wanted = sorted({_norm(w) for w in words if _norm(w)}, key=len, reverse=True)
    if not wanted:
        return escape(text)
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(w) for w in wanted) + r")(?!\w)", re.IGNORECASE
    )
    parts: list[Markup] = []
    cursor = 0
    for match in pattern.finditer(text):
        parts.append(escape(text[cursor : match.start()]))
        parts.append(Markup("<mark>%s</mark>") % match.group(0))
        cursor = match.end()
    parts.append(escape(text[cursor:]))
    return Markup("").join(parts)
