"""Steps 1-4 of reading a digit (see ``cnn_core.vision.digits``): from any photo or drawing to its ink."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_core.i18n import N_, LabError
from cnn_core.vision.images import MAX_PIXELS, to_gray

MIN_SIDE, WORK_SIDE = 128, 400  # Images are processed with their longer side in this range.
MIN_RANGE = 24  # Grey levels between the darkest and brightest 0.5%: below this, a frame is blank.
MIN_CONTRAST = 0.2  # Ink is at least 20% darker (or brighter) than the paper around it.


class NoDigitError(LabError):
    """The image holds no digit: blank paper, an empty canvas, a uniform or dark frame."""


@dataclass(frozen=True)
class Ink:
    gray: np.ndarray  # (H, W) uint8, denoised, at working size
    background: np.ndarray  # (H, W) uint8, the paper's estimated brightness
    contrast: np.ndarray  # (H, W) float32 in [0, 1], how strongly each pixel is ink
    mask: np.ndarray  # (H, W) bool, above the threshold or connected to it by fainter ink
    scale: float  # working size / input size


def find_ink(image: np.ndarray) -> Ink:
    """Grayscale, denoise, cancel the lighting, pick the polarity and threshold the ink."""
    import cv2

    gray = _to_gray(image)
    scale = _working_scale(gray.shape)
    if scale != 1.0:
        interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=interpolation)  # (H, W), longer side in [128, 400]
    gray = cv2.GaussianBlur(gray, (5, 5), 1.0)
    cumulative = np.cumsum(np.bincount(gray.ravel(), minlength=256)) / gray.size  # percentiles of uint8, fast
    low, high = np.searchsorted(cumulative, 0.005), np.searchsorted(cumulative, 0.995)
    if high - low < MIN_RANGE:
        raise NoDigitError(
            N_(
                "The picture is almost uniform (its grey levels span only {span:.0f} of 255): "
                "blank paper, an empty canvas or a dark frame has no digit to read. Write a digit in "
                "dark ink on light paper, light it well, and let it fill about half the frame."
            ),
            span=high - low,
        )
    dark_ink = _is_dark_ink(gray)
    background = _background(gray, dark_ink)
    paper, pixels = background.astype(np.float32), gray.astype(np.float32)
    if dark_ink:
        contrast = (paper - pixels) / np.maximum(paper, 96.0)  # Ink reflects less than the paper.
    else:
        contrast = (pixels - paper) / np.maximum(255.0 - paper, 96.0)
    contrast = np.clip(contrast, 0.0, 1.0)
    return Ink(gray, background, contrast, _hysteresis(contrast, _threshold(contrast)), scale)


def _to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W), (H, W, 1), RGB or RGBA -> (H, W) uint8; transparency is composited."""
    _check_image(image)
    if image.ndim == 3 and image.shape[2] == 4:
        return _composite(to_gray(image[..., :3]), image[..., 3])
    return to_gray(image)


def _check_image(image) -> None:
    if not isinstance(image, np.ndarray):
        raise LabError(N_("expected a numpy array holding an image, got {kind}"), kind=type(image).__name__)
    if image.dtype != np.uint8:
        raise LabError(N_("expected a uint8 image, got dtype {dtype}"), dtype=str(image.dtype))
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise LabError(
            N_("expected a grayscale (H, W), RGB (H, W, 3) or RGBA (H, W, 4) image, got shape {shape}"),
            shape=image.shape,
        )
    if min(image.shape[:2]) < 8:
        raise LabError(
            N_("the image is too small to hold a digit: {width}x{height} pixels"),
            width=image.shape[1],
            height=image.shape[0],
        )
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise LabError(
            N_("the image has {mp:.0f} MP; at most {cap:.0f} MP is allowed"),
            mp=image.shape[0] * image.shape[1] / 1e6,
            cap=MAX_PIXELS / 1e6,
        )


