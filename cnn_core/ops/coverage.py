"""Which input cells the windows of a strided convolution ever see, and why some are never seen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnn_core.ops.checks import check_pair
from cnn_core.ops.shapes import output_shape, pad_amounts


@dataclass(frozen=True)
class Coverage:
    """The windows slid over an (H, W) input and the real cells that none of them covers.

    ``gap`` is how many columns two neighbouring windows jump over (s - k when the stride is
    larger than the window); ``leftover`` is how many padded columns remain after the last window,
    too few for another jump, and ``room`` = i + p_before + p_after - k is the span the window's
    corner can travel along a row.
    """

    pads: tuple[int, int, int, int]  # zeros (top, bottom, left, right)
    padded_shape: tuple[int, int]
    corners: tuple[tuple[int, int], ...]  # (top, left) of every window, row by row
    counts: np.ndarray  # (Hp, Wp) ints: how many windows cover each padded cell
    unseen: int  # real input cells that no window covers
    gap: int
    leftover: int
    last_window: tuple[int, int]  # first and last padded column of the last window in a row
    room: int


def window_coverage(padded_shape: tuple[int, int], corners: Sequence[tuple[int, int]], kernel_size) -> np.ndarray:
    """How many windows cover each cell of the padded input: (Hp, Wp) ints; 0 = never seen.

    ``corners`` are the (top, left) of the windows visited, e.g. from the frames of ``conv_steps``.

    >>> window_coverage((3, 4), [(0, 0), (0, 2)], 2).tolist()
    [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]]
    """
    kh, kw = check_pair(kernel_size, "kernel_size")
    counts = np.zeros(padded_shape, dtype=int)
    for top, left in corners:
        counts[top : top + kh, left : left + kw] += 1
    return counts


def coverage(input_shape, kernel_size: int, strides: int = 1, padding="valid") -> Coverage:
    """Every window of a ``kernel_size`` window slid over an (H, W, ...) input, and what it misses.

    >>> c = coverage((12, 12), 3, 4, "same")
    >>> c.unseen, c.gap, len(c.corners)
    (63, 1, 9)
    >>> coverage((6, 6), 3, 2).unseen, coverage((6, 6), 3, 2).leftover
    (11, 1)
    """
    (kh, kw), (sh, sw) = check_pair(kernel_size, "kernel_size"), check_pair(strides, "strides")
    h_out, w_out = output_shape(input_shape, (kh, kw), (sh, sw), padding)
    top, bottom, left, right = pads = pad_amounts(input_shape, (kh, kw), (sh, sw), padding)
    padded_shape = (int(input_shape[0]) + top + bottom, int(input_shape[1]) + left + right)
    corners = tuple((r * sh, c * sw) for r in range(h_out) for c in range(w_out))
    counts = window_coverage(padded_shape, corners, (kh, kw))
    real = counts[top : padded_shape[0] - bottom, left : padded_shape[1] - right]
    last_end = (w_out - 1) * sw + kw  # Padded columns covered up to the end of a row's last window.
    return Coverage(
        pads,
        padded_shape,
        corners,
        counts,
        int((real == 0).sum()),
        max(sw - kw, 0),
        padded_shape[1] - last_end,
        (last_end - kw, last_end - 1),
        padded_shape[1] - kw,
    )
