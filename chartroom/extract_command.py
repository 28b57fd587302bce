"""`chartroom extract`: findings (diagnoses, dates, identifiers, type) for text files."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from chartroom.errors import ChartroomError, InputError, InputNotFound
from chartroom.settings import Settings


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.buffer.read().decode("utf-8", errors="replace")
    path = Path(name)
    try:
        return path.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError as exc:
        raise InputNotFound("The text file does not exist") from exc
    except OSError as exc:
        raise InputError(f"The text file could not be read ({type(exc).__name__})") from exc


def run_extract(args: argparse.Namespace, settings: Settings) -> int:
    from models import Extractor, findings_as_json

    names: list[str] = args.files or ["-"]
    extractor = Extractor(settings)  # start-up paid once for all files
    exit_code = 0
    many = len(names) > 1

    def texts() -> Iterator[tuple[str, str | ChartroomError]]:
        for name in names:
            try:
                yield name, _read(name)
            except ChartroomError as exc:
                yield name, exc

    for name, text in texts():
        if isinstance(text, ChartroomError):
            exit_code = exit_code or text.exit_code
            _print_error(name, text, args.json)
            continue
        findings = extractor.extract(text)
        data = findings_as_json(findings)
        if args.json:
            if many:
                data = {"source": name, **data}
            print(json.dumps(data, ensure_ascii=False), flush=True)
        else:
            _print_human(name if many else None, data)
    return exit_code


def _print_error(name: str, exc: ChartroomError, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"source": name, "error": exc.as_json()}), flush=True)
    else:
        print(f"{name}: FAILED {exc.type_name}: {exc}", file=sys.stderr)


def _print_human(name: str | None, data: dict[str, object]) -> None:
    if name:
        print(f"== {name}")
    doctype = data["document_type"]
    assert isinstance(doctype, dict)
    print(f"type: {doctype['type']} ({doctype['confidence']:.2f}); signed: {data['signed']}")
    for ident in _rows(data, "identifiers"):
        print(f"  id   {ident['kind']:<12} {ident['value']}")
    for dx in _rows(data, "diagnoses"):
        print(
            f"  dx   {dx['code']:<8} {dx['assertion']:<12} {dx['text']}  [{dx['section'] or '-'}]"
        )
    for date in _rows(data, "dates"):
        print(f"  date {date['value']}  {date['role']:<10} {date['text']}")


def _rows(data: dict[str, object], key: str) -> list[dict[str, object]]:
    rows = data.get(key, [])
    assert isinstance(rows, list)
    return rows
