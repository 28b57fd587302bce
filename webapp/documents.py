"""The document viewer: a page image with search hits and extracted diagnoses/dates drawn as
boxes (SVG rectangles over the image, no inline style), the OCR text beside it, the findings,
low-confidence pages flagged, and downloads of the searchable PDF and the original pages.

Every document id is checked against the signed-in user's scope first: a document they may not
see is answered 404 and audited as "denied". Every view and download is audited before the data
is returned.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, render_template, request, send_file
from werkzeug.wrappers import Response

from chartroom.errors import IndexUnavailable, QueryError
from indexer.search import Restriction
from records import charts
from records.charts import DocumentInfo
from records.types import StoredPage
from webapp import page_files
from webapp.access import current_user, deny, permission, require_document, visible_scope
from webapp.audit import audit
from webapp.search_views import type_label
from webapp.stores import get_index, get_settings, get_store
from webapp.viewer import Box, finding_boxes, hit_boxes, marked_text

bp = Blueprint("documents", __name__)

MAX_HIGHLIGHT_PAGES = 500


def load_document(document_id: int) -> DocumentInfo:
    """The document if the signed-in user may see it; else an audited 404."""
    require_document(document_id)
    info = charts.get_document(get_store(), document_id)
    if info is None:
        deny(document_id=document_id)
    return info


def _page_of(doc: DocumentInfo, pages: list[StoredPage], number: int | None) -> StoredPage:
    if number is None:
        return pages[0]
    for page in pages:
        if page.number == number:
            return page
    abort(404)


def _hits(
    doc: DocumentInfo, query: str, number: int
) -> tuple[list[tuple[int, int, int, int]], list[str], str]:
    """Boxes and words of the query's hits on one page of `doc` (already checked visible)."""
    try:
        results = get_index().search(
            query,
            restriction=Restriction(documents=frozenset({doc.id})),
            boxes=True,
            page_size=MAX_HIGHLIGHT_PAGES,
            facets=False,
        )
    except QueryError as exc:
        return [], [], exc.message
    except IndexUnavailable:
        return [], [], "The search index is unavailable, so hits are not highlighted."
    for hit in results.hits:
        if hit.document_id == doc.id and hit.page == number:
            rects = [(b.left, b.top, b.width, b.height) for b in hit.boxes]
            return rects, [b.text for b in hit.boxes], ""
    return [], [], ""


def _render(doc: DocumentInfo, number: int | None, query: str = "") -> str:
    store = get_store()
    pages = store.document_pages(doc.id)
    page = _page_of(doc, pages, number)
    findings = store.document_findings(doc.id)
    rects: list[tuple[int, int, int, int]] = []
    words: list[str] = []
    notice = ""
    if query:
        rects, words, notice = _hits(doc, query, page.number)
    boxes: list[Box] = [*hit_boxes(page, rects), *finding_boxes(page, findings)]
    patient = store.patient(doc.patient_id) if doc.patient_id is not None else None
    if patient is not None and not visible_scope().allows_patient(patient.id or 0):
        patient = None
    audit(
        "document.view",
        document_id=doc.id,
        patient_id=doc.patient_id,
        detail={"page": page.number, "highlight": bool(query)},
    )
    user = current_user()
    return render_template(
        "documents/view.html",
        doc=doc,
        patient=patient,
        pages=pages,
        page=page,
        boxes=boxes,
        text=marked_text(page.text, words),
        hits=len(rects),
        notice=notice,
        query=query,
        diagnoses=[f for f in findings if f.kind == "diagnosis"],
        dates=[f for f in findings if f.kind == "date"],
        type_label=type_label,
        can_refile=user.can("refile"),
        can_split=user.can("split_merge"),
        can_file=user.can("file"),
    )


@bp.get("/documents/<int:document_id>")
@permission("view")
def view(document_id: int) -> str:
    doc = load_document(document_id)
    return _render(doc, request.args.get("page", type=int))


@bp.post("/documents/<int:document_id>")
@permission("view")
def highlight(document_id: int) -> str:
    """The viewer with a search's hits drawn (the query comes by POST: never in the URL)."""
    doc = load_document(document_id)
    query = request.form.get("q", "")[: get_settings().search_max_query_chars]
    return _render(doc, request.form.get("page", type=int), query.strip())


def serve_page_image(document_id: int, number: int, thumb: bool) -> Response:
    doc = load_document(document_id)
    if number not in doc.page_numbers:
        abort(404)
    path = page_files.page_image(get_store(), get_settings(), doc, number, thumb=thumb)
    audit(
        "page.view",
        document_id=doc.id,
        patient_id=doc.patient_id,
        detail={"page": number, "thumbnail": thumb},
    )
    return send_file(path, mimetype="image/jpeg", max_age=0)


@bp.get("/documents/<int:document_id>/pages/<int:number>/image")
@permission("view")
def page_image(document_id: int, number: int) -> Response:
    return serve_page_image(document_id, number, thumb=False)


@bp.get("/documents/<int:document_id>/pages/<int:number>/thumbnail")
@permission("view")
def thumbnail(document_id: int, number: int) -> Response:
    return serve_page_image(document_id, number, thumb=True)


def attachment(path: Path, mimetype: str, name: str) -> Response:
    """A download: attachment with a generated name (never the stored source name)."""
    response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/documents/<int:document_id>/download/pdf")
@permission("view")
def download_pdf(document_id: int) -> Response:
    doc = load_document(document_id)
    path = page_files.searchable_pdf(get_store(), get_settings(), doc)
    audit("download.pdf", document_id=doc.id, patient_id=doc.patient_id)
    return attachment(path, "application/pdf", f"chartroom-document-{doc.id}.pdf")


@bp.get("/documents/<int:document_id>/download/original")
@permission("view")
def download_original(document_id: int) -> Response:
    doc = load_document(document_id)
    path, mimetype, ext = page_files.original(get_store(), doc)
    audit("download.original", document_id=doc.id, patient_id=doc.patient_id)
    return attachment(path, mimetype, f"chartroom-document-{doc.id}-original.{ext}")
