"""Search the archive: typed page-level hits, escaped highlighted snippets, facets, paging.

    with Search(settings) as search:
        results = search.search('dx:C50 date:2019', page=1, sort="relevance")
        results = search.search("furosemide", restriction=Restriction(patients=frozenset({7})))
        similar = search.more_like_this(document_id)

A restriction (the documents and patients a user may see) is part of the query itself, so the
total and every facet count only what is allowed. Snippets are HTML with every character of the
(untrusted) OCR text escaped and the hit words in <mark>; they start by naming the page. With a
`pages` source (the RecordStore) hits also carry the boxes of the hit words, in original-page
pixels, for the viewer. Importing this module loads no NLP model (no models/, no records/).
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from chartroom.errors import IndexUnavailable, QueryError
from chartroom.settings import Settings
from indexer.index_query import HitTerms, Restriction, marks
from indexer.index_reader import IndexReader, RawHit, RawResults
from indexer.index_schema import CHAPTER_LABELS
from indexer.query import parse
from indexer.search_index import SearchIndex

log = logging.getLogger(__name__)

_OPEN_ATTEMPTS = 3  # opening a reader during another process's commit can fail once

SNIPPET_CHARS = 240
SORTS = ("relevance", "date")
__all__ = ["Hit", "Restriction", "Results", "Search", "WordBox"]


class WordLike(Protocol):
    @property
    def text(self) -> str: ...
    @property
    def left(self) -> int: ...
    @property
    def top(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


class PageLike(Protocol):
    @property
    def number(self) -> int: ...
    @property
    def words(self) -> Sequence[WordLike]: ...


class PageSource(Protocol):
    """Where word boxes come from (RecordStore.document_pages)."""

    def document_pages(self, document_id: int) -> Sequence[PageLike]: ...


@dataclass(frozen=True)
class WordBox:
    text: str
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class PatientRef:
    id: int | None
    mrn: str
    name: str


@dataclass(frozen=True)
class Hit:
    document_id: int
    page: int
    page_count: int
    score: float
    snippet: str  # escaped HTML, hit words in <mark>, starting "Page N of M: "
    patient: PatientRef | None
    document_type: str
    dates: dict[str, list[str]]  # role -> ISO dates
    filed: bool
    low_confidence: bool
    boxes: tuple[WordBox, ...] = ()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "document_id": self.document_id,
            "page": self.page,
            "page_count": self.page_count,
            "score": round(self.score, 4),
            "snippet": self.snippet,
            "patient": None
            if self.patient is None
            else {"id": self.patient.id, "mrn": self.patient.mrn, "name": self.patient.name},
            "document_type": self.document_type,
            "dates": self.dates,
            "filed": self.filed,
            "low_confidence": self.low_confidence,
        }
        if self.boxes:
            out["boxes"] = [vars(b) for b in self.boxes]
        return out


@dataclass(frozen=True)
class Results:
    total: int
    page: int
    page_size: int
    sort: str
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "sort": self.sort,
            "hits": [h.as_json() for h in self.hits],
            "facets": self.facets,
        }


def densest(spans: list[tuple[int, int]], width: int) -> int:
    """Where the first of the most spans starting within `width` characters of it starts
    (spans in order, not overlapping; a sliding window counts them)."""
    best, best_count, ahead = spans[0][0], 0, 0
    for i, (s, _) in enumerate(spans):
        while ahead < len(spans) and spans[ahead][0] < s + width:
            ahead += 1
        if ahead - i > best_count:
            best, best_count = s, ahead - i
    return best


def snippet(text: str, spans: list[tuple[int, int]], page: int, page_count: int) -> str:
    """An escaped HTML fragment of `text` around the densest run of hit spans."""
    start = 0
    if spans:
        best = densest(spans, SNIPPET_CHARS - 40)
        start = max(0, best - 40)
        while start > 0 and not text[start - 1].isspace() and best - start < 60:
            start -= 1
    end = min(len(text), start + SNIPPET_CHARS)
    parts: list[str] = []
    cursor = start
    for s, e in spans:
        if s < start or e > end:
            continue
        parts.append(html.escape(text[cursor:s]))
        parts.append(f"<mark>{html.escape(text[s:e])}</mark>")
        cursor = e
    parts.append(html.escape(text[cursor:end]))
    body = re.sub(r"\s+", " ", "".join(parts)).strip()
    lead = "… " if start > 0 else ""
    tail = " …" if end < len(text) else ""
    return f"Page {page} of {page_count}: {lead}{body}{tail}"


class Search:
    """Searches one index; keeps a point-in-time reader open until `close()` or `refresh()`."""

    def __init__(
        self,
        settings: Settings,
        pages: PageSource | None = None,
        index: SearchIndex | None = None,
    ) -> None:
        self.settings = settings
        self.pages = pages
        self.index = index or SearchIndex.for_settings(settings)
        self._context: Any = None
        self._reader: IndexReader | None = None

    def reader(self) -> IndexReader:
        if self._reader is None:
            # Opening a reader while another process commits can see a table of contents
            # whose old segments are being replaced: retry briefly before calling the index
            # unavailable (measured under load: 1 search in ~700 failed without the retry).
            for attempt in range(_OPEN_ATTEMPTS):
                try:
                    self._context, self._reader = self._open_checked()
                    break
                except IndexUnavailable:
                    if attempt == _OPEN_ATTEMPTS - 1:
                        raise
                    time.sleep(0.05 * (attempt + 1))
        assert self._reader is not None
        return self._reader

    def _open_checked(self) -> tuple[Any, IndexReader]:
        context = self.index.reader()
        reader = context.__enter__()
        try:
            reader.check()
        except BaseException:
            context.__exit__(None, None, None)
            raise
        return context, reader

    def refresh(self) -> None:
        """See the index as it is now (after updates by other processes)."""
        self.close()

    def close(self) -> None:
        if self._context is not None:
            self._context.__exit__(None, None, None)
        self._context = self._reader = None

    def __enter__(self) -> Search:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the API -----------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        page: int = 1,
        sort: str = "relevance",
        restriction: Restriction | None = None,
        boxes: bool = False,
        page_size: int | None = None,
        facets: bool = True,
    ) -> Results:
        """One page of hits for a clerk query (docs/search.md); QueryError when malformed."""
        if sort not in SORTS:
            raise QueryError(f"sort by {' or '.join(SORTS)}")
        if page < 1 or page > 10_000:
            raise QueryError("the page number must be between 1 and 10000")
        size = page_size or self.settings.search_page_size
        node = parse(query, self.settings.search_max_query_chars)
        started = time.perf_counter()
        raw = self.reader().run(
            node,
            restriction=restriction,
            sort=sort,
            offset=(page - 1) * size,
            limit=size,
            facets=facets,
        )
        seconds = time.perf_counter() - started
        log.info("search: %d hit(s) in %.3fs", raw.total, seconds)
        return self._results(raw, page, size, sort, boxes, seconds)

    def more_like_this(
        self,
        document_id: int,
        *,
        restriction: Restriction | None = None,
        limit: int = 10,
        boxes: bool = False,
    ) -> Results:
        """Other documents like this one (their best page each), within the restriction."""
        started = time.perf_counter()
        raw = self.reader().more_like(document_id, restriction=restriction, limit=limit)
        return self._results(raw, 1, limit, "relevance", boxes, time.perf_counter() - started)

    # --- building hits -----------------------------------------------------------------

    def _results(
        self, raw: RawResults, page: int, size: int, sort: str, boxes: bool, seconds: float
    ) -> Results:
        hits = [self._hit(h, raw.terms, boxes) for h in raw.hits]
        facets = dict(raw.facets)
        if "diagnosis_category" in facets:
            facets["diagnosis_category"] = {
                CHAPTER_LABELS.get(k, k): v for k, v in facets["diagnosis_category"].items()
            }
        return Results(raw.total, page, size, sort, hits, facets, seconds)

    def _hit(self, raw: RawHit, terms: HitTerms, boxes: bool) -> Hit:
        stored = raw.stored
        text = str(stored.get("text", ""))
        number, count = int(stored["page"]), int(stored["page_count"])
        dates: dict[str, list[str]] = {}
        for role, value in stored.get("dates", []):
            if value not in dates.setdefault(role, []):
                dates[role].append(value)
        patient = None
        if stored.get("patient_id") or stored.get("mrn"):
            pid = stored.get("patient_id")
            patient = PatientRef(
                int(pid) if pid else None, stored.get("mrn", ""), stored.get("patient_name", "")
            )
        document_id = int(stored["document_id"])
        return Hit(
            document_id=document_id,
            page=number,
            page_count=count,
            score=raw.score,
            snippet=snippet(text, marks(text, terms), number, count),
            patient=patient,
            document_type=str(stored.get("type", "")),
            dates=dates,
            filed=stored.get("filed") == "yes",
            low_confidence=stored.get("low_confidence") == "yes",
            boxes=self._boxes(document_id, number, terms) if boxes else (),
        )

    def _boxes(self, document_id: int, number: int, terms: HitTerms) -> tuple[WordBox, ...]:
        if self.pages is None or not terms:
            return ()
        for page in self.pages.document_pages(document_id):
            if page.number == number:
                return tuple(
                    WordBox(w.text, w.left, w.top, w.width, w.height)
                    for w in page.words
                    if terms.matches_word(w.text)
                )
        return ()
