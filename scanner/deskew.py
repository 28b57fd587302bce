"""Page geometry for cleanup: skew estimation, exact and free rotation, and box mapping.

Coordinates are continuous "pixel edge" coordinates: pixel (col, row) covers the square
[col, col + 1) x [row, row + 1), so a box (left, top, width, height) has its corners at
left, left + width, top and top + height. Every geometric step returns the 3x3 matrix of
its INVERSE (output image -> input image) so cleanup can compose `to_original`.

Skew is measured with a projection profile on the ink pixels of a ~75 dpi copy of the page:
for a candidate angle, the ink points are rotated and binned by row; straight text lines give
the sharpest histogram (largest sum of squares). Angles follow OpenCV's convention: positive
= counter-clockwise as seen on screen. See docs/cleanup.md for measured accuracy and cost.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from scanner.types import Affine, GrayImage

Matrix = npt.NDArray[np.float64]
"""A 3x3 homogeneous affine matrix in pixel-edge coordinates."""

ANALYSIS_DPI = 75  # resolution the skew and orientation checks look at (quarter of 300 dpi)
INK_CONTRAST = 40  # grey levels darker than the local paper that count as ink
MAX_POINTS = 40_000  # ink points kept for the projection search (evenly strided)
MIN_POINTS = 150  # fewer ink points than this: too little text to measure skew
COARSE_STEP = 0.5  # degrees
FINE_STEP = 0.05  # degrees
BINS_PER_PIXEL = 2  # half-pixel rows in the projection histogram (finer angle resolution)
MIN_PEAK_GAIN = 1.08  # best score must beat the median score by this factor to be trusted
SIDEWAYS_LONG_SIDE = 800  # looks_sideways works on a copy whose long side is about this
SIDEWAYS_RATIO = 1.0  # measured: upright pages 0.3-0.45, sideways 2.3-3.6 (skewed or not)
SIDEWAYS_ANGLES = tuple(float(a) for a in range(-12, 13))  # tolerate skew of sideways pages
SIDEWAYS_POINTS = 12_000


def reduction(dpi: float, target_dpi: float) -> int:
    """Integer shrink factor bringing `dpi` down to about `target_dpi` (at least 1)."""
    return max(1, round(dpi / target_dpi))


def shrink(image: GrayImage, factor: int) -> GrayImage:
    """Area-averaged copy reduced by an integer factor (the image itself when factor is 1)."""
    if factor <= 1:
        return image
    if min(image.shape) < 2 * factor:
        return image
    # fx/fy (not an explicit size) keeps OpenCV on its fast integer-factor INTER_AREA path
    out = cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    return np.asarray(out, dtype=np.uint8)


def ink_mask(image: GrayImage, radius: int, contrast: int = INK_CONTRAST) -> npt.NDArray[np.bool_]:
    """Pixels more than `contrast` darker than the brightest pixel within `radius` (the local
    paper level), so shading and grey paper do not count as ink."""
    k = 2 * radius + 1
    paper = cv2.dilate(image, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    return np.asarray(cv2.subtract(paper, image) > contrast)


def _ink_points(
    image: GrayImage, factor: int, max_points: int
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], int]:
    """Centred x and y of the ink points of a shrunken copy, and the histogram offset.

    Points get a fixed sub-pixel dither: on the integer lattice, angle 0 would put every point
    exactly on a bin and win the search by aliasing alone.
    """
    small = shrink(image, factor)
    ys, xs = np.nonzero(ink_mask(small, radius=4))
    if len(ys) > max_points:
        keep = np.linspace(0, len(ys) - 1, max_points).astype(np.intp)
        ys, xs = ys[keep], xs[keep]
    h, w = small.shape
    dither = np.random.default_rng(0).random((2, len(ys)), dtype=np.float32)
    xc = xs.astype(np.float32) + dither[0] - np.float32(w / 2)
    yc = ys.astype(np.float32) + dither[1] - np.float32(h / 2)
    offset = math.ceil(math.hypot(w, h) / 2 * BINS_PER_PIXEL) + 2
    return xc, yc, offset


def _profile_score(
    along: npt.NDArray[np.float32], across: npt.NDArray[np.float32], angle: float, offset: int
) -> float:
    """Sum of squares of the histogram of `across` after rotating the points by `angle`."""
    t = math.radians(angle)
    pos = (across * np.float32(math.cos(t)) - along * np.float32(math.sin(t))) * BINS_PER_PIXEL
    counts = np.bincount((pos + offset).astype(np.intp))
    return float(np.dot(counts, counts))


def estimate_skew(image: GrayImage, dpi: float, max_angle: float = 15.0) -> float:
    """Angle (degrees, counter-clockwise positive) to rotate the page by to level its text.

    Coarse search every 0.5 degree over +-max_angle, then every 0.05 degree around the
    best, then a parabola through the best three. Returns 0.0 when there is too little ink or
    no clear peak (a blank page, a photo, a page of vertical lines).
    """
    xc, yc, offset = _ink_points(image, reduction(dpi, ANALYSIS_DPI), MAX_POINTS)
    if len(xc) < MIN_POINTS:
        return 0.0
    coarse = np.arange(-max_angle, max_angle + 1e-9, COARSE_STEP)
    scores = np.array([_profile_score(xc, yc, float(a), offset) for a in coarse])
    best = int(np.argmax(scores))
    if scores[best] < MIN_PEAK_GAIN * float(np.median(scores)):
        return 0.0
    fine = coarse[best] + np.arange(-COARSE_STEP, COARSE_STEP + 1e-9, FINE_STEP)
    fine_scores = np.array([_profile_score(xc, yc, float(a), offset) for a in fine])
    i = int(np.argmax(fine_scores))
    angle = float(fine[i])
    if 0 < i < len(fine) - 1:
        left, mid, right = fine_scores[i - 1], fine_scores[i], fine_scores[i + 1]
        denom = left - 2 * mid + right
        if denom < 0:
            angle += FINE_STEP * 0.5 * float(left - right) / float(denom)
    return angle


def looks_sideways(image: GrayImage) -> bool:
    """Cheap check (~10 ms) whether text lines run vertically: a page turned 90 or 270."""
    return sideways_score(image) > SIDEWAYS_RATIO


def sideways_score(image: GrayImage) -> float:
    """Sharpest column profile over sharpest row profile of the ink points of a copy about
    800 px on its long side, each the best over -12..12 degrees so skewed pages still count.
    Above 1: text lines run vertically. 0.0 for a page with almost no ink.
    """
    if image.size == 0:
        return 0.0
    factor = max(1, max(image.shape) // SIDEWAYS_LONG_SIDE)
    xc, yc, offset = _ink_points(image, factor, SIDEWAYS_POINTS)
    if len(xc) < MIN_POINTS:
        return 0.0
    rows = max(_profile_score(xc, yc, a, offset) for a in SIDEWAYS_ANGLES)
    cols = max(_profile_score(yc, xc, a, offset) for a in SIDEWAYS_ANGLES)
    return cols / rows


# --- exact geometry --------------------------------------------------------------------


def _translate(dx: float, dy: float) -> Matrix:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def rotate_right_angle(image: GrayImage, rotation: int) -> tuple[GrayImage, Matrix]:
    """Rotate clockwise by 90, 180 or 270 degrees exactly; return image and inverse matrix."""
    h, w = image.shape
    if rotation == 90:
        out = cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
        inverse = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, float(h)], [0.0, 0.0, 1.0]])
    elif rotation == 180:
        out = cv2.rotate(image, cv2.ROTATE_180)
        inverse = np.array([[-1.0, 0.0, float(w)], [0.0, -1.0, float(h)], [0.0, 0.0, 1.0]])
    elif rotation == 270:
        out = cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
        inverse = np.array([[0.0, -1.0, float(w)], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    else:
        raise ValueError(f"rotation must be 90, 180 or 270, not {rotation}")
    return np.asarray(out, dtype=np.uint8), inverse


def rotate_free(image: GrayImage, angle: float) -> tuple[GrayImage, Matrix]:
    """Rotate by `angle` degrees (counter-clockwise positive) onto a canvas big enough to keep
    every pixel, filling with white; return the image and the inverse matrix."""
    h, w = image.shape
    t = math.radians(angle)
    c, s = math.cos(t), math.sin(t)
    new_w = math.ceil(w * abs(c) + h * abs(s) - 1e-6)
    new_h = math.ceil(w * abs(s) + h * abs(c) - 1e-6)
    rot = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])
    forward = _translate(new_w / 2, new_h / 2) @ rot @ _translate(-w / 2, -h / 2)
    # OpenCV puts pixel centres at integer coordinates: shift by half a pixel either side.
    cv_matrix = _translate(-0.5, -0.5) @ forward @ _translate(0.5, 0.5)
    out = cv2.warpAffine(
        image,
        cv_matrix[:2],
        (new_w, new_h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255,),
    )
    return np.asarray(out, dtype=np.uint8), np.linalg.inv(forward)


def resize(image: GrayImage, scale: float) -> tuple[GrayImage, Matrix]:
    """Bicubic resize by `scale`; return the image and the inverse matrix (exact per axis)."""
    h, w = image.shape
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    out = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_CUBIC)
    inverse = np.diag([w / new_w, h / new_h, 1.0])
    return np.asarray(out, dtype=np.uint8), inverse


def to_affine(matrix: Matrix) -> Affine:
    """The top two rows of a 3x3 matrix as the frozen `Affine` tuple."""
    r0, r1 = matrix[0], matrix[1]
    return (
        (float(r0[0]), float(r0[1]), float(r0[2])),
        (float(r1[0]), float(r1[1]), float(r1[2])),
    )


def map_point(affine: Affine, x: float, y: float) -> tuple[float, float]:
    """Apply a 2x3 affine to one point."""
    (a, b, c), (d, e, f) = affine
    return a * x + b * y + c, d * x + e * y + f


def map_box(
    affine: Affine, left: int, top: int, width: int, height: int, max_w: int, max_h: int
) -> tuple[int, int, int, int]:
    """Map a box through `affine` (cleaned -> original page): transform the four corners,
    take their bounding box, round outwards and clip to a max_w x max_h page.

    Returns (left, top, width, height); width or height is 0 for a box wholly off the page.
    """
    corners = [map_point(affine, x, y) for x in (left, left + width) for y in (top, top + height)]
    xs = [p[0] for p in corners]
    ys = [p[1] for p in corners]
    x0 = min(max(math.floor(min(xs) + 1e-6), 0), max_w)
    y0 = min(max(math.floor(min(ys) + 1e-6), 0), max_h)
    x1 = min(max(math.ceil(max(xs) - 1e-6), 0), max_w)
    y1 = min(max(math.ceil(max(ys) - 1e-6), 0), max_h)
    return x0, y0, x1 - x0, y1 - y0
