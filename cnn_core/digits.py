"""Read handwritten digits from photos and drawings the way MNIST's digits were made.

MNIST's digits are white ink on black, scaled to fit a 20x20 box (aspect ratio kept, edges
anti-aliased into grey levels) and placed in a 28x28 frame with their centre of mass at the centre.
A camera snapshot is none of that: dark ink on grey paper, lit unevenly, anywhere in the frame, at
any size. ``prepare_digit`` bridges the gap in visible steps:

1. grayscale and denoise;
2. estimate the paper's brightness everywhere (a morphological closing wider than any stroke),
   so that uneven light cancels out;
3. detect the ink polarity: the ink departs from the paper around it more than the noise does;
4. measure each pixel's ink contrast against the local paper and threshold it: Otsu's threshold,
   never below 20% or the camera's noise, grown into the fainter edges of strokes (hysteresis);
5. keep the connected components that look like a digit (no specks, no paper edges at the border);
6. thicken thin pen strokes to MNIST's stroke width, fit into 20x20, pad to 28x28 and centre by mass.

``prepare_digits`` does the same for a row of digits ("2026"), left to right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

BOX = 20  # MNIST's digits fit a 20x20 box...
FRAME = 28  # ...inside a 28x28 frame,
CENTRE = 14.0  # with the centre of mass at pixel (14, 14) (MNIST's test set: 14.0 +- 0.3).
MIN_SIDE, WORK_SIDE = 128, 400  # Images are processed with their longer side in this range.
MAX_PIXELS = 40_000_000
MIN_RANGE = 24  # Grey levels between the darkest and brightest 0.5%: below this, a frame is blank.
MIN_CONTRAST = 0.2  # Ink is at least 20% darker (or brighter) than the paper around it.
STROKE_RATIO = 0.10  # MNIST's stroke width over its digit's longer side (median 0.11, 5th pct 0.07).
MIN_STROKE_RATIO = 0.07  # Strokes thinner than this are thickened to STROKE_RATIO.


class NoDigitError(ValueError):
    """The image holds no digit: blank paper, an empty canvas, a uniform or dark frame."""


class Stage(NamedTuple):
    """One visible preprocessing step: a short name and the image it produced."""

    name: str
    image: np.ndarray


@dataclass(frozen=True)
class DigitReading:
    """The digits found in one image, left to right, and the steps that found them."""

    stages: list[Stage]  # whole-image steps, ending with the kept ink and a box around each digit
    digit_stages: list[list[Stage]]  # per digit: cropped, thickened, fitted, centred 28x28
    boxes: list[tuple[int, int, int, int]]  # (x, y, width, height) of each digit, input pixels

    @property
    def digits(self) -> np.ndarray:
        """(N, 28, 28) float32 in [0, 1], white on black: what the model sees."""
        return np.stack([stages[-1].image for stages in self.digit_stages])


@dataclass(frozen=True)
class _Ink:
    gray: np.ndarray  # (H, W) uint8, denoised, at working size
    background: np.ndarray  # (H, W) uint8, the paper's estimated brightness
    contrast: np.ndarray  # (H, W) float32 in [0, 1], how strongly each pixel is ink
    mask: np.ndarray  # (H, W) bool, above the threshold or connected to it by fainter ink
    scale: float  # working size / input size


def prepare_digit(image: np.ndarray) -> np.ndarray:
    """Turn a photo or drawing of one digit into MNIST's format.

    ``image`` is uint8 (H, W), (H, W, 1), (H, W, 3) RGB or (H, W, 4) RGBA, any size. Returns a
    (28, 28) float32 array in [0, 1], white digit on black. Raises ``NoDigitError`` when there is
    no digit to read, and ``ValueError`` for arrays that are not such images.
    """
    return prepare_digit_stages(image)[-1].image


def prepare_digit_stages(image: np.ndarray) -> list[Stage]:
    """Every step of ``prepare_digit``, in order; the last stage's image is its result.

    All the ink that was kept counts as one digit. Stage images are uint8 (H, W) or (H, W, 3),
    except the last: (28, 28) float32 in [0, 1].
    """
    ink = _find_ink(image)
    labels, components = _digit_components(ink.mask)
    kept = np.isin(labels, [c.label for c in components])
    x, y, width, height = _union_box(components)
    crop = kept[y : y + height, x : x + width]
    return _ink_stages(ink, kept, [(x, y, width, height)]) + _crop_stages(crop)


def prepare_digits(image: np.ndarray) -> DigitReading:
    """Find every digit in a row ("2026"), left to right, each prepared like ``prepare_digit``.

    Components that overlap a lot horizontally (the bar and body of a 5) count as one digit.
    """
    ink = _find_ink(image)
    labels, components = _digit_components(ink.mask)
    groups = _columns(components)
    boxes = [_union_box(group) for group in groups]
    digit_stages = [
        _crop_stages(np.isin(labels[y : y + height, x : x + width], [c.label for c in group]))
        for group, (x, y, width, height) in zip(groups, boxes)
    ]
    kept = np.isin(labels, [c.label for c in components])
    input_boxes = [tuple(int(round(v / ink.scale)) for v in box) for box in boxes]
    return DigitReading(_ink_stages(ink, kept, boxes), digit_stages, input_boxes)


def predict_probabilities(model, digits: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10) for (N, 28, 28) digits, calling the model directly.

    ``model(x, training=False)`` skips ``model.predict``'s per-call setup: for one image it is
    several times faster.
    """
    if digits.ndim == 2:
        digits = digits[None]  # (28, 28) -> (1, 28, 28)
    x = np.asarray(digits, dtype=np.float32)[..., None]  # (N, 28, 28, 1)
    return np.asarray(model(x, training=False), dtype=np.float32)


