"""The search page: one box with the query language and filters, sent by POST (no patient data
in URLs or server logs); results with patient, type, dates, the page hit, the escaped highlighted
snippet and a thumbnail; facet counts; paging by POST forms."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from chartroom.errors import IndexUnavailable, QueryError
from indexer.query import DOCUMENT_TYPES
from indexer.search import Results
from webapp.access import permission
from webapp.searching import FILTERS, SearchRequest, page_numbers, run_search

bp = Blueprint("search", __name__)

FACET_LABELS = {
    "document_type": "Document type",
    "year": "Year",
    "filed": "Filed",
    "diagnosis_category": "Diagnosis chapter",
}


def type_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _page(
    form: SearchRequest, results: Results | None, error: str, status: int = 200
) -> tuple[str, int]:
    body = render_template(
        "search/search.html",
        form=form,
        results=results,
        error=error,
        types=DOCUMENT_TYPES,
        type_label=type_label,
        facet_labels=FACET_LABELS,
        pages=page_numbers(results) if results is not None else [],
    )
    return body, status


@bp.get("/search")
@permission("search")
def index() -> tuple[str, int]:
    return _page(SearchRequest(), None, "")


@bp.post("/search")
@permission("search")
def results() -> tuple[str, int]:
    form = SearchRequest()
    try:
        form = SearchRequest.from_mapping(request.form)
        applied = request.form.get("apply", "")
        if ":" in applied:  # a facet button: "type:discharge_summary" or "year:2019"
            name, value = applied.split(":", 1)
            if name == "type" and value in DOCUMENT_TYPES:
                form = form.with_filter("type", value)
            elif name == "year" and value.isdigit() and len(value) == 4:
                form = form.with_filter("date_from", f"{value}-01-01")
                form = form.with_filter("date_to", f"{value}-12-31")
        for name in FILTERS:
            if request.form.get(f"clear_{name}"):
                form = form.with_filter(name, "")
        if form.empty:
            return _page(form, None, "Type something to search for, or choose a filter.", 400)
        return _page(form, run_search(form), "")
    except QueryError as exc:
        return _page(form, None, exc.message, 400)
    except IndexUnavailable:
        return _page(
            form,
            None,
            "The search index is being rebuilt or needs a rebuild; "
            "ask an administrator to run `chartroom reindex`.",
            503,
        )
