"""Write the synthetic scanned chart documents in sample_scans/ (deterministic).

    python sample_scans/generate.py [--out DIR]

Every patient is invented (see _patients.py). For each file the generator writes `<stem>.gt.txt`
(the text exactly as drawn: lines joined by "\\n", pages by "\\f"), plus `manifest.json`
(documents, pages, degradations, barcodes) and `roster.csv`. Fixed seeds and metadata without
timestamps make two runs byte-identical with the same Pillow, OpenCV, FreeType and reportlab.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from _charts_clinic import (
    cardiology_consult,
    clinic_note,
    consent_form,
    echo_report,
    lab_report,
    pathology_report,
)
from _charts_emergency import ed_note, history_and_physical, medication_reconciliation
from _charts_hospital import discharge_summary, operative_report, progress_note, radiology_report
from _charts_hospital import referral_letter as letter
from _degrade import Degradation, GrayImage, degrade
from _patients import JASPER, ROSTER, TOBIAS, ChartDoc, cover_sheet, iso, separator_sheet
from _pdf import write_image_pdf, write_text_pdf
from _render import FOOTER, PageStyle, render_page
from PIL import Image

HERE = Path(__file__).resolve().parent
JPEG_QUALITY = 50
D = Degradation
SCAN = D(noise_sigma=4.0, blur_sigma=0.9)  # an ordinary office scan


@dataclass(frozen=True)
class Part:
    doc: ChartDoc
    pages: tuple[Degradation, ...]  # one per page of `doc`
    dpi: int = 300


@dataclass(frozen=True)
class FileSpec:
    name: str
    parts: tuple[Part, ...]
    born_digital: bool = False


@dataclass(frozen=True)
class Page:
    image: GrayImage
    dpi: int
    lines: tuple[str, ...]
    meta: dict[str, object]


def plan() -> list[FileSpec]:
    def one(name: str, doc: ChartDoc, *pages: Degradation, dpi: int = 300) -> FileSpec:
        return FileSpec(name, (Part(doc, pages, dpi),))

    batch = "B-2022-0119"
    return [
        one(
            "discharge_summary_brindlemoor.pdf",
            discharge_summary(),
            SCAN,
            D(skew_ccw_deg=1.2, noise_sigma=4.0, blur_sigma=0.9),
        ),
        one("lab_report_brindlemoor.png", lab_report(), D()),
        one(
            "clinic_note_brindlemoor.jpg",
            clinic_note(),
            D(skew_ccw_deg=-1.5, noise_sigma=4.0, blur_sigma=0.8),
            dpi=200,
        ),
        one(
            "radiology_report_quellbrook.jpg",
            radiology_report(),
            D(blur_sigma=0.9, noise_sigma=5.0),
        ),
        one(
            "operative_report_quellbrook.pdf",
            operative_report(),
            SCAN,
            D(rotation_cw=180, noise_sigma=4.0, blur_sigma=0.9),
            dpi=200,
        ),
        FileSpec(
            "batch_quellbrook.pdf",
            (
                Part(
                    cover_sheet(JASPER, "QRCode", batch, date(2022, 1, 20)),
                    (D(black_border=True, noise_sigma=4.0, blur_sigma=0.8),),
                ),
                Part(cardiology_consult(), (D(rotation_cw=90, noise_sigma=4.0, blur_sigma=0.9),)),
                Part(separator_sheet(), (SCAN,)),
                Part(echo_report(), (D(skew_ccw_deg=-8.0, noise_sigma=4.0, blur_sigma=0.9),)),
            ),
        ),
        one(
            "progress_note_fenwhistle.tif",
            progress_note(),
            D(grey_levels=16),
            D(skew_ccw_deg=4.0, grey_levels=16),
        ),
        FileSpec("letter_fenwhistle.pdf", (Part(letter(), (D(),)),), born_digital=True),
        one(
            "history_physical_ashcombe_varro.tif",
            history_and_physical(),
            D(fax_dpi=100),
            D(skew_ccw_deg=0.7, fax_dpi=100),
        ),
        FileSpec(
            "cover_sheet_ashcombe_varro.pdf",
            (
                Part(cover_sheet(TOBIAS, "DataMatrix", "B-2023-0618", date(2023, 6, 19)), (SCAN,)),
                Part(ed_note(), (SCAN,)),
                Part(medication_reconciliation(), (D(skew_ccw_deg=0.8, blur_sigma=0.6),)),
            ),
        ),
        one(
            "consent_form_tallowmere.jpg",
            consent_form(),
            D(blur_sigma=0.5, salt_pepper=0.002),
        ),
        one(
            "pathology_report_tallowmere.png",
            pathology_report(),
            D(low_contrast=True, shading=True, blur_sigma=0.6),
            dpi=200,
        ),
    ]


def fax_header(index: int, total: int) -> str:
    sender = "FROM: NVMC CARDIOLOGY (555) 010-4410  TO: HIM"
    return f"06/18/2023 15:02  {sender}  P.{index:03d}/{total:03d}"


def render_file(spec: FileSpec, seed: int) -> list[Page]:
    pages: list[Page] = []
    for part in spec.parts:
        doc = part.doc
        if len(part.pages) != len(doc.pages):
            raise ValueError(f"{spec.name}: {len(doc.pages)} pages but {len(part.pages)} set-ups")
        for i, (markup, damage) in enumerate(zip(doc.pages, part.pages, strict=True), 1):
            style = PageStyle(
                family=doc.family,
                top_line=fax_header(i, len(doc.pages)) if damage.fax_dpi else "",
                page_label=f"Page {i} of {len(doc.pages)}" if len(doc.pages) > 1 else "",
            )
            page_seed = seed * 100 + len(pages)
            clean = render_page(markup, part.dpi, style, page_seed)
            image, dpi = degrade(clean.image, part.dpi, damage, page_seed)
            kind = {"cover_sheet": "cover", "separator_sheet": "separator"}.get(
                doc.document_type, "document"
            )
            meta: dict[str, object] = {
                "number": len(pages) + 1,
                "width": int(image.shape[1]),
                "height": int(image.shape[0]),
                "dpi": dpi,
                "document_type": doc.document_type,
                "kind": kind,
                "separator": kind == "separator",
                "text_source": "ocr",
                "barcodes": [{"format": f, "text": t} for f, t in clean.barcodes],
                **damage.as_json(),
            }
            pages.append(Page(image, dpi, clean.lines, meta))
    return pages


def encode_jpeg(image: GrayImage, dpi: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(image, "L").save(
        buf, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True, dpi=(dpi, dpi)
    )
    return buf.getvalue()


def write_pages(path: Path, pages: Sequence[Page]) -> None:
    suffix = path.suffix
    if suffix == ".pdf":
        items = [
            (encode_jpeg(p.image, p.dpi), p.image.shape[1], p.image.shape[0], p.dpi) for p in pages
        ]
        write_image_pdf(path, items)
    elif suffix == ".jpg":
        path.write_bytes(encode_jpeg(pages[0].image, pages[0].dpi))
    elif suffix == ".png":
        img = Image.fromarray(pages[0].image, "L")
        img.save(path, "PNG", optimize=True, dpi=(pages[0].dpi, pages[0].dpi))
    elif suffix == ".tif":
        bilevel = all(bool(p.meta["fax"]) for p in pages)
        frames = [Image.fromarray(p.image, "L") for p in pages]
        if bilevel:
            frames = [f.convert("1", dither=Image.Dither.NONE) for f in frames]
        frames[0].save(
            path,
            "TIFF",
            save_all=True,
            append_images=frames[1:],
            compression="group4" if bilevel else "tiff_adobe_deflate",
            dpi=(pages[0].dpi, pages[0].dpi),
        )
    else:
        raise ValueError(f"unsupported output type {suffix}")


def check_conditions(spec: FileSpec, text: str) -> None:
    """Every annotated condition must appear in the document's text (wrapping ignored)."""
    flat = " ".join(text.lower().split())
    for part in spec.parts:
        for cond in part.doc.conditions:
            if cond.text.lower() not in flat:
                raise ValueError(f"{spec.name}: condition {cond.text!r} is not in the text")


