"""The app's handles on the system of record, the access tables and the search index.

One `RecordStore` and one `AccessStore` per app (SQLAlchemy engines with connection pools:
thread-safe; every call opens its own session). The search facade keeps a point-in-time index
reader, so each request gets its own `Search`, closed when the request ends.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, g, request

from chartroom.settings import Settings
from records.access import AccessStore
from records.store import RecordStore

if TYPE_CHECKING:
    from indexer.search import Search

log = logging.getLogger(__name__)

STORE = "chartroom.store"
ACCESS = "chartroom.access"


def open_stores(app: Flask, settings: Settings) -> None:
    """Open (and migrate) the database once for the app; close the per-request index."""
    store = RecordStore(settings)
    app.extensions[STORE] = store
    app.extensions[ACCESS] = AccessStore(settings)
    app.teardown_appcontext(_close_index)


def close_stores(app: Flask) -> None:
    """Release the database connections (tests; the server exits otherwise)."""
    access = app.extensions.pop(ACCESS, None)
    if access is not None:
        access.close()
    store = app.extensions.pop(STORE, None)
    if store is not None:
        store.close()


def get_settings() -> Settings:
    settings = current_app.config["CHARTROOM_SETTINGS"]
    assert isinstance(settings, Settings)
    return settings


def get_store() -> RecordStore:
    store = current_app.extensions[STORE]
    assert isinstance(store, RecordStore)
    return store


def get_access() -> AccessStore:
    access = current_app.extensions[ACCESS]
    assert isinstance(access, AccessStore)
    return access


def get_index() -> Search:
    """This request's search facade (indexer/search.py), with hit boxes read from the store."""
    from indexer.search import Search

    search: Search | None = g.get("_search")
    if search is None:
        search = Search(get_settings(), pages=get_store())
        g._search = search
    return search


def _close_index(_exc: BaseException | None) -> None:
    search = g.pop("_search", None)
    if search is not None:
        search.close()


# Permissions whose requests change records and so write index-journal rows.
_RECORD_CHANGES = frozenset({"file", "refile", "split_merge", "roster_import", "patients"})


def sync_index_after_change(response: Response) -> Response:
    """after_request: a request that changed records (filing, re-filing, split, merge, roster
    import) wrote journal rows in its transaction; apply them to the search index now so the
    next search sees the change. Read-only requests (search, viewing, sign-in) never wait for
    the index lock. A busy or broken index leaves the rows in the journal."""
    if request.method == "GET" or response.status_code >= 400 or request.endpoint is None:
        return response
    view = current_app.view_functions.get(request.endpoint)
    from webapp.access import ATTRIBUTE

    if getattr(view, ATTRIBUTE, None) in _RECORD_CHANGES:
        from indexer.journal import sync_index

        sync_index(get_settings(), get_store())
    return response
