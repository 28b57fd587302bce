"""The clinical NLP pipeline: normalise, split, find diagnoses and dates, then plain Findings.

One `Extractor` builds its spaCy pipeline once (spacy.blank("en") with models.tokenizer's caching
English tokenizer + chartroom_line_sentencizer + helper pipes for diagnoses + chartroom_dates) and
turns texts into `models.types.Findings` whose offsets point into the text as given (the
normaliser's offset map is applied to every span). Each piece's text is kept in its doc's
user_data (models.tokenizer.TEXT_KEY) so components need not rebuild it from the tokens.

Sections and size: section headers are found on the whole normalised text first (models.sections,
a line-anchored regex), then the text is cut into pieces that never span two sections and hold at
most MAX_CHUNK_CHARS characters (a long section is cut at a blank line, a line end, a sentence end
or a space). Each piece goes through spaCy knowing the section it starts in, so a piece cut from
the middle of a Past Medical History keeps its section and its historical assertion. Small
neighbouring sections are packed into one piece (up to MAX_CHUNK_CHARS) to keep the number of docs
low; section headers inside a piece are found again by the section tagger, with the same result
since pieces are cut at line starts. Bounded pieces keep medspaCy's ConText (whose cost grows with
the product of modifiers and targets in a doc) linear in the text length overall, and nlp.max_length
is never hit. A date label at the very end of a piece does not reach a date at the start of the
next. Identifiers are read on the whole text; the document type on its first and last TYPE_WINDOW
characters. Texts longer than MAX_TEXT_CHARS are refused with `FileTooLarge`.
"""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chartroom.errors import FileTooLarge
from chartroom.settings import Settings
from models.dates import RawDate, read_dates
from models.doctype import guess_document_type, is_signed
from models.identifiers import find_identifiers
from models.normalize import NormalizedText, normalize
from models.sections import HEADERS_KEY, INITIAL_SECTION_KEY, Header, SectionMap, find_headers
from models.types import (
    Assertion,
    DateMention,
    Diagnosis,
    Findings,
    Identifier,
)

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

log = logging.getLogger(__name__)

MAX_CHUNK_CHARS = 800  # medspaCy ConText pairs every modifier with every target of a doc
MAX_TEXT_CHARS = 50_000_000
TYPE_WINDOW = 20_000
BATCH_SIZE = 32
_SENTENCE_BREAK = re.compile(r"[.!?][ \t]+(?=[A-Z0-9(])")
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
    """spacy.blank("en") + line sentencizer (+ diagnosis pipes) + dates; spaCy is imported here."""
    import spacy

    import models.sentences  # noqa: F401  (registers chartroom_line_sentencizer)
    from models.dates import register_component
    from models.tokenizer import CONFIG

    silence_noisy_loggers()
    register_component()
    nlp = spacy.blank("en", config=CONFIG)  # English tokenization, its cache working (see there)
    nlp.max_length = 100_000  # pieces are at most MAX_CHUNK_CHARS; this only guards misuse
    nlp.add_pipe("chartroom_line_sentencizer")
    if diagnoses:
        module = _diagnosis_module()
        if module is None:
            raise ModuleNotFoundError("models.diagnoses is not installed")
        module.add_diagnosis_pipes(nlp, settings)
    nlp.add_pipe("chartroom_dates")
    return nlp


def _cut_long(text: str, start: int, end: int, limit: int) -> list[int]:
    """Cut points inside text[start:end] so that no piece exceeds `limit` characters."""
    cuts: list[int] = []
    pos = start
    while end - pos > limit:
        hi = pos + limit
        lo = pos + limit // 2
        cut = -1
        for sep in ("\n\n", "\n"):
            found = text.rfind(sep, lo, hi)
            if found != -1:
                cut = found + len(sep)
                break
        if cut == -1:
            ends = [m.end() for m in _SENTENCE_BREAK.finditer(text, lo, hi)]
            if ends:
                cut = ends[-1]
        if cut == -1:
            found = text.rfind(" ", lo, hi)
            cut = found + 1 if found != -1 else hi
        cuts.append(cut)
        pos = cut
    return cuts


def split_chunks(text: str, limit: int | None = None) -> list[tuple[int, str, str]]:
    """(offset, chunk, section in force at its start) pieces of at most `limit` characters."""
    return [(c.offset, c.text, c.section) for c in _chunks(text, find_headers(text), limit)]


@dataclass(frozen=True)
class _Chunk:
    offset: int
    text: str
    section: str  # in force at its start
    headers: list[Header]  # offsets into the chunk


