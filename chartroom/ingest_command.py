"""`chartroom watch`, `chartroom ingest`, `chartroom check` and `chartroom patients import`.

One line per input file on stdout (JSON Lines with `--json`); paths are printed only here, on the
user's own terminal, with undecodable bytes shown as backslash escapes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from chartroom.errors import ChartroomError, CheckFailed, all_error_types
from chartroom.settings import Settings
from indexer.bulk import Missing, run_bulk
from indexer.check import audit_lines, check_audit, check_index, check_store
from indexer.folders import display
from indexer.ingest import Done
from indexer.intake import WatchService, stop_on_signals
from indexer.lock import IntakeLock
from indexer.search_index import SearchIndex
from records.access import AccessStore
from records.patients_import import import_patients
from records.store import RecordStore
from records.types import Outcome

_EXIT_CODES = {cls.__name__: cls.exit_code for cls in all_error_types()}


class Reporter:
    """Turns outcomes into lines and remembers the exit code (first failure wins)."""

    def __init__(self, store: RecordStore, as_json: bool) -> None:
        self.store = store
        self.as_json = as_json
        self.exit_code = 0
        self._mrns: dict[int, str | None] = {}

    def line(self, done: Done | Missing) -> str:
        if isinstance(done, Missing):
            self._note(done.error.exit_code)
            reason = f"{done.error.type_name}: {done.error}"
            return self._emit(done.path, "failed", reason=reason)
        source = done.item.path
        result = done.result
        if result is None:
            assert done.error is not None
            self._note(done.error.exit_code)
            return self._emit(source, "deferred", error=done.error)
        if result.outcome == Outcome.FAILED:
            self._note(_EXIT_CODES.get(result.reason.partition(":")[0], 1))
        if done.error is not None:  # recorded, but could not be moved out of the inbox
            self._note(done.error.exit_code)
        patients = [self._mrn(pid) for pid in result.patient_ids]
        return self._emit(
            source,
            str(result.outcome),
            ids=list(result.document_ids),
            patients=patients,
            reason=result.reason,
            resumed=done.resumed,
            error=done.error,
        )

    def _note(self, code: int) -> None:
        if self.exit_code == 0:
            self.exit_code = code

    def _mrn(self, patient_id: int | None) -> str | None:
        if patient_id is None:
            return None
        if patient_id not in self._mrns:
            record = self.store.patient(patient_id)
            self._mrns[patient_id] = record.mrn if record else None
        return self._mrns[patient_id]

    def _emit(
        self,
        source: Path,
        outcome: str,
        *,
        ids: list[int] | None = None,
        patients: list[str | None] | None = None,
        reason: str = "",
        resumed: bool = False,
        error: ChartroomError | None = None,
    ) -> str:
        ids = ids or []
        patients = patients or []
        first_patient = next((p for p in patients if p), None)
        if self.as_json:
            data: dict[str, object] = {
                "source": display(source),
                "outcome": outcome,
                "document_id": ids[0] if ids else None,
                "document_ids": ids,
                "patient": first_patient,
                "patients": patients,
                "resumed": resumed,
            }
            if outcome == "failed":
                data["reason"] = reason
            if error is not None:
                data["error"] = error.as_json()
            return json.dumps(data, ensure_ascii=False)
        return f"{display(source)}: {_describe(outcome, ids, patients, reason, resumed, error)}"


def _describe(
    outcome: str,
    ids: list[int],
    patients: list[str | None],
    reason: str,
    resumed: bool,
    error: ChartroomError | None,
) -> str:
    if outcome == "deferred":
        assert error is not None
        return f"NOT TAKEN {error.type_name}: {error} (left in place; run again)"
    if outcome == "failed":
        text = f"FAILED {reason}"
    else:
        docs = ", ".join(
            f"{i} ({'MRN ' + p if p else 'unfiled'})" for i, p in zip(ids, patients, strict=False)
        )
        label = "stored as" if outcome == "stored" else "duplicate of"
        text = f"{label} document{'s' if len(ids) != 1 else ''} {docs}"
    if resumed:
        text += " [recorded by an earlier run]"
    if error is not None:
        text += f"; NOT MOVED {error.type_name}: {error}"
    return text


# --- commands ----------------------------------------------------------------------------


def _upgrade_index(settings: Settings, store: RecordStore) -> None:
    """After an upgrade that changed the index schema: rebuild it before taking new files."""
    from indexer.reindex import rebuild_if_outdated

    report = rebuild_if_outdated(settings, store)
    if report is not None:
        print(
            f"chartroom: the search index was rebuilt for this version's index schema "
            f"({report.documents} documents, {report.pages} pages in {report.seconds:.1f}s)",
            file=sys.stderr,
        )


def run_watch(args: argparse.Namespace, settings: Settings) -> int:
    with IntakeLock(settings), RecordStore(settings) as store:
        _upgrade_index(settings, store)
        reporter = Reporter(store, args.json)

        def report(done: Done) -> None:
            print(reporter.line(done), flush=True)

        service = WatchService(
            settings,
            store,
            store.blobs,
            args.directory,
            poll=args.poll,
            once=args.once,
            report=report,
        )
        with stop_on_signals(service):
            service.run()
        return reporter.exit_code if args.once else 0


def run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    with IntakeLock(settings), RecordStore(settings) as store:
        _upgrade_index(settings, store)
        reporter = Reporter(store, args.json)
        with _stop_flag() as stopped:
            run_bulk(
                settings,
                store,
                store.blobs,
                args.paths,
                reporter.line,
                progress=not args.no_progress,
                stop=lambda: stopped[0],
            )
        if stopped[0]:
            print("chartroom: interrupted; run the same command again to resume", file=sys.stderr)
            return 130
        return reporter.exit_code


@contextmanager
def _stop_flag() -> Iterator[list[bool]]:
    """First Ctrl-C/SIGTERM: finish the files in progress, take no more. Second: abandon."""
    owner = os.getpid()
    flag = [False]

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if os.getpid() != owner:
            return
        if flag[0]:
            raise KeyboardInterrupt
        flag[0] = True

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    with RecordStore(settings) as store:
        report = check_store(store, store.blobs)
        index = check_index(store, SearchIndex.for_settings(settings))
    access = AccessStore(settings)
    try:
        audit_rows, audit_problems = check_audit(access)
    finally:
        access.close()
    ok = report.ok(args.strict) and index.ok() and not audit_problems
    if args.json:
        audit_json = {"rows": audit_rows, "problems": audit_problems}
        print(
            json.dumps(
                {
                    **report.as_json(args.strict),
                    "ok": ok,
                    "index": index.as_json(),
                    "audit": audit_json,
                }
            )
        )
    else:
        lines = report.lines(args.strict)
        audit = audit_lines(audit_rows, audit_problems)
        print("\n".join([*lines[:-1], *index.lines(), *audit, "ok" if ok else "FAILED"]))
    if not ok:
        failure = CheckFailed("the database, the stored files and the search index disagree")
        if not args.json:
            print(f"chartroom: {failure.type_name}: {failure}", file=sys.stderr)
        return failure.exit_code
    return 0


def run_patients_import(args: argparse.Namespace, settings: Settings) -> int:
    path: Path = args.file
    with RecordStore(settings) as store:
        summary = import_patients(store, path)
    counts = {
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "rejected": len(summary.rejected),
    }
    if args.json:
        print(json.dumps({**counts, "rejections": list(summary.rejected)}))
    else:
        print(", ".join(f"{v} {k}" for k, v in counts.items()))
        for line in summary.rejected:
            print(f"  rejected {line}", file=sys.stderr)
    return 0