def document_entries(spec: FileSpec) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    number = 1
    for part in spec.parts:
        doc = part.doc
        out.append(
            {
                "document_type": doc.document_type,
                "patient_mrn": doc.patient.mrn if doc.patient else None,
                "pages": list(range(number, number + len(doc.pages))),
                "facts": dict(doc.facts),
                "conditions": [{"text": c.text, "status": c.status} for c in doc.conditions],
            }
        )
        number += len(doc.pages)
    return out


def segments(pages: list[dict[str, object]]) -> list[list[object]]:
    """Page numbers of each document in the file, split at separator sheets (as the scanner)."""
    out: list[list[object]] = [[]]
    for page in pages:
        if page["separator"]:
            out.append([])
        else:
            out[-1].append(page["number"])
    return [seg for seg in out if seg]


def generate(out_dir: Path) -> dict[str, object]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, object]] = []
    for seed, spec in enumerate(plan(), 1):
        path = out_dir / spec.name
        if spec.born_digital:
            lines = write_text_pdf(path, spec.parts[0].doc.pages[0])
            page_meta: list[dict[str, object]] = [
                {"number": 1, "width": 612, "height": 792, "dpi": 72, "kind": "document"}
                | {"document_type": spec.parts[0].doc.document_type, "separator": False}
                | {"text_source": "pdf-text-layer", "barcodes": []}
                | D().as_json()
            ]
            texts = ["\n".join(lines)]
        else:
            pages = render_file(spec, seed)
            write_pages(path, pages)
            page_meta = [p.meta for p in pages]
            texts = ["\n".join(p.lines) for p in pages]
        gt_text = "\f".join(texts)
        check_conditions(spec, gt_text)
        gt_name = f"{path.stem}.gt.txt"
        (out_dir / gt_name).write_text(gt_text, encoding="utf-8")
        mrns = {p.doc.patient.mrn for p in spec.parts if p.doc.patient}
        files.append(
            {
                "name": spec.name,
                "format": {".tif": "tiff", ".jpg": "jpeg"}.get(path.suffix, path.suffix[1:]),
                "ground_truth": gt_name,
                "patient_mrn": mrns.pop() if len(mrns) == 1 else None,
                "document_type": spec.parts[-1].doc.document_type
                if len(spec.parts) == 1
                else "batch",
                "born_digital": spec.born_digital,
                "page_count": len(page_meta),
                "ground_truth_crc32": f"{zlib.crc32(gt_text.encode()):08x}",
                "documents": document_entries(spec),
                "segments": segments(page_meta),
                "pages": page_meta,
            }
        )
    manifest: dict[str, object] = {
        "description": "Synthetic scanned chart documents for invented patients (not real PHI).",
        "generator": "sample_scans/generate.py",
        "footer": FOOTER,
        "conventions": {
            "ground_truth": "UTF-8; lines as drawn joined by \\n, pages joined by \\f, "
            "no trailing newline; table columns padded with spaces as drawn",
            "mrn": "8 digits, without the 'MRN:' prefix",
            "rotation_applied_cw": "degrees the page was turned clockwise before scanning",
            "rotation_to_upright_cw": "clockwise degrees a cleanup step must apply",
            "skew_ccw_deg": "content rotation, positive = counter-clockwise on screen",
            "dpi": "resolution of the stored page image (72 for born-digital PDF points)",
            "segments": "page numbers per document after splitting at separator sheets",
            "facts": "header values of the document; dates in ISO 8601",
            "conditions": "phrases in the text with their assertion status",
        },
        "roster": "roster.csv",
        "files": files,
    }
    (out_dir / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    with (out_dir / "roster.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["mrn", "last_name", "first_name", "dob", "sex"])
        for p in ROSTER:
            writer.writerow([p.mrn, p.last, p.first, iso(p.dob), p.sex])
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = parser.parse_args(argv)
    manifest = generate(args.out)
    files = manifest["files"]
    assert isinstance(files, list)
    total = sum((args.out / str(f["name"])).stat().st_size for f in files)
    print(f"wrote {len(files)} files ({total / 1e6:.2f} MB of scans) to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