def _composite(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Put strokes drawn on a transparent canvas onto a backdrop that contrasts with them."""
    if alpha.min() == 255:
        return gray
    drawn = alpha > 127
    if not drawn.any():
        raise NoDigitError(N_("The drawing is empty: draw a digit on the pad first."))
    backdrop = 0.0 if gray[drawn].mean() > 127 else 255.0  # White strokes go on black.
    weight = alpha.astype(np.float32) / 255.0
    return np.round(gray * weight + backdrop * (1 - weight)).astype(np.uint8)


def _working_scale(shape: tuple[int, int]) -> float:
    """Factor that brings the longer side into [MIN_SIDE, WORK_SIDE]."""
    longer = max(shape)
    if longer > WORK_SIDE:
        return WORK_SIDE / longer
    if longer < MIN_SIDE:
        return MIN_SIDE / longer
    return 1.0


def _is_dark_ink(gray: np.ndarray) -> bool:
    """True for dark ink on light paper, False for light strokes on a dark ground.

    Most of any large window is paper, so a wide median is the paper whatever the polarity; the
    ink is then the side that departs from it more, beyond the noise.
    """
    import cv2

    factor = 64 / max(gray.shape)
    size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
    small = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)  # (h, w), longer side 64
    paper = cv2.resize(cv2.medianBlur(small, 21), (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    residual = gray.astype(np.float32) - paper  # (H, W): ink on one side, noise on both
    noise = 3.0 * np.median(np.abs(residual[::2, ::2])) + 2.0  # A quarter of the pixels is plenty.
    return np.maximum(-residual - noise, 0).sum() >= np.maximum(residual - noise, 0).sum()


def _background(gray: np.ndarray, dark_ink: bool) -> np.ndarray:
    """The paper's brightness under the ink: a closing (an opening for light ink) wider than strokes.

    The square window is a fifth of the frame: wider than any pen or brush stroke, so the ink
    disappears, yet narrow enough to follow the lighting. A closing keeps sharp edges (paper
    against a table) where they are, so they do not turn into a band of false ink. The frame is
    first extended by continuing its lighting gradient (odd reflection), so the window sees the
    same gradient at the edges as in the middle.
    """
    import cv2

    side = max(gray.shape) // 10 * 2 + 1  # (H, W) -> an odd window a fifth of the longer side
    pad = side // 2
    extended = np.pad(gray.astype(np.int16), pad, mode="reflect", reflect_type="odd")  # (H + 2 pad, W + 2 pad)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    operation = cv2.MORPH_CLOSE if dark_ink else cv2.MORPH_OPEN
    paper = cv2.morphologyEx(extended, operation, kernel)[pad:-pad, pad:-pad]  # (H, W)
    return np.clip(paper, 0, 255).astype(np.uint8)


def _hysteresis(contrast: np.ndarray, high: float) -> np.ndarray:
    """Pixels above ``high``, grown into their fainter neighbours down to half of it.

    MNIST keeps faint parts of strokes as grey levels; a single threshold would cut them off.
    """
    import cv2

    count, labels = cv2.connectedComponents((contrast >= 0.5 * high).astype(np.uint8), connectivity=8)
    strong = np.zeros(count, bool)
    strong[labels[contrast >= high]] = True
    strong[0] = False
    return strong[labels]


def _threshold(contrast: np.ndarray) -> float:
    """Otsu's threshold on the ink contrast, but at least MIN_CONTRAST and well above the noise.

    Most pixels are paper, so the median and spread (MAD) of the contrast describe the camera's
    noise on the paper; ink must stand six of those spreads above it.
    """
    import cv2

    sample = contrast[::2, ::2]  # A quarter of the pixels gives the same median, four times faster.
    typical = float(np.median(sample))
    noise = 1.4826 * float(np.median(np.abs(sample - typical)))
    levels = np.round(contrast * 255).astype(np.uint8)
    otsu, _ = cv2.threshold(levels, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return max(otsu / 255.0, MIN_CONTRAST, typical + 6.0 * noise)
