"""`chartroom doctor`: check the external programs and say exactly what to install."""

from __future__ import annotations

import argparse
import importlib
import shutil
from dataclasses import dataclass

from chartroom.errors import MissingDependency
from chartroom.settings import Settings

APT_HINT = "sudo apt-get install {packages}   (or run `make run`, which installs it)"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks(settings: Settings) -> list[Check]:
    from scanner import poppler, tesseract

    checks: list[Check] = []
    version = tesseract.version(settings)
    if version is None:
        checks.append(
            Check("tesseract", False, "not found", APT_HINT.format(packages="tesseract-ocr"))
        )
        langs: list[str] = []
    else:
        major = int(version.split(".")[0]) if version[:1].isdigit() else 0
        checks.append(
            Check(
                "tesseract",
                major >= 4,
                version,
                ""
                if major >= 4
                else "Tesseract 4 or newer is needed: " + APT_HINT.format(packages="tesseract-ocr"),
            )
        )
        langs = tesseract.languages(settings)
    for lang in settings.ocr_language.split("+"):
        checks.append(_lang_check(lang, langs, version is not None))
    checks.append(_lang_check("osd", langs, version is not None))
    pop = poppler.version(settings)
    checks.append(
        Check(
            "poppler (pdftoppm, pdfinfo, pdftotext, pdfimages)",
            pop is not None,
            pop or "not found",
            "" if pop else APT_HINT.format(packages="poppler-utils"),
        )
    )
    for program in ("pdftoppm", "pdfinfo", "pdftotext", "pdfimages"):
        if pop is not None and shutil.which(program) is None:
            checks.append(
                Check(program, False, "not found", APT_HINT.format(packages="poppler-utils"))
            )
    for module, package in (("cv2", "opencv-python-headless"), ("zxingcpp", "zxing-cpp")):
        try:
            importlib.import_module(module)
            checks.append(Check(f"python: {package}", True, "importable"))
        except ImportError as exc:
            checks.append(
                Check(
                    f"python: {package}", False, type(exc).__name__, "make run (reinstalls .venv)"
                )
            )
    return checks


def _lang_check(lang: str, available: list[str], have_tesseract: bool) -> Check:
    package = "tesseract-ocr-" + lang.replace("_", "-").lower()
    label = "tesseract data: " + ("orientation (osd)" if lang == "osd" else lang)
    if not have_tesseract:
        return Check(label, False, "tesseract missing", APT_HINT.format(packages=package))
    ok = lang in available
    return Check(
        label, ok, "installed" if ok else "missing", "" if ok else APT_HINT.format(packages=package)
    )


def run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    checks = run_checks(settings)
    width = max(len(c.name) for c in checks)
    for check in checks:
        mark = "ok  " if check.ok else "FAIL"
        print(f"{mark} {check.name:<{width}}  {check.detail}")
        if check.fix:
            print(f"     {'':<{width}}  fix: {check.fix}")
    failed = [c for c in checks if not c.ok]
    if failed:
        raise MissingDependency(f"{len(failed)} check(s) failed: see the fixes above")
    print("All checks passed.")
    return 0
