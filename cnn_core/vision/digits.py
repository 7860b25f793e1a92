"""Read handwritten digits from photos and drawings the way MNIST's digits were made.

MNIST's digits are white ink on black, scaled to fit a 20x20 box (aspect ratio kept, edges
anti-aliased into grey levels) and placed in a 28x28 frame with their centre of mass at the centre.
A camera snapshot is none of that: dark ink on grey paper, lit unevenly, anywhere in the frame, at
any size. ``prepare_digit`` bridges the gap in visible steps:

1. grayscale and denoise (steps 1-4 live in ``cnn_core.vision.ink``);
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

from cnn_core.i18n import N_
from cnn_core.vision.ink import Ink, NoDigitError, find_ink

BOX = 20  # MNIST's digits fit a 20x20 box...
FRAME = 28  # ...inside a 28x28 frame,
CENTRE = 14.0  # with the centre of mass at pixel (14, 14) (MNIST's test set: 14.0 +- 0.3).
STROKE_RATIO = 0.10  # MNIST's stroke width over its digit's longer side (median 0.11, 5th pct 0.07).
MIN_STROKE_RATIO = 0.07  # Strokes thinner than this are thickened to STROKE_RATIO.


class Stage(NamedTuple):
    """One visible preprocessing step: a short name (an English template; show it translated) and its image."""

    name: str
    image: np.ndarray


@dataclass(frozen=True)
class DigitRow:
    """The digits found in one image, left to right, and the steps that found them."""

    stages: list[Stage]  # whole-image steps, ending with the kept ink and a box around each digit
    digit_stages: list[list[Stage]]  # per digit: cropped, thickened, fitted, centred 28x28
    boxes: list[tuple[int, int, int, int]]  # (x, y, width, height) of each digit, input pixels

    @property
    def digits(self) -> np.ndarray:
        """(N, 28, 28) float32 in [0, 1], white on black: what the model sees."""
        return np.stack([stages[-1].image for stages in self.digit_stages])


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
    ink = find_ink(image)
    labels, components = _digit_components(ink.mask)
    kept = np.isin(labels, [c.label for c in components])
    x, y, width, height = _union_box(components)
    crop = kept[y : y + height, x : x + width]
    return _ink_stages(ink, kept, [(x, y, width, height)]) + _crop_stages(crop)


def prepare_digits(image: np.ndarray) -> DigitRow:
    """Find every digit in a row ("2026"), left to right, each prepared like ``prepare_digit``.

    Components that overlap a lot horizontally (the bar and body of a 5) count as one digit.
    """
    ink = find_ink(image)
    labels, components = _digit_components(ink.mask)
    groups = _columns(components)
    boxes = [_union_box(group) for group in groups]
    digit_stages = [
        _crop_stages(np.isin(labels[y : y + height, x : x + width], [c.label for c in group]))
        for group, (x, y, width, height) in zip(groups, boxes)
    ]
    kept = np.isin(labels, [c.label for c in components])
    input_boxes = [tuple(int(round(v / ink.scale)) for v in box) for box in boxes]
    return DigitRow(_ink_stages(ink, kept, boxes), digit_stages, input_boxes)


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
            N_(
                "No digit found: only specks or the paper's edges stand out. Move closer so that the "
                "digit fills about half of the frame, away from its edges, and write with a dark pen."
            )
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


def _ink_stages(ink: Ink, kept: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> list[Stage]:
    import cv2

    found = cv2.cvtColor(kept.astype(np.uint8) * 255, cv2.COLOR_GRAY2RGB)
    for x, y, width, height in boxes:
        cv2.rectangle(found, (x, y), (x + width - 1, y + height - 1), (255, 80, 40), max(1, found.shape[0] // 150))
    return [
        Stage(N_("Grayscale, denoised"), ink.gray),
        Stage(N_("Paper brightness (lighting)"), ink.background),
        Stage(N_("Ink contrast"), np.round(ink.contrast * 255).astype(np.uint8)),
        Stage(N_("Threshold"), ink.mask.astype(np.uint8) * 255),
        Stage(N_("Digit found"), found),
    ]


def _crop_stages(crop: np.ndarray) -> list[Stage]:
    """Binary crop (h, w) -> [cropped, thickened, fitted 20x20, centred 28x28]."""
    thick = _normalize_stroke(crop)
    fitted = _fit_box(thick)
    box = np.zeros((BOX, BOX), np.float32)
    top, left = (BOX - fitted.shape[0]) // 2, (BOX - fitted.shape[1]) // 2
    box[top : top + fitted.shape[0], left : left + fitted.shape[1]] = fitted
    return [
        Stage(N_("Cropped"), crop.astype(np.uint8) * 255),
        Stage(N_("Strokes at MNIST's width"), thick.astype(np.uint8) * 255),
        Stage(N_("Fitted into 20x20"), np.round(box * 255).astype(np.uint8)),
        Stage(N_("28x28, centred by mass: what the model sees"), _centre_by_mass(fitted)),
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
