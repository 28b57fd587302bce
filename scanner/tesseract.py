"""The one wrapper around the `tesseract` program (through pytesseract).

Every call runs one `tesseract` child process. Facts this module relies on (measured, see
/work/shared/notes/findings.md):

* `OMP_THREAD_LIMIT=1`: Debian's OpenMP build of tesseract is 5-10x slower with its default thread
  count. Setting it here, at import, configures the *child* process (pytesseract hands
  `os.environ` to it); parallelism comes from worker processes instead. `setdefault` keeps a value
  the operator set on purpose.
* Always pass the resolution: without it tesseract guesses (371 dpi once) and drops table columns.
  We write the temporary page image ourselves, as BMP with the dpi in its header (the fastest
  format to write: ~15 ms for a 300 dpi letter page against ~105 ms for pytesseract's PNG), *and*
  pass `--dpi`: in OSD mode (`--psm 0`) tesseract 5.3 ignores `--dpi` and reads only the file's.
* We call pytesseract's `run_and_get_output`, not `image_to_data`: the latter first runs
  `tesseract --version` without a timeout and exits the interpreter (SystemExit) on an output it
  cannot parse.

`pytesseract.pytesseract.tesseract_cmd` is a module global: it is set from `settings` before each
call, so one process uses one tesseract program at a time (workers are processes, not threads).
Nothing here logs OCR text or file names.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar, cast

import cv2
import pytesseract
from PIL import Image

from chartroom.errors import MissingDependency, OcrError, OcrTimeout
from chartroom.settings import Settings
from scanner.types import GrayImage, OcrResult, Word

# Configures the tesseract child processes (see the module docstring), not this process.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

log = logging.getLogger(__name__)

T = TypeVar("T")

INSTALL_HINT = "Install it: apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd"
PAGE_SEGMENTATION = 3  # fully automatic page segmentation, no OSD (orientation is done apart)
_PROBE_TIMEOUT = 15  # seconds for `tesseract --version` / `--list-langs`
_TEMP_FORMAT, _TEMP_SUFFIX = "BMP", ".bmp"  # fastest to write; carries the dpi
_ROTATE = re.compile(r"^Rotate:\s*(\d+)\s*$", re.MULTILINE)
_ORIENT_CONF = re.compile(r"^Orientation confidence:\s*([0-9.]+)\s*$", re.MULTILINE)
_MISSING_LANGUAGE = ("Failed loading language", "couldn't load any languages")


def ocr(image: GrayImage, dpi: int, settings: Settings) -> OcrResult:
    """OCR one page with one tesseract run: words, reading-order text and mean confidence.

    Word boxes are in `image`'s pixel coordinates. `line` numbers are unique within the page
    (1-based, in reading order); `block` is tesseract's block number.
    """
    _check_image(image)
    config = f"-c tessedit_create_tsv=1 --psm {PAGE_SEGMENTATION} --dpi {int(dpi)}"
    start = time.perf_counter()
    tsv = _run(image, dpi, "tsv", settings.ocr_language, config, settings) or ""
    try:
        result = _result_from_tsv(tsv)
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        raise OcrError("tesseract returned output chartroom cannot read") from exc
    log.debug(
        "ocr: %d words, confidence %.1f, %.0f ms",
        len(result.words),
        result.confidence,
        (time.perf_counter() - start) * 1000,
    )
    return result


def detect_orientation(image: GrayImage, dpi: int, settings: Settings) -> tuple[int, float]:
    """Tesseract OSD on a half-scale copy: (clockwise degrees to rotate by to make the page
    upright, confidence). The degrees are 0, 90, 180 or 270; 90 means
    `cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)`: that is OSD's `Rotate:` value as printed
    (checked on pages turned with cv2 in tests/test_tesseract.py). Returns (0, 0.0) when the page
    has too little text to tell.
    """
    _check_image(image)
    half = cast(GrayImage, cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA))
    half_dpi = max(1, round(dpi / 2))
    if min(half.shape) < 16:
        return 0, 0.0
    config = f"--psm 0 --dpi {half_dpi}"
    out = _run(half, half_dpi, "osd", "osd", config, settings, too_few_ok=True)
    if out is None:
        log.debug("orientation: too few characters to tell")
        return 0, 0.0
    rotate = _ROTATE.search(out)
    conf = _ORIENT_CONF.search(out)
    if rotate is None:
        raise OcrError("tesseract returned orientation output chartroom cannot read")
    degrees = int(rotate.group(1)) % 360
    if degrees not in (0, 90, 180, 270):
        raise OcrError("tesseract returned an orientation that is not a multiple of 90 degrees")
    return degrees, float(conf.group(1)) if conf else 0.0


def version(settings: Settings) -> str | None:
    """The tesseract version (e.g. "5.3.0"), or None when the program cannot be run."""
    out = _probe(settings, "--version")
    if out is None:
        return None
    match = re.search(r"tesseract\s+v?(\d+(?:\.\d+)*\S*)", out)
    return match.group(1) if match else None


def languages(settings: Settings) -> list[str]:
    """Language data installed for tesseract (from `tesseract --list-langs`); [] when it
    cannot be run."""
    out = _probe(settings, "--list-langs")
    if out is None:
        return []
    langs: list[str] = []
    for line in out.splitlines():
        line = line.strip()
        if not line or line.startswith("List of available languages") or " " in line:
            continue
        langs.append(line)
    return langs


# --- internals -----------------------------------------------------------------------------


def _check_image(image: GrayImage) -> None:
    if image.ndim != 2 or image.dtype.name != "uint8":
        raise ValueError("expected a 2-D uint8 greyscale image")


def _run(
    image: GrayImage,
    dpi: int,
    extension: str,
    lang: str,
    config: str,
    settings: Settings,
    too_few_ok: bool = False,
) -> str | None:
    """Write `image` with its dpi to a private temp file and run tesseract on it.

    Returns tesseract's output; None when `too_few_ok` and tesseract gave up for lack of text.
    """
    pytesseract.pytesseract.tesseract_cmd = settings.tesseract_cmd
    fd, name = tempfile.mkstemp(prefix="chartroom-ocr-", suffix=_TEMP_SUFFIX)
    os.close(fd)
    path = Path(name)
    try:
        try:
            Image.fromarray(image).save(path, format=_TEMP_FORMAT, dpi=(dpi, dpi))
        except OSError as exc:
            raise OcrError("could not write the temporary page image for tesseract") from exc
        return _translate_errors(
            lambda: str(
                pytesseract.pytesseract.run_and_get_output(
                    str(path), extension, lang, config, 0, settings.ocr_timeout
                )
            ),
            settings,
            lang,
            too_few_ok,
        )
    finally:
        path.unlink(missing_ok=True)


def _translate_errors(
    call: Callable[[], T], settings: Settings, lang: str, too_few_ok: bool
) -> T | None:
    """Run `call`, turning pytesseract's exceptions into chartroom errors (no OCR text)."""
    try:
        return call()
    except pytesseract.TesseractNotFoundError as exc:
        raise MissingDependency(
            "the tesseract program was not found (CHARTROOM_TESSERACT_CMD)", hint=INSTALL_HINT
        ) from exc
    except pytesseract.TesseractError as exc:
        detail = str(exc.message)
        if any(marker in detail for marker in _MISSING_LANGUAGE):
            packages = " ".join(f"tesseract-ocr-{code}" for code in lang.split("+"))
            raise MissingDependency(
                f"tesseract has no language data for '{lang}'",
                hint=f"Install it: apt-get install {packages}",
            ) from exc
        if too_few_ok and "Too few characters" in detail:
            return None
        raise OcrError(f"tesseract failed (exit status {exc.status})") from exc
    except RuntimeError as exc:  # pytesseract raises a bare RuntimeError on timeout
        if "timeout" in str(exc).lower():
            raise OcrTimeout(
                f"tesseract took longer than {settings.ocr_timeout} s on a page"
            ) from exc
        raise OcrError("tesseract could not be run") from exc
    except OSError as exc:  # not executable, or it exited 0 without writing its output
        raise OcrError(f"tesseract could not be run ({type(exc).__name__})") from exc


