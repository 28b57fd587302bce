"""`chartroom search` and `chartroom reindex`.

`search` reads only the index (no NLP model, no database) unless `--boxes` asks for the word
boxes, which come from the system of record. Output goes to the user's own terminal only.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys

from chartroom.errors import UsageError
from chartroom.settings import Settings
from indexer.search import Results, Search


def _plain(snippet: str) -> str:
    """The HTML snippet for a terminal: hit words in [brackets], entities decoded."""
    return html.unescape(re.sub(r"</?mark>", lambda m: "]" if "/" in m.group(0) else "[", snippet))


def _print_results(results: Results) -> None:
    first = (results.page - 1) * results.page_size + 1
    last = first + len(results.hits) - 1
    if not results.hits:
        print(f"{results.total} hits" + (" (past the last page)" if results.total else ""))
    else:
        print(f"{results.total} hits; {first}-{last} by {results.sort}")
    for hit in results.hits:
        who = f"MRN {hit.patient.mrn} {hit.patient.name}" if hit.patient else "unfiled"
        when = ", ".join(
            f"{role} {'/'.join(v)}" for role, v in hit.dates.items() if role != "birth"
        )
        print(f"\ndocument {hit.document_id} page {hit.page}  {hit.document_type}  {who}")
        if when:
            print(f"  {when}")
        print(f"  {_plain(hit.snippet)}")
    for name, counts in results.facets.items():
        if counts:
            shown = ", ".join(f"{k} {v}" for k, v in list(counts.items())[:8])
            print(f"\n{name}: {shown}", end="")
    print()


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    query = " ".join(args.query).strip()
    if args.like is None and not query:
        raise UsageError("give a QUERY, or --like DOCUMENT_ID")
    if args.like is not None and query:
        raise UsageError("give a QUERY or --like DOCUMENT_ID, not both")
    store = None
    if args.boxes:
        from records.store import RecordStore  # the database only when boxes are asked for

        store = RecordStore(settings)
    try:
        with Search(settings, pages=store) as search:
            if args.like is not None:
                results = search.more_like_this(args.like, boxes=args.boxes)
            else:
                results = search.search(query, page=args.page, sort=args.sort, boxes=args.boxes)
    finally:
        if store is not None:
            store.close()
    if args.json:
        print(json.dumps(results.as_json(), ensure_ascii=False))
    else:
        _print_results(results)
    return 0


def run_reindex(args: argparse.Namespace, settings: Settings) -> int:
    from indexer.reindex import apply_journal, reindex
    from records.store import RecordStore

    with RecordStore(settings) as store:
        if args.journal:
            journal = apply_journal(settings, store)
            data: dict[str, object] = {"journal_applied": journal.applied}
            text = (
                f"journal: {journal.applied} change(s) applied to {journal.documents} document(s)"
            )
        else:

            def progress(documents: int, pages: int) -> None:
                if not args.json:
                    print(f"\r{documents} documents, {pages} pages", end="", file=sys.stderr)

            report = reindex(settings, store, progress=progress)
            if not args.json:
                print(file=sys.stderr)
            data = {
                "documents": report.documents,
                "pages": report.pages,
                "resumed_after": report.resumed_after,
                "seconds": round(report.seconds, 2),
                "journal_applied": report.journal.applied,
            }
            resumed = (
                f" (resumed after document {report.resumed_after})" if report.resumed_after else ""
            )
            text = (
                f"index rebuilt: {report.documents} documents, {report.pages} pages"
                f" in {report.seconds:.1f}s{resumed}"
            )
    print(json.dumps(data) if args.json else text)
    return 0
