"""Clinical NLP: diagnoses (ICD-10-CM), dates, identifiers, document type and signature.

Public surface:

- `Extractor(settings)`: builds the spaCy pipeline once; `.extract(text)` and `.extract_many(texts)`
  return `models.types.Findings` with offsets into each text as given.
- `extract(text)`: the same through a cached default `Extractor`.
- `findings_as_json(findings)`: the stable JSON shape used by the CLI, the index and the web app.

No spaCy object leaves this package. spaCy and medspaCy are imported only when an `Extractor` is
first used (`models.Extractor` is resolved lazily), so `import models.types` stays cheap for
records/ and indexer/.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from models.types import Findings

if TYPE_CHECKING:
    from models.pipeline import Extractor

__all__ = ["Extractor", "extract", "findings_as_json"]


def __getattr__(name: str) -> Any:
    if name == "Extractor":
        from models.pipeline import Extractor

        return Extractor
    raise AttributeError(f"module 'models' has no attribute {name!r}")


@lru_cache(maxsize=1)
def _default_extractor() -> Extractor:
    from models.pipeline import Extractor

    return Extractor()


def extract(text: str) -> Findings:
    """Findings of one text, using a default `Extractor` built on first use."""
    return _default_extractor().extract(text)


def findings_as_json(f: Findings) -> dict[str, Any]:
    """Findings as plain JSON-ready data (stable keys; enums as their string values)."""
    return {
        "diagnoses": [
            {
                "text": d.text,
                "start": d.start,
                "end": d.end,
                "code": d.code,
                "description": d.description,
                "assertion": str(d.assertion),
                "section": d.section,
                "release": d.release,
                "source": d.source,
            }
            for d in f.diagnoses
        ],
        "dates": [
            {"text": d.text, "start": d.start, "end": d.end, "value": d.value, "role": str(d.role)}
            for d in f.dates
        ],
        "identifiers": [
            {
                "kind": i.kind,
                "value": i.value,
                "text": i.text,
                "start": i.start,
                "end": i.end,
                "confidence": i.confidence,
            }
            for i in f.identifiers
        ],
        "document_type": {
            "type": str(f.document_type.type),
            "confidence": f.document_type.confidence,
        },
        "signed": f.signed,
    }