def _chunks(text: str, headers: list[Header], limit: int | None = None) -> list[_Chunk]:
    """Pieces of at most `limit` characters, never splitting a header from its section.

    Pieces are cut at section headers (a section never shares a piece with part of another) and,
    inside a long section, at natural boundaries; whole small sections are packed together.
    """
    limit = limit or MAX_CHUNK_CHARS
    if not text:
        return [_Chunk(0, text, "", [])]
    # sections as (start, end, category): the preamble, then one per header
    bounds: list[tuple[int, int, str]] = []
    starts = [0] + [h.start for h in headers] + [len(text)]
    categories = [""] + [h.category for h in headers]
    for k in range(len(starts) - 1):
        s, e = starts[k], starts[k + 1]
        if k + 1 < len(starts) - 1:  # cut at the start of the header's line
            line_start = text.rfind("\n", s, e) + 1
            e = line_start if line_start > s else e
            starts[k + 1] = e
        if e > s:
            bounds.append((s, e, categories[k]))
    pieces: list[tuple[int, int, str]] = []
    pack_start, pack_end, pack_section = -1, -1, ""
    for s, e, category in bounds:
        if pack_start >= 0 and e - pack_start <= limit:
            pack_end = e  # pack this whole section with the previous ones
            continue
        if pack_start >= 0:
            pieces.append((pack_start, pack_end, pack_section))
            pack_start = -1
        if e - s <= limit:
            pack_start, pack_end, pack_section = s, e, category
            continue
        pos = s
        for cut in [*_cut_long(text, s, e, limit), e]:
            pieces.append((pos, cut, category))
            pos = cut
    if pack_start >= 0:
        pieces.append((pack_start, pack_end, pack_section))
    chunks: list[_Chunk] = []
    in_force = SectionMap(tuple(h.start for h in headers), tuple(h.category for h in headers))
    k = 0
    for s, e, _ in pieces:
        inside: list[Header] = []
        while k < len(headers) and headers[k].start < e:
            h = headers[k]
            if h.start >= s:
                inside.append(Header(h.start - s, min(h.end, e) - s, h.category))
            k += 1
        chunks.append(_Chunk(s, text[s:e], in_force.at(s), inside))
    return chunks


@dataclass
class _Job:
    original: str
    norm: NormalizedText
    chunks: list[_Chunk]
    dates: list[RawDate] = field(default_factory=list)
    diagnoses: list[tuple[int, Any]] = field(default_factory=list)
    seen: int = 0


# New strings spaCy may accumulate beyond those of a freshly built pipeline before it is
# rebuilt (~0.6 KB each).
VOCAB_LIMIT = 150_000


class Extractor:
    """Turns note text into Findings. Build once (start-up ~1-2 s), reuse for many texts.

    spaCy and medspaCy are imported when the first Extractor is built, not when models is imported.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        diagnoses: bool | None = None,
        vocab_limit: int = VOCAB_LIMIT,
    ) -> None:
        self.settings = settings or Settings()
        self.vocab_limit = vocab_limit
        module = _diagnosis_module() if diagnoses is not False else None
        if diagnoses and module is None:
            raise ModuleNotFoundError("models.diagnoses is not installed")
        self._diagnoses = module
        self._release: str = ""
        if module is not None:
            self._release = importlib.import_module("models.terminology").ICD10CM_RELEASE
        self.nlp = build_nlp(self.settings, diagnoses=module is not None)
        self._built_strings = len(self.nlp.vocab.strings)  # the rules' own strings

    @property
    def finds_diagnoses(self) -> bool:
        return self._diagnoses is not None

    def extract(self, text: str) -> Findings:
        return next(self.extract_many([text]))

    def extract_many(self, texts: Iterable[str]) -> Iterator[Findings]:
        """Findings for each text, in order; chunks of all texts go through one nlp.pipe."""
        from models.tokenizer import TEXT_KEY

        self._bound_vocabulary()
        make_doc = self.nlp.make_doc

        def feed() -> Iterator[tuple[Doc, tuple[_Job, int]]]:
            for text in texts:
                job = self._prepare(text)
                for chunk in job.chunks:
                    doc = make_doc(chunk.text)
                    doc.user_data[TEXT_KEY] = chunk.text
                    doc.user_data[HEADERS_KEY] = chunk.headers
                    if chunk.section:
                        doc.user_data[INITIAL_SECTION_KEY] = chunk.section
                    yield doc, (job, chunk.offset)

        for doc, (job, offset) in self.nlp.pipe(feed(), as_tuples=True, batch_size=BATCH_SIZE):
            self._collect(job, doc, offset)
            job.seen += 1
            if job.seen == len(job.chunks):
                yield self._finish(job)

    def _bound_vocabulary(self) -> None:
        """spaCy keeps every string it has seen (MRNs, numbers, OCR fragments) for the life of
        the pipeline: a long-running intake grew ~23 MB per 1,000 pages. Past `vocab_limit`
        strings more than a fresh pipeline holds, it is built afresh (a few seconds) so memory
        stays bounded."""
        if len(self.nlp.vocab.strings) - self._built_strings > self.vocab_limit:
            log.info("rebuilding the NLP pipeline (%d strings)", len(self.nlp.vocab.strings))
            self.nlp = build_nlp(self.settings, diagnoses=self._diagnoses is not None)

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
        return _Job(text, norm, _chunks(norm.text, find_headers(norm.text)))

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
