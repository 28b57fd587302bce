"""The clinical NLP pipeline: normalise, split, find diagnoses and dates, then plain Findings.

One `Extractor` builds its spaCy pipeline once (spacy.blank("en") + chartroom_line_sentencizer +
helper pipes for diagnoses + chartroom_dates) and turns texts into `models.types.Findings` whose
offsets point into the text as given (the normaliser's offset map is applied to every span).

Size limits: a text is normalised whole, then handed to spaCy in chunks of at most
MAX_CHUNK_CHARS characters, cut before a "Header:" line, else at a blank line, a line end or a
space (nlp.max_length is never hit, memory stays flat, and medspaCy's ConText, whose cost grows
faster than linearly with doc length, stays fast). A chunk that starts inside a section does not
know that section (diagnoses there get section "" and no section-based assertion), and a date
label at the very end of a chunk does not reach a date at the start of the next.
Identifiers are read on the whole text; the document type on its first and last TYPE_WINDOW
characters. Texts longer than MAX_TEXT_CHARS are refused with `FileTooLarge`.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import models.sentences  # noqa: F401  (registers chartroom_line_sentencizer)
from chartroom.errors import FileTooLarge
from chartroom.settings import Settings
from models.dates import RawDate, read_dates
from models.doctype import guess_document_type, is_signed
from models.identifiers import find_identifiers
from models.normalize import NormalizedText, normalize
from models.types import (
    Assertion,
    DateMention,
    Diagnosis,
    Findings,
    Identifier,
)

log = logging.getLogger(__name__)

MAX_CHUNK_CHARS = 6_000  # medspaCy ConText slows down super-linearly on longer docs
MAX_TEXT_CHARS = 50_000_000
TYPE_WINDOW = 20_000
BATCH_SIZE = 32
_HEADER_BREAK = re.compile(r"\n(?=[ \t]*[A-Z][A-Za-z /&]{2,40}:)")
_NOISY_LOGGERS = ("spacy", "medspacy", "PyRuSH", "pyrush")


def silence_noisy_loggers() -> None:
    """medspaCy and PyRuSH log tokens (patient text) through loguru at DEBUG: switch them off."""
    try:
        from loguru import logger
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        pass
    else:
        for name in ("medspacy", "PyRuSH"):
            logger.disable(name)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def _diagnosis_module() -> Any | None:
    """helper-5's models.diagnoses, or None while it is not there."""
    try:
        return importlib.import_module("models.diagnoses")
    except ModuleNotFoundError as exc:
        if exc.name != "models.diagnoses":
            raise
        return None


def build_nlp(settings: Settings, *, diagnoses: bool = True) -> Language:
    silence_noisy_loggers()
    import models.dates  # noqa: F401  (registers chartroom_dates)

    nlp = spacy.blank("en")
    nlp.max_length = MAX_CHUNK_CHARS + 1_000
    nlp.add_pipe("chartroom_line_sentencizer")
    if diagnoses:
        module = _diagnosis_module()
        if module is None:
            raise ModuleNotFoundError("models.diagnoses is not installed")
        module.add_diagnosis_pipes(nlp, settings)
    nlp.add_pipe("chartroom_dates")
    return nlp


