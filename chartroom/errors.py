"""One exception hierarchy for the whole product.

Every error carries the process exit code the CLI uses for it and a message that says
what to try next. `docs/errors.md` lists them; a test keeps that page and this module in step.
Messages never contain OCR text, patient names or file names (PHI discipline): the CLI
prints the offending path itself, next to the message, on the user's own terminal.
"""

from __future__ import annotations


class ChartroomError(Exception):
    """Base class: `exit_code` for the CLI, `hint` says what to try next."""

    exit_code: int = 1
    hint: str = ""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    @property
    def type_name(self) -> str:
        return type(self).__name__

    def __str__(self) -> str:
        return f"{self.message}. {self.hint}" if self.hint else self.message

    def as_json(self) -> dict[str, str]:
        return {"type": self.type_name, "message": str(self)}


# --- configuration and environment -------------------------------------------------------


class UsageError(ChartroomError):
    exit_code = 64
    hint = "See `chartroom COMMAND --help`"


class ConfigError(ChartroomError):
    exit_code = 78
    hint = "Check the CHARTROOM_* environment variables (docs/configuration.md)"


class MissingDependency(ChartroomError):
    exit_code = 69
    hint = "Run `chartroom doctor` to see what to install, or `make run` to install it"


# --- input files -------------------------------------------------------------------------


class InputError(ChartroomError):
    """A file that cannot be taken in. The file itself is left untouched."""

    exit_code = 65


class InputNotFound(InputError):
    exit_code = 66
    hint = "Check the path; the file may have been moved or deleted"


class NotARegularFile(InputError):
    exit_code = 67
    hint = "Give a regular file (directories, devices and pipes are not scanned)"


class SymlinkRefused(InputError):
    exit_code = 68
    hint = (
        "Give the file the link points to; links are refused so a drop folder"
        " cannot leak other files"
    )


class EmptyFile(InputError):
    exit_code = 70
    hint = "The file has no content; re-export it from the scanner"


class FileTooLarge(InputError):
    exit_code = 71
    hint = "Split the file, or raise CHARTROOM_MAX_FILE_MB"


class UnsupportedFileType(InputError):
    exit_code = 72
    hint = "chartroom reads PDF, TIFF, PNG and JPEG; save the scan in one of these"


class DamagedFile(InputError):
    exit_code = 73
    hint = "The file is truncated or corrupt; scan or copy it again"


class EncryptedPdf(InputError):
    exit_code = 74
    hint = "The PDF needs a password to open; save an unprotected copy and scan that"


class ImageTooLarge(InputError):
    exit_code = 75
    hint = (
        "A page has more pixels than allowed; rescan at 300 dpi"
        " or raise CHARTROOM_MAX_PAGE_MEGAPIXELS"
    )


class TooManyPages(InputError):
    exit_code = 76
    hint = "Split the file into smaller batches or raise CHARTROOM_MAX_PAGES"


class EmptyImage(InputError):
    exit_code = 77
    hint = "The image has no pixels (0 wide or 0 high); re-export it from the scanner"


# --- OCR ---------------------------------------------------------------------------------


class OcrError(ChartroomError):
    exit_code = 80
    hint = "Run `chartroom doctor`; if tesseract works, the page may be unreadable"


class OcrTimeout(OcrError):
    exit_code = 81
    hint = "A page took longer than CHARTROOM_OCR_TIMEOUT seconds; rescan it or raise the timeout"


class OutputError(ChartroomError):
    exit_code = 83
    hint = "Check that the output folder exists and is writable, and that the disk is not full"


# --- system of record ---------------------------------------------------------------------


class StorageFull(ChartroomError):
    exit_code = 84
    hint = "The disk holding CHARTROOM_HOME is full (or over quota); free space and run again"


class RecordNotFound(ChartroomError):
    exit_code = 85
    hint = "Check the document or patient id; it may never have existed"


class InvalidRequest(ChartroomError):
    exit_code = 86
    hint = "The request does not fit the record's current state; reload it and see docs/records.md"


class DatabaseBusy(ChartroomError):
    exit_code = 87
    hint = "Another process held the database too long; wait a moment and run again"


class DatabaseError(ChartroomError):
    exit_code = 88
    hint = (
        "Check CHARTROOM_DATABASE_URL, that the database server is running and reachable,"
        " and that CHARTROOM_HOME is writable"
    )


# --- intake -------------------------------------------------------------------------------


class IntakeBusy(ChartroomError):
    exit_code = 89
    hint = (
        "Another `chartroom watch` or `chartroom ingest` is using this data folder"
        " (CHARTROOM_HOME); wait for it to finish or stop it first"
    )


class CheckFailed(ChartroomError):
    exit_code = 90
    hint = (
        "The database, the stored files or the search index disagree; see the report above"
        " (docs/ingest.md explains each finding; `chartroom reindex` repairs the index)"
    )


# --- search -------------------------------------------------------------------------------


class QueryError(ChartroomError):
    exit_code = 91
    hint = 'See docs/search.md for the query language (words, "phrases", field:value, AND/OR/NOT)'


class IndexUnavailable(ChartroomError):
    exit_code = 92
    hint = (
        "The search index is missing, damaged or from another version; run `chartroom reindex`"
        " (the records are safe: the index is rebuilt from them)"
    )


class IndexBusy(ChartroomError):
    exit_code = 93
    hint = (
        "Another process is writing the search index; wait for it to finish and run again"
        " (pending changes stay in the journal meanwhile)"
    )


# --- web app ------------------------------------------------------------------------------


class AuditUnavailable(ChartroomError):
    exit_code = 94
    hint = (
        "The audit log could not be written, so the access was refused; check the database"
        " (`chartroom check`) and the disk holding CHARTROOM_HOME"
    )


def all_error_types() -> list[type[ChartroomError]]:
    """Every concrete error class, base first: used by docs and tests."""
    seen: list[type[ChartroomError]] = []
    stack: list[type[ChartroomError]] = [ChartroomError]
    while stack:
        cls = stack.pop(0)
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


class InternalError(ChartroomError):
    """An unexpected failure inside chartroom: a bug, never the user's fault."""

    exit_code = 99
    hint = "This is a bug in chartroom; run again with CHARTROOM_LOG_LEVEL=DEBUG and report the log"
