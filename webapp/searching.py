"""A search request (query + filters + paging) as the search page and the API take it, run
inside the signed-in user's scope and audited before any hit is returned.

Filters are turned into the clerk query language (indexer/query.py) and AND-ed with the query, so
the index applies them together with the user's restriction: totals and facets only count what
the user may see. Nothing here logs the query or the filters (they may name patients).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from chartroom.errors import QueryError
from indexer.query import CODE, DOCUMENT_TYPES
from indexer.search import SORTS, Results
from webapp.access import visible_scope
from webapp.audit import audit
from webapp.stores import get_index

FILTERS = ("patient", "type", "date_from", "date_to", "diagnosis")
MAX_FILTER_CHARS = 200
MAX_PAGE = 10_000
_UNSAFE = re.compile(r'["\x00-\x1f\x7f]')


def _clean(value: Any) -> str:
    text = value if isinstance(value, str) else ("" if value is None else str(value))
    return _UNSAFE.sub(" ", text).strip()[:MAX_FILTER_CHARS]


def _iso(value: str, label: str) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise QueryError(f"the {label} date must be a date like 2019-03-11") from None


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    patient: str = ""
    type: str = ""
    date_from: str = ""
    date_to: str = ""
    diagnosis: str = ""
    page: int = 1
    sort: str = "relevance"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SearchRequest:
        """From a POSTed form or a JSON body; QueryError when a value is malformed."""
        raw_page = data.get("page", 1)
        try:
            page = int(raw_page or 1)
        except (TypeError, ValueError):
            raise QueryError("the page number must be a whole number") from None
        if not 1 <= page <= MAX_PAGE:
            raise QueryError(f"the page number must be between 1 and {MAX_PAGE}")
        sort = str(data.get("sort") or "relevance")
        if sort not in SORTS:
            raise QueryError(f"sort by {' or '.join(SORTS)}")
        doc_type = _clean(data.get("type"))
        if doc_type and doc_type not in DOCUMENT_TYPES:
            raise QueryError("choose a document type from the list")
        query = data.get("query") or ""
        if not isinstance(query, str):
            raise QueryError("the query must be text")
        return cls(
            query=query.strip(),
            patient=_clean(data.get("patient")),
            type=doc_type,
            date_from=_iso(_clean(data.get("date_from")), "from"),
            date_to=_iso(_clean(data.get("date_to")), "to"),
            diagnosis=_clean(data.get("diagnosis")),
            page=page,
            sort=sort,
        )

    def with_page(self, page: int) -> SearchRequest:
        return replace(self, page=page)

    def with_filter(self, name: str, value: str) -> SearchRequest:
        if name not in FILTERS:
            raise QueryError("unknown filter")
        return replace(self, **{name: _clean(value)}, page=1)

    @property
    def empty(self) -> bool:
        return not self.query and not self.filters_used()

    def filters_used(self) -> list[str]:
        return [name for name in FILTERS if getattr(self, name)]

    def compose(self) -> str:
        """The whole query in the clerk query language (QueryError when nothing is asked)."""
        parts: list[str] = []
        if self.query:
            parts.append(f"({self.query})")
        if self.patient:
            parts.append(f'patient:"{self.patient}"')
        if self.type:
            parts.append(f"type:{self.type}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError("the 'from' date is after the 'to' date")
        if self.date_from or self.date_to:
            parts.append(f"date:{self.date_from}..{self.date_to}")
        if self.diagnosis:
            code = self.diagnosis.upper()
            parts.append(f"dx:{code}" if CODE.match(code) else f'dx:"{self.diagnosis}"')
        if not parts:
            raise QueryError("type something to search for, or choose a filter")
        return " ".join(parts)

    def as_form(self) -> dict[str, str]:
        """Hidden fields that repeat this search (paging and facet buttons)."""
        return {f.name: str(getattr(self, f.name)) for f in fields(self) if f.name != "page"}


def run_search(request: SearchRequest, *, page_size: int | None = None) -> Results:
    """One page of results within the signed-in user's scope; audited before it is returned."""
    query = request.compose()
    scope = visible_scope()
    results = get_index().search(
        query,
        page=request.page,
        sort=request.sort,
        restriction=scope.restriction,
        page_size=page_size,
    )
    audit(
        "search",
        detail={
            "total": results.total,
            "page": request.page,
            "filters": request.filters_used(),
            "document_ids": sorted({h.document_id for h in results.hits}),
        },
    )
    return results


def page_numbers(results: Results, around: int = 3) -> list[int]:
    """Result page numbers to offer: the first, the last and a few around the current one."""
    last = max(1, -(-results.total // max(1, results.page_size)))
    last = min(last, MAX_PAGE)
    shown = {1, last, *range(max(1, results.page - around), min(last, results.page + around) + 1)}
    return sorted(shown)