def synthetic_snapshot(
    ink: np.ndarray,
    rng: np.random.Generator | int = 0,
    size: tuple[int, int] = (480, 640),
    height_fraction: tuple[float, float] = (0.35, 0.6),
) -> np.ndarray:
    """A webcam-like photo of white-on-black ``ink`` (an MNIST digit, or a row of them) on paper.

    The ink (h, w) uint8 is scaled up so that its height is a random ``height_fraction`` of the
    frame, written in dark ink at a random place on lit paper, under a lighting gradient, then
    blurred, made noisy and JPEG-compressed. Returns (height, width, 3) uint8 RGB.
    """
    import cv2

    rng = np.random.default_rng(rng)
    height, width = size
    target = rng.uniform(*height_fraction) * height
    scale = min(target / ink.shape[0], 0.95 * width / ink.shape[1])
    ink_h, ink_w = max(1, round(ink.shape[0] * scale)), max(1, round(ink.shape[1] * scale))
    alpha = np.zeros(size, np.float32)
    top, left = rng.integers(0, height - ink_h + 1), rng.integers(0, width - ink_w + 1)
    big = cv2.resize(ink, (ink_w, ink_h), interpolation=cv2.INTER_CUBIC)
    alpha[top : top + ink_h, left : left + ink_w] = np.clip(big, 0, 255) / 255.0
    paper, dark = rng.uniform(0.8, 0.95), rng.uniform(0.05, 0.25)
    reflectance = paper * (1 - alpha) + dark * alpha  # (H, W)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * np.arange(width, dtype=np.float32) / width + (
        np.sin(angle) * np.arange(height, dtype=np.float32)[:, None] / height
    )  # (H, W): a linear lighting gradient in a random direction
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    dim = rng.uniform(0.4, 0.8)  # The darkest corner gets this fraction of the light.
    light = rng.uniform(240, 280) * (dim + (1 - dim) * ramp)
    photo = cv2.GaussianBlur(light * reflectance, (0, 0), rng.uniform(0.8, 2.0))
    photo = photo + rng.standard_normal(size, dtype=np.float32) * rng.uniform(2, 6)
    tint = np.array([1.0, rng.uniform(0.94, 1.0), rng.uniform(0.82, 0.96)], np.float32)
    photo = photo[..., None] * tint  # (H, W, 3): warm indoor light
    rgb = np.clip(photo, 0, 255).astype(np.uint8)
    quality = int(rng.integers(55, 91))
    _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.cvtColor(cv2.imdecode(jpeg, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def probability_figure(probabilities: np.ndarray, title: str = "What the model thinks"):
    """A plotly bar chart of the ten class probabilities, the most likely digit highlighted."""
    import plotly.graph_objects as go

    probabilities = np.asarray(probabilities, dtype=float).reshape(-1)
    best = int(np.argmax(probabilities))
    colors = ["#e4572e" if i == best else "#7f8c9a" for i in range(len(probabilities))]
    figure = go.Figure(
        go.Bar(
            x=[str(i) for i in range(len(probabilities))],
            y=probabilities,
            marker_color=colors,
            text=[f"{p:.0%}" for p in probabilities],
            textposition="outside",
        )
    )
    figure.update_layout(
        title=title, xaxis_title="digit", yaxis_title="probability", yaxis_range=[0, 1.15],
        height=300, margin=dict(l=10, r=10, t=40, b=10),
    )
    return figure


# --- 1-4: from any image to an ink mask -------------------------------------------------------


def _find_ink(image: np.ndarray) -> _Ink:
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
            f"The picture is almost uniform (its grey levels span only {high - low:.0f} of 255): "
            "blank paper, an empty canvas or a dark frame has no digit to read. Write a digit in "
            "dark ink on light paper, light it well, and let it fill about half the frame."
        )
    dark_ink = _is_dark_ink(gray)
    background = _background(gray, dark_ink)
    paper, pixels = background.astype(np.float32), gray.astype(np.float32)
    if dark_ink:
        contrast = (paper - pixels) / np.maximum(paper, 96.0)  # Ink reflects less than the paper.
    else:
        contrast = (pixels - paper) / np.maximum(255.0 - paper, 96.0)
    contrast = np.clip(contrast, 0.0, 1.0)
    return _Ink(gray, background, contrast, _hysteresis(contrast, _threshold(contrast)), scale)


def _to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 (H, W), (H, W, 1), RGB or RGBA -> (H, W) uint8; transparency is composited."""
    import cv2

    _check_image(image)
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[..., 0]
    gray = cv2.cvtColor(np.ascontiguousarray(image[..., :3]), cv2.COLOR_RGB2GRAY)
    if image.shape[2] == 3:
        return gray
    return _composite(gray, image[..., 3])


def _check_image(image) -> None:
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a numpy array holding an image, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got dtype {image.dtype}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"expected a grayscale (H, W), RGB (H, W, 3) or RGBA (H, W, 4) image, got shape {image.shape}"
        )
    if min(image.shape[:2]) < 8:
        raise ValueError(f"the image is too small to hold a digit: {image.shape[1]}x{image.shape[0]} pixels")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ValueError(
            f"the image has {image.shape[0] * image.shape[1] / 1e6:.0f} MP; at most {MAX_PIXELS / 1e6:.0f} MP is allowed"
        )


def _composite(gray: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Put strokes drawn on a transparent canvas onto a backdrop that contrasts with them."""
    if alpha.min() == 255:
        return gray
    drawn = alpha > 127
    if not drawn.any():
        raise NoDigitError("The drawing is empty: draw a digit on the pad first.")
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


# --- 5: which ink is the digit ----------------------------------------------------------------


@dataclass(frozen=True)
class _Component:
    label: int
    x: int
    y: int
    width: int
    height: int
    area: int


def _digit_components(mask: np.ndarray) -> tuple[np.ndarray, list[_Component]]:
    """Label the ink and keep the components that belong to digits; raises NoDigitError if none.

    Specks (under 4% of the largest piece of ink) go. Ink touching the frame's edge is usually the
    paper's edge or a shadow, so it goes whenever ink away from the edges remains. Pieces much
    shorter than the tallest digit (underlines, dots) go too.
    """
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    height, width = mask.shape
    components = [_Component(i, *map(int, stats[i])) for i in range(1, count)]
    min_area = max(0.0002 * height * width, 12)
    components = [c for c in components if c.area >= min_area]
    inside = [c for c in components if not _touches_edge(c, height, width)]
    if inside:
        components = inside
    else:
        components = [c for c in components if c.width < 0.9 * width and c.height < 0.9 * height]
    if not components:
        raise NoDigitError(
            "No digit found: only specks or the paper's edges stand out. Move closer so that the "
            "digit fills about half of the frame, away from its edges, and write with a dark pen."
        )
    largest = max(c.area for c in components)
    components = [c for c in components if c.area >= 0.04 * largest]
    groups = _columns(components)
    tallest = max(_union_box(group)[3] for group in groups)
    return labels, [c for group in groups if _union_box(group)[3] >= 0.4 * tallest for c in group]


def _touches_edge(component: _Component, height: int, width: int) -> bool:
    return (
        component.x == 0
        or component.y == 0
        or component.x + component.width == width
        or component.y + component.height == height
    )


def _columns(components: list[_Component]) -> list[list[_Component]]:
    """Group components into digits, left to right: a piece that shares at least half of the
    narrower one's width with a digit joins that digit."""
    groups: list[list[_Component]] = []
    for component in sorted(components, key=lambda c: -c.area):
        for group in groups:
            x, _, width, _ = _union_box(group)
            overlap = min(x + width, component.x + component.width) - max(x, component.x)
            if overlap >= 0.5 * min(width, component.width):
                group.append(component)
                break
        else:
            groups.append([component])
    return sorted(groups, key=lambda group: _union_box(group)[0])


def _union_box(components: list[_Component]) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the smallest box around all the components."""
    left = min(c.x for c in components)
    top = min(c.y for c in components)
    right = max(c.x + c.width for c in components)
    bottom = max(c.y + c.height for c in components)
    return left, top, right - left, bottom - top


def _ink_stages(ink: _Ink, kept: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[Stage]:
    import cv2

    found = cv2.cvtColor(kept.astype(np.uint8) * 255, cv2.COLOR_GRAY2RGB)
    for x, y, width, height in boxes:
        cv2.rectangle(found, (x, y), (x + width - 1, y + height - 1), (255, 80, 40), max(1, found.shape[0] // 150))
    return [
        Stage("Grayscale, denoised", ink.gray),
        Stage("Paper brightness (lighting)", ink.background),
        Stage("Ink contrast", np.round(ink.contrast * 255).astype(np.uint8)),
        Stage("Threshold", ink.mask.astype(np.uint8) * 255),
        Stage("Digit found", found),
    ]


# --- 6: from a crop of ink to what the model sees ---------------------------------------------


def _crop_stages(crop: np.ndarray) -> list[Stage]:
    """Binary crop (h, w) -> [cropped, thickened, fitted 20x20, centred 28x28]."""
    thick = _normalize_stroke(crop)
    fitted = _fit_box(thick)
    box = np.zeros((BOX, BOX), np.float32)
    top, left = (BOX - fitted.shape[0]) // 2, (BOX - fitted.shape[1]) // 2
    box[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    return [
        Stage("Cropped", crop.astype(np.uint8) * 255),
        Stage("Strokes at MNIST's width", thick.astype(np.uint8) * 255),
        Stage("Fitted into 20x20", np.round(box * 255).astype(np.uint8)),
        Stage("28x28, centred by mass: what the model sees", _centre_by_mass(fitted)),
    ]


def _normalize_stroke(crop: np.ndarray) -> np.ndarray:
    """Thicken strokes thinner than MNIST's (a fine pen on a big digit) to STROKE_RATIO.

    Stroke width is estimated as 2 * area / perimeter, exact for a long thin stroke.
    """
    import cv2

    mask = crop.astype(np.uint8)
    longer = max(mask.shape)
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    stroke = 2.0 * mask.sum() / max(perimeter, 1.0)
    if stroke >= MIN_STROKE_RATIO * longer:
        return crop.astype(bool)
    grow = int(round(STROKE_RATIO * longer - stroke))
    pad = grow // 2 + 1
    mask = cv2.copyMakeBorder(mask, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow + 1, grow + 1))
    return cv2.dilate(mask, kernel).astype(bool)


def _fit_box(mask: np.ndarray) -> np.ndarray:
    """Binary (h, w) -> float32 with the longer side 20, anti-aliased like MNIST's grey edges."""
    import cv2

    ys, xs = np.nonzero(mask)
    mask = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].astype(np.float32)
    height, width = mask.shape
    factor = BOX / max(height, width)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    if factor < 1:
        # Soften the edges first, as MNIST's scanning and anti-aliasing did, then average.
        mask = cv2.GaussianBlur(mask, (0, 0), 0.5 / factor)
        return np.clip(cv2.resize(mask, size, interpolation=cv2.INTER_AREA), 0, 1)
    return np.clip(cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR), 0, 1)


def _centre_by_mass(fitted: np.ndarray) -> np.ndarray:
    """Place a (h, w) digit, h and w <= 20, in a 28x28 frame with its centre of mass at (14, 14)."""
    height, width = fitted.shape
    rows, cols = np.indices(fitted.shape)
    mass = fitted.sum()
    top = int(round(CENTRE - (rows * fitted).sum() / mass))
    left = int(round(CENTRE - (cols * fitted).sum() / mass))
    top, left = min(max(top, 0), FRAME - height), min(max(left, 0), FRAME - width)
    frame = np.zeros((FRAME, FRAME), np.float32)
    frame[top : top + height, left : left + width] = fitted
    return frame
