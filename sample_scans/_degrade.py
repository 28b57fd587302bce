"""Scanner and fax defects applied to a clean rendered page (numpy / OpenCV, seeded).

Conventions recorded in the manifest:
- `rotation_applied_cw`: the page went through the scanner turned this many degrees clockwise;
  `rotation_to_upright_cw` is what a cleanup step must rotate clockwise to make it upright.
- `skew_ccw_deg`: the content was rotated by this angle, positive = counter-clockwise as seen on
  screen (OpenCV's convention); deskewing means rotating by the opposite angle.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

GrayImage = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Degradation:
    rotation_cw: int = 0  # 0, 90, 180, 270
    skew_ccw_deg: float = 0.0
    low_contrast: bool = False  # faint print: ink lifted to grey, paper darkened
    shading: bool = False  # uneven illumination: a dark-to-light gradient across the page
    black_border: bool = False  # the scanner bed shows around the page
    blur_sigma: float = 0.0
    noise_sigma: float = 0.0  # gaussian sensor noise, grey levels
    salt_pepper: float = 0.0  # fraction of pixels flipped to black or white
    fax_dpi: int = 0  # downsample to this resolution and binarise (0 = not a fax)
    grey_levels: int = 0  # posterise like a 4-bit scanner mode (0 = keep 256 levels)

    def names(self) -> list[str]:
        """The defects applied, in the order `degrade` applies them."""
        checks = [
            ("rotation", self.rotation_cw != 0),
            ("skew", self.skew_ccw_deg != 0),
            ("low_contrast", self.low_contrast),
            ("shading", self.shading),
            ("black_border", self.black_border),
            ("noise", self.noise_sigma > 0),
            ("blur", self.blur_sigma > 0),
            ("salt_pepper", self.salt_pepper > 0),
            ("fax", self.fax_dpi > 0),
            ("posterise", self.grey_levels > 0),
        ]
        return [name for name, on in checks if on]

    def as_json(self) -> dict[str, object]:
        return {
            "degradations": self.names(),
            "rotation_applied_cw": self.rotation_cw,
            "rotation_to_upright_cw": (360 - self.rotation_cw) % 360,
            "skew_ccw_deg": self.skew_ccw_deg,
            "low_contrast": self.low_contrast,
            "shading": self.shading,
            "black_border": self.black_border,
            "blur_sigma": self.blur_sigma,
            "noise_sigma": self.noise_sigma,
            "salt_pepper": self.salt_pepper,
            "fax": self.fax_dpi > 0,
            "grey_levels": self.grey_levels or (2 if self.fax_dpi else 256),
        }


def _skew(img: GrayImage, angle: float) -> GrayImage:
    h, w = img.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    out = cv2.warpAffine(
        img,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255.0,),
    )
    return np.asarray(out, dtype=np.uint8)


def _contrast_and_shading(img: GrayImage, d: Degradation) -> GrayImage:
    f = img.astype(np.float32)
    if d.low_contrast:  # ink 20 -> ~150, paper 255 -> ~228
        f = 142.0 + f * (86.0 / 255.0)
    if d.shading:
        h, w = img.shape
        xs = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
        ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
        f = f * (0.80 + 0.14 * xs + 0.06 * ys)
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def _black_border(img: GrayImage, dpi: int, rng: np.random.Generator) -> GrayImage:
    """Place the page on a larger dark scanner bed, unevenly (more on the right and bottom)."""
    h, w = img.shape
    left, top = int(rng.integers(dpi // 12, dpi // 8)), int(rng.integers(dpi // 20, dpi // 10))
    right, bottom = int(rng.integers(dpi // 5, dpi // 3)), int(rng.integers(dpi // 6, dpi // 4))
    bed = np.full((h + top + bottom, w + left + right), 18, dtype=np.uint8)
    bed[top : top + h, left : left + w] = img
    return bed


def _fax(img: GrayImage, dpi: int, fax_dpi: int, rng: np.random.Generator) -> GrayImage:
    h, w = img.shape
    size = (round(w * fax_dpi / dpi), round(h * fax_dpi / dpi))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA).astype(np.int16)
    jitter = rng.integers(-40, 41, size=small.shape, dtype=np.int16)
    bilevel = np.where(small + jitter < 150, 0, 255).astype(np.uint8)
    specks = rng.random(bilevel.shape) < 0.0004  # line noise: isolated black dots
    bilevel[specks] = 0
    return bilevel


def degrade(img: GrayImage, dpi: int, d: Degradation, seed: int) -> tuple[GrayImage, int]:
    """Apply `d` to a clean page rendered at `dpi`; return the image and its resolution."""
    rng = np.random.default_rng(seed)
    out = np.rot90(img, k=-(d.rotation_cw // 90)) if d.rotation_cw else img
    out = np.ascontiguousarray(out)
    if d.skew_ccw_deg:
        out = _skew(out, d.skew_ccw_deg)
    if d.low_contrast or d.shading:
        out = _contrast_and_shading(out, d)
    if d.black_border:
        out = _black_border(out, dpi, rng)
    if d.noise_sigma > 0:  # paper grain and sensor noise, softened by the optics below
        noise = rng.standard_normal(size=out.shape, dtype=np.float32) * np.float32(d.noise_sigma)
        out = np.clip(np.rint(out + noise), 0, 255).astype(np.uint8)
    if d.blur_sigma > 0:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), d.blur_sigma), dtype=np.uint8)
    if d.salt_pepper > 0:
        u = rng.random(out.shape, dtype=np.float32)
        out = out.copy()
        out[u < d.salt_pepper / 2] = 0
        out[u > 1.0 - d.salt_pepper / 2] = 255
    if d.fax_dpi:
        return _fax(out, dpi, d.fax_dpi, rng), d.fax_dpi
    if d.grey_levels:
        step = 255.0 / (d.grey_levels - 1)
        out = (np.rint(out / step) * step).astype(np.uint8)
    return out, dpi