def split_chunks(text: str, limit: int = MAX_CHUNK_CHARS) -> list[tuple[int, str]]:
    """(offset, chunk) pieces of at most `limit` characters, cut at natural boundaries."""
    if len(text) <= limit:
        return [(0, text)]
    chunks: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + limit)
        if end < len(text):
            headers = list(_HEADER_BREAK.finditer(text, pos + limit // 2, end))
            if headers:
                end = headers[-1].end()
            else:
                for sep in ("\n\n", "\n", " "):
                    cut = text.rfind(sep, pos + limit // 2, end)
                    if cut != -1:
                        end = cut + len(sep)
                        break
        chunks.append((pos, text[pos:end]))
        pos = end
    return chunks


@dataclass
class _Job:
    original: str
    norm: NormalizedText
    chunks: list[tuple[int, str]]
    dates: list[RawDate] = field(default_factory=list)
    diagnoses: list[tuple[int, Any]] = field(default_factory=list)
    seen: int = 0


class Extractor:
    """Turns note text into Findings. Build once (start-up ~1-2 s), reuse for many texts."""

    def __init__(self, settings: Settings | None = None, *, diagnoses: bool | None = None) -> None:
        self.settings = settings or Settings()
        module = _diagnosis_module() if diagnoses is not False else None
        if diagnoses and module is None:
            raise ModuleNotFoundError("models.diagnoses is not installed")
        self._diagnoses = module
        self._release: str = ""
        if module is not None:
            self._release = importlib.import_module("models.terminology").ICD10CM_RELEASE
        self.nlp = build_nlp(self.settings, diagnoses=module is not None)

    @property
    def finds_diagnoses(self) -> bool:
        return self._diagnoses is not None

    def extract(self, text: str) -> Findings:
        return next(self.extract_many([text]))

    def extract_many(self, texts: Iterable[str]) -> Iterator[Findings]:
        """Findings for each text, in order; chunks of all texts go through one nlp.pipe."""

        def feed() -> Iterator[tuple[str, tuple[_Job, int]]]:
            for text in texts:
                job = self._prepare(text)
                for offset, chunk in job.chunks:
                    yield chunk, (job, offset)

        for doc, (job, offset) in self.nlp.pipe(feed(), as_tuples=True, batch_size=BATCH_SIZE):
            self._collect(job, doc, offset)
            job.seen += 1
            if job.seen == len(job.chunks):
                yield self._finish(job)

    def _prepare(self, text: str) -> _Job:
        if not isinstance(text, str):
            raise TypeError(f"extract() takes text (str), not {type(text).__name__}")
        if len(text) > MAX_TEXT_CHARS:
            raise FileTooLarge(
                f"the recognised text has {len(text):,} characters, more than the "
                f"{MAX_TEXT_CHARS:,} the clinical NLP step reads",
                hint="Split the document into smaller files",
            )
        norm = normalize(text)
        return _Job(text, norm, split_chunks(norm.text))

    def _collect(self, job: _Job, doc: Doc, offset: int) -> None:
        for d in read_dates(doc):
            job.dates.append(RawDate(d.start + offset, d.end + offset, d.value, d.role))
        if self._diagnoses is not None:
            job.diagnoses.extend((offset, raw) for raw in self._diagnoses.read_diagnoses(doc))

    def _finish(self, job: _Job) -> Findings:
        text, norm = job.original, job.norm
        diagnoses: list[Diagnosis] = []
        for offset, raw in job.diagnoses:
            s, e = norm.to_original(raw.start + offset, raw.end + offset)
            diagnoses.append(
                Diagnosis(
                    text=text[s:e],
                    start=s,
                    end=e,
                    code=raw.code,
                    description=raw.description,
                    assertion=Assertion(raw.assertion),
                    section=raw.section,
                    release=self._release,
                    source=raw.source,
                )
            )
        diagnoses.sort(key=lambda d: (d.start, d.end, d.code))
        dates = []
        for d in job.dates:
            s, e = norm.to_original(d.start, d.end)
            dates.append(DateMention(text[s:e], s, e, d.value.isoformat(), d.role))
        identifiers = []
        for i in find_identifiers(norm.text, job.dates, self.settings.mrn_pattern):
            s, e = norm.to_original(i.start, i.end)
            identifiers.append(Identifier(i.kind, i.value, text[s:e], s, e, i.confidence))
        ntext = norm.text
        window = ntext if len(ntext) <= 2 * TYPE_WINDOW else ntext[:TYPE_WINDOW]
        tail = "" if len(ntext) <= 2 * TYPE_WINDOW else ntext[-TYPE_WINDOW:]
        log.debug("extracted %d diagnoses, %d dates", len(diagnoses), len(dates))
        return Findings(
            diagnoses=tuple(diagnoses),
            dates=tuple(dates),
            identifiers=tuple(identifiers),
            document_type=guess_document_type(window),
            signed=is_signed(window) or (bool(tail) and is_signed(tail)),
        )
