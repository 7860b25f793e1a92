"""Kernel presets for the concept pages, and parsing of a kernel typed into a grid of cells.

A preset is a (k, k) float array for k = 3 or 5. ``preset_kernel`` stacks it over the input
channels into the (k, k, C_in) slice of one filter, and ``format_grid`` / ``parse_grid`` turn a
kernel into editable cell strings and back ("1/9" and "-0.25" are both accepted).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from cnn_core.i18n import N_, LabError

# The names are stable keys (session state and tests use them); N_ marks them so pages can show
# them translated.
PRESETS = (
    N_("cross (textbook)"),
    N_("identity"),
    N_("vertical edge"),
    N_("horizontal edge"),
    N_("sharpen"),
    N_("box blur"),
    N_("Gaussian blur"),
    N_("random"),
)
KERNEL_SIZES = (3, 5)
_BINOMIAL = {3: np.array([1.0, 2.0, 1.0]), 5: np.array([1.0, 4.0, 6.0, 4.0, 1.0])}
_DERIVATIVE = {3: np.array([-1.0, 0.0, 1.0]), 5: np.array([-1.0, -2.0, 0.0, 2.0, 1.0])}
# A 5x5 sharpen whose weights sum to 1, so flat regions keep their value.
_SHARPEN_5 = (
    np.array(
        [
            [-1, -1, -1, -1, -1],
            [-1, 2, 2, 2, -1],
            [-1, 2, 8, 2, -1],
            [-1, 2, 2, 2, -1],
            [-1, -1, -1, -1, -1],
        ]
    )
    / 8.0
)


class GridError(LabError):
    """A kernel cell that is not a finite number; the message names the cell (in any language)."""


def kernel_preset(name: str, size: int = 3, seed: int = 0) -> np.ndarray:
    """The (size, size) preset ``name`` from ``PRESETS``; size is 3 or 5.

    Edges are Sobel filters (positive on the right / bottom side), the blurs sum to 1, and
    "random" draws uniform weights in [-1, 1] rounded to 2 decimals from ``seed``.

    >>> kernel_preset("vertical edge").astype(int).tolist()
    [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    >>> float(kernel_preset("Gaussian blur", 5).sum())
    1.0
    """
    if size not in KERNEL_SIZES:
        raise ValueError(f"kernel size must be one of {KERNEL_SIZES}, got {size!r}")
    if name == "cross (textbook)":
        eye = np.eye(size)
        return np.maximum(eye, eye[::-1])
    if name == "identity":
        kernel = np.zeros((size, size))
        kernel[size // 2, size // 2] = 1.0
        return kernel
    if name == "vertical edge":
        return np.outer(_BINOMIAL[size], _DERIVATIVE[size])  # (k, k): smooth rows, differentiate columns
    if name == "horizontal edge":
        return np.outer(_DERIVATIVE[size], _BINOMIAL[size])
    if name == "sharpen":
        if size == 5:
            return _SHARPEN_5.copy()
        return np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]])
    if name == "box blur":
        return np.full((size, size), 1.0 / size**2)
    if name == "Gaussian blur":
        weights = np.outer(_BINOMIAL[size], _BINOMIAL[size])
        return weights / weights.sum()
    if name == "random":
        return np.round(np.random.default_rng(seed).uniform(-1.0, 1.0, (size, size)), 2)
    raise ValueError(f"unknown kernel preset {name!r}; choose one of {list(PRESETS)}")


def preset_kernel(name: str, size: int = 3, channels: int = 1, seed: int = 0) -> np.ndarray:
    """One filter's (size, size, channels) kernel: the preset on every input channel.

    The output of such a filter is the sum of the preset applied to each channel. "random" draws
    a different kernel per channel (seeds ``seed``, ``seed + 1``, ...).
    """
    if not isinstance(channels, (int, np.integer)) or channels < 1:
        raise ValueError(f"channels must be a positive int, got {channels!r}")
    slices = [kernel_preset(name, size, seed + c if name == "random" else seed) for c in range(channels)]
    return np.stack(slices, axis=-1)  # (k, k, C_in)


def format_number(value: float) -> str:
    """A short, exact-when-possible cell string: "1", "-0.25", "1/9" (else 4 significant digits)."""
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    short = repr(value)
    if len(short.lstrip("-")) <= 6:
        return short
    fraction = Fraction(value).limit_denominator(1024)
    if float(fraction) == value:
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{value:.4g}"


def format_grid(kernel: np.ndarray) -> list[list[str]]:
    """A (k, k) kernel -> rows of cell strings that ``parse_grid`` reads back exactly."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 2:
        raise ValueError(f"kernel must be 2-D (rows, columns), got shape {kernel.shape}")
    return [[format_number(v) for v in row] for row in kernel]


def parse_cell(cell) -> float:
    """One cell (a number, or text such as "2", "-0.5", "1/9", "1e-3", "0,5") -> a finite float."""
    if isinstance(cell, (int, float, np.integer, np.floating)) and not isinstance(cell, bool):
        value = float(cell)
    else:
        text = "" if cell is None else str(cell).strip().replace("\u2212", "-").replace(",", ".")
        if not text:
            raise GridError(N_("is empty"))
        if not re.fullmatch(r"[0-9eE+\-./ ]+", text):
            raise GridError(N_("{cell} is not a number"), cell=repr(cell))
        try:
            value = _ratio(text.replace(" ", ""))
        except (ValueError, ZeroDivisionError):
            raise GridError(N_("{cell} is not a number"), cell=repr(cell)) from None
    if not math.isfinite(value):
        raise GridError(N_("{cell} is not a finite number"), cell=repr(cell))
    return value


def _ratio(text: str) -> float:
    """ "a" or "a/b" (a, b decimal numbers) -> a / b as a float.

    Each part is read with ``float``, not ``Fraction``: ``Fraction("1e9999999")`` builds a
    ten-million-digit integer (seconds of CPU, then an OverflowError), where ``float`` gives inf
    at once. Integer parts below 2**53 are exact, so "1/9" is still the nearest float to 1/9.
    """
    parts = text.split("/")
    if len(parts) > 2:
        raise ValueError(f"more than one '/' in {text!r}")
    numbers = [float(part) for part in parts]
    return numbers[0] if len(numbers) == 1 else numbers[0] / numbers[1]


def parse_grid(cells) -> np.ndarray:
    """Rows of cells (strings or numbers) -> a (rows, cols) float array.

    Raises ``GridError`` naming the first bad cell (1-based), e.g. "row 2, column 3: 'x' is
    not a number", or saying that the rows are ragged or empty.

    >>> parse_grid([["1", "0"], ["-1/2", " 2.5 "]]).tolist()
    [[1.0, 0.0], [-0.5, 2.5]]
    """
    rows = [list(row) for row in cells]
    if not rows or not rows[0]:
        raise GridError(N_("the grid is empty"))
    width = len(rows[0])
    values = np.empty((len(rows), width))
    for r, row in enumerate(rows):
        if len(row) != width:
            raise GridError(N_("row {row} has {count} cells, expected {width}"), row=r + 1, count=len(row), width=width)
        for c, cell in enumerate(row):
            try:
                values[r, c] = parse_cell(cell)
            except GridError as exc:
                raise GridError(
                    N_("row {row}, column {column}: {reason}"), row=r + 1, column=c + 1, reason=exc
                ) from None
    return values
