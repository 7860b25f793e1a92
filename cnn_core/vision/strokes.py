"""Strokes at MNIST's width whatever the pen: thin the ink to its skeleton and redraw it.

A thick marker fills the loop of a 9 until it reads as a 3, and a fine pen leaves a line too thin
to survive the 20x20 fit. Both come back to MNIST's look in three steps:

1. thin the binary ink to a one-pixel skeleton (scikit-image's ``skeletonize``, Zhang's thinning
   on 2-D images; it keeps every loop that the ink still has, however thick the strokes are);
2. cut the spurs that thinning grows at a thick stroke's blunt end or corner (twigs under
   ``SPUR`` of the stroke's width); longer cuts also took real arms off thick 3s and 5s;
3. redraw the skeleton with a round pen ``STROKE_WIDTH`` of the digit's longer side wide;
4. fit into 20x20 and centre by mass in 28x28, as ``cnn_core.vision.digits`` does.

scikit-image is a pure wheel beside OpenCV; OpenCV's own thinning lives in opencv-contrib, whose
wheel replaces (and clashes with) the opencv-python-headless that the app installs.
"""

from __future__ import annotations

import numpy as np

from cnn_core.vision.digits import DigitRow, _centre_by_mass, _fit_box, prepare_digit_stages

# The pen's width over the redrawn digit's longer side. MNIST's test digits measure 2.65 px
# (ink above half intensity over skeleton length; 10th-90th percentile 1.9-3.8) at 28x28; this
# ratio gives 2.67 px after the 20x20 fit's anti-aliasing, for thin, normal and thick pens alike.
STROKE_WIDTH = 0.11
# Twigs shorter than this fraction of the stroke's width are spurs. On MNIST digits photographed
# with pens up to a thick marker, 0.3 read as well as no pruning and 1.0 cost 5 points.
SPUR = 0.3


def skeleton(mask: np.ndarray) -> np.ndarray:
    """(h, w) bool ink -> (h, w) bool, one pixel wide, with the same loops and branches."""
    from skimage.morphology import skeletonize

    return skeletonize(np.asarray(mask, bool))


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels: ink area over skeleton length (a long even stroke's width).

    >>> bar = np.zeros((9, 40), bool); bar[3:6, 5:35] = True  # 3 px wide, 30 long
    >>> round(stroke_width(bar))
    3
    """
    mask = np.asarray(mask, bool)
    return float(mask.sum() / max(int(skeleton(mask).sum()), 1))


def prune_spurs(bones: np.ndarray, length: float) -> np.ndarray:
    """(h, w) bool skeleton -> the same without twigs of fewer than ``length`` pixels.

    A twig runs from an end point to a junction (3 or more neighbours); the shortest go first,
    and one is cut only while its junction still joins other branches.

    >>> bones = np.zeros((12, 12), bool); bones[6, 1:11] = True; bones[3:6, 5] = True  # a line and a twig
    >>> int(bones.sum()), int(prune_spurs(bones, 3).sum()), int(prune_spurs(bones, 2).sum())
    (13, 11, 13)
    """
    bones = np.pad(np.asarray(bones, bool), 1)  # (h + 2, w + 2): every pixel has 8 neighbours
    offsets = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]

    def neighbours(y: int, x: int) -> list[tuple[int, int]]:
        return [(y + dy, x + dx) for dy, dx in offsets if bones[y + dy, x + dx]]

    twigs = []
    for y, x in zip(*np.nonzero(bones)):
        if len(neighbours(y, x)) == 1:
            path, previous = [(y, x)], None
            while len(path) <= length:
                ahead = [p for p in neighbours(*path[-1]) if p != previous and p not in path]
                if len(ahead) != 1 or len(neighbours(*ahead[0])) >= 3:
                    break
                previous = path[-1]
                path.append(ahead[0])
            ahead = [p for p in neighbours(*path[-1]) if p not in path]
            if len(path) < length and len(ahead) == 1 and len(neighbours(*ahead[0])) >= 3:
                twigs.append((path, ahead[0]))
    for path, junction in sorted(twigs, key=lambda twig: len(twig[0])):
        if len(neighbours(*junction)) >= 3 and all(bones[p] for p in path):
            for p in path:
                bones[p] = False
    return bones[1:-1, 1:-1]


def redraw_strokes(mask: np.ndarray, width_ratio: float = STROKE_WIDTH) -> np.ndarray:
    """(h, w) bool ink -> (h', w') bool: its skeleton drawn with a round pen of MNIST's width.

    The pen is ``width_ratio`` of the redrawn digit's longer side ``L`` wide. The skeleton spans
    ``L - width``, so ``width = width_ratio * span / (1 - width_ratio)``. The result is padded so
    that the pen never leaves the array.
    """
    import cv2

    if not 0 < width_ratio < 0.5:
        raise ValueError(f"width_ratio must be in (0, 0.5), got {width_ratio}")
    mask = np.asarray(mask, bool)
    bones = skeleton(mask)
    if not bones.any():
        raise ValueError("the mask holds no ink to redraw")
    bones = prune_spurs(bones, SPUR * mask.sum() / bones.sum())
    ys, xs = np.nonzero(bones)
    span = max(ys.max() - ys.min(), xs.max() - xs.min()) + 1
    width = max(width_ratio * span / (1 - width_ratio), 1.0)
    radius = int(round((width - 1) / 2))
    pad = radius + 1
    bones = np.pad(bones, pad).astype(np.uint8)  # (h + 2 pad, w + 2 pad)
    pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(bones, pen).astype(bool)


def centred_strokes(crop: np.ndarray) -> np.ndarray:
    """Binary crop of one digit (h, w) -> (28, 28) float32 in [0, 1]: redrawn, fitted, centred."""
    return _centre_by_mass(_fit_box(redraw_strokes(crop)))


def prepare_digit_strokes(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``prepare_digit`` and the same digit with its strokes redrawn at MNIST's width.

    Returns two (28, 28) float32 arrays in [0, 1]: the plain preparation and the redrawn one.
    Raises ``NoDigitError`` like ``prepare_digit``.
    """
    stages = prepare_digit_stages(image)
    return stages[-1].image, centred_strokes(_cropped(stages))


def row_strokes(row: DigitRow) -> np.ndarray:
    """The digits of a ``prepare_digits`` row with their strokes redrawn: (N, 28, 28) float32."""
    return np.stack([centred_strokes(_cropped(stages)) for stages in row.digit_stages])


def _cropped(stages) -> np.ndarray:
    """The binary crop of the digit among ``prepare_digit``'s stages (the stage named "Cropped")."""
    crop = next(stage.image for stage in stages if stage.name == "Cropped")
    return crop > 0