def _tsv_rows(tsv: str) -> list[dict[str, str]]:
    """tesseract's TSV as one dict per row (pytesseract's parser truncates confidences)."""
    lines = tsv.strip("\n").split("\n")
    if len(lines) < 2:
        return []
    header = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        cells = line.split("\t", len(header) - 1)
        cells += [""] * (len(header) - len(cells))  # the text cell may be missing when empty
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _result_from_tsv(tsv: str) -> OcrResult:
    words: list[Word] = []
    lines: list[tuple[int, list[str]]] = []  # (block, words) in tesseract's reading order
    line_ids: dict[tuple[int, int, int], int] = {}
    for row in _tsv_rows(tsv):
        text = row["text"].strip()
        conf = float(row["conf"])
        if int(row["level"]) != 5 or not text or conf < 0:  # level 5 = word
            continue
        block = int(row["block_num"])
        key = (block, int(row["par_num"]), int(row["line_num"]))
        if key not in line_ids:
            line_ids[key] = len(line_ids) + 1
            lines.append((block, []))
        lines[-1][1].append(text)
        words.append(
            Word(
                text=text,
                left=int(row["left"]),
                top=int(row["top"]),
                width=int(row["width"]),
                height=int(row["height"]),
                confidence=conf,
                block=block,
                line=line_ids[key],
            )
        )
    parts: list[str] = []
    previous_block: int | None = None
    for block, line_words in lines:
        if previous_block is not None:
            parts.append("\n\n" if block != previous_block else "\n")
        parts.append(" ".join(line_words))
        previous_block = block
    confidence = sum(w.confidence for w in words) / len(words) if words else 0.0
    return OcrResult(text="".join(parts), words=tuple(words), confidence=confidence)


def _probe(settings: Settings, flag: str) -> str | None:
    """Run `tesseract <flag>` with a timeout; its output, or None when it cannot be run."""
    try:
        proc = subprocess.run(
            [settings.tesseract_cmd, flag],
            capture_output=True,
            timeout=_PROBE_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    # tesseract 3/4 print these on stderr, 5 on stdout
    return (proc.stdout + proc.stderr).decode("utf-8", "replace")
