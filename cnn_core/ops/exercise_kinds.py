"""The five kinds of exercise: how each draws its numbers, finds its answer with the ops, asks, and shows the working.

A kind is four functions, gathered in ``RULES``: ``draw(rng)`` returns the numbers, or None for a
draw that would make a poor question (``make_exercise`` then draws again); ``solve(params)`` gets
the answer from the engine's own ops; ``ask(params, language)`` and ``work(params, answer,
language)`` render the prompt and the working's words from ``N_`` templates. The working's
arithmetic is plain text and LaTeX without words, so KaTeX never sees Hangul.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from cnn_core.i18n import N_, translate
from cnn_core.ops.formulas import format_value
from cnn_core.ops.shapes import conv_output_size, conv_param_count, same_padding
from cnn_core.ops.sliding import conv2d, pool2d

PADDINGS = ("valid", "same", 0, 1, 2)
IN_CHANNELS = (1, 3, 8, 16, 32, 64)  # a grey image, an RGB image, then feature maps
FILTERS = (8, 16, 32, 64, 128)


@dataclass(frozen=True)
class WorkedStep:
    """One line of the working: what is done, in words, then the arithmetic as plain text and as LaTeX."""

    text: str
    math: str
    latex: str


def _pick(rng: np.random.Generator, choices):
    """One of ``choices``, keeping its Python type (rng.choice would turn 1 into numpy.int64)."""
    return choices[int(rng.integers(len(choices)))]


def _rows(grid: np.ndarray) -> tuple[tuple[int, ...], ...]:
    """A 2-D int array as row tuples of plain ints (hashable, JSON-ready)."""
    return tuple(tuple(int(v) for v in row) for row in grid)


def grid_text(grid) -> str:
    """A grid written plainly, row by row, as Python and numpy print it.

    >>> grid_text(((1, -2), (0, 3)))
    '[[1, -2], [0, 3]]'
    """
    return "[" + ", ".join("[" + ", ".join(str(v) for v in row) + "]" for row in grid) + "]"


def _signed(value) -> str:
    """A number, in parentheses when negative, for a term of a sum or product: "3", "(-2)"."""
    text = format_value(value)
    return f"({text})" if text.startswith("-") else text


# 1. output_size -------------------------------------------------------------------------------


def _draw_output_size(rng):
    input_size = int(rng.integers(3, 13))
    kernel_size = int(rng.integers(1, min(5, input_size) + 1))  # The window fits without padding.
    strides = int(rng.integers(1, 4))
    padding = _pick(rng, PADDINGS)
    if kernel_size == 1 and strides == 1:
        return None  # The output is the input, whatever the padding adds: nothing to work out.
    if isinstance(padding, int) and padding >= kernel_size:
        return None  # Beyond k - 1 zeros ("full" padding) some outputs would see only zeros.
    return {"input_size": input_size, "kernel_size": kernel_size, "strides": strides, "padding": padding}


def _solve_output_size(p) -> int:
    return conv_output_size(p["input_size"], p["kernel_size"], p["strides"], p["padding"])


_ASK_OUTPUT_SIZE = {
    "valid": N_(
        "A {kernel_size}×{kernel_size} window slides over an input of {input_size}×{input_size} pixels "
        'with stride {strides} and padding "valid" (no zeros added). '
        "How many outputs are there along each side? Answer with one number."
    ),
    "same": N_(
        "A {kernel_size}×{kernel_size} window slides over an input of {input_size}×{input_size} pixels "
        'with stride {strides} and padding "same". '
        "How many outputs are there along each side? Answer with one number."
    ),
    "int": N_(
        "A {kernel_size}×{kernel_size} window slides over an input of {input_size}×{input_size} pixels "
        "with stride {strides} and padding={padding} (that many zeros on every side). "
        "How many outputs are there along each side? Answer with one number."
    ),
}


def _ask_output_size(p, language: str) -> str:
    template = _ASK_OUTPUT_SIZE[p["padding"] if isinstance(p["padding"], str) else "int"]
    return translate(template, language, **p)


def _work_output_size(p, out: int, language: str) -> Iterator[WorkedStep]:
    i, k, s = p["input_size"], p["kernel_size"], p["strides"]
    if p["padding"] == "same":
        before, after = same_padding(i, k, s)
        yield WorkedStep(
            translate(
                N_('Padding "same" adds just enough zeros for ceil(i / s) outputs (i: input, s: stride):'), language
            ),
            f"o = ceil(i / s) = ceil({i} / {s}) = {out}",
            rf"o = \left\lceil \frac{{i}}{{s}} \right\rceil = \left\lceil \frac{{{i}}}{{{s}}} \right\rceil = {out}",
        )
        yield WorkedStep(
            translate(
                N_("Check: with {before} zeros before and {after} after, the window fits this many times:"),
                language,
                before=before,
                after=after,
            ),
            f"floor(({i} + {before} + {after} - {k}) / {s}) + 1 = {out}",
            rf"\left\lfloor \frac{{{i} + {before} + {after} - {k}}}{{{s}}} \right\rfloor + 1 = {out}",
        )
        return
    pad = 0 if p["padding"] == "valid" else p["padding"]
    if p["padding"] == "valid":
        words = N_('Padding "valid" adds no zeros (p = 0). For input i, kernel k, p zeros a side and stride s:')
    else:
        words = N_("Here p = {p} zeros on each side. For input i, kernel k, p zeros a side and stride s:")
    yield WorkedStep(
        translate(words, language, p=pad),
        "o = floor((i + 2p - k) / s) + 1",
        r"o = \left\lfloor \frac{i + 2p - k}{s} \right\rfloor + 1",
    )
    n = i + 2 * pad - k
    yield WorkedStep(
        translate(N_("With the numbers:"), language),
        f"o = floor(({i} + 2*{pad} - {k}) / {s}) + 1 = floor({n} / {s}) + 1 = {n // s} + 1 = {out}",
        rf"o = \left\lfloor \frac{{{i} + 2 \cdot {pad} - {k}}}{{{s}}} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{n}}}{{{s}}} \right\rfloor + 1 = {n // s} + 1 = {out}",
    )


# 2. same_padding ------------------------------------------------------------------------------


def _draw_same_padding(rng):
    input_size = int(rng.integers(3, 13))
    kernel_size = int(rng.integers(2, min(5, input_size) + 1))
    strides = int(rng.integers(1, 4))
    if same_padding(input_size, kernel_size, strides) == (0, 0):
        return None  # No zeros to place.
    return {"input_size": input_size, "kernel_size": kernel_size, "strides": strides}


def _solve_same_padding(p) -> tuple[int, int]:
    return same_padding(p["input_size"], p["kernel_size"], p["strides"])


def _ask_same_padding(p, language: str) -> str:
    template = N_(
        "A {kernel_size}-wide window slides along a row of {input_size} pixels "
        'with stride {strides} and padding "same". '
        "How many zeros does TensorFlow add before the row (left) and after it (right)? "
        "Answer with two numbers: before, after."
    )
    return translate(template, language, **p)


def _work_same_padding(p, answer: tuple[int, int], language: str) -> Iterator[WorkedStep]:
    i, k, s = p["input_size"], p["kernel_size"], p["strides"]
    out, (before, after) = conv_output_size(i, k, s, "same"), answer
    total = before + after
    yield WorkedStep(
        translate(N_('Padding "same" gives ceil(i / s) outputs (i: input, s: stride):'), language),
        f"o = ceil({i} / {s}) = {out}",
        rf"o = \left\lceil \frac{{{i}}}{{{s}}} \right\rceil = {out}",
    )
    yield WorkedStep(
        translate(N_("The last window must fit, so the zeros needed in all are (k: window):"), language),
        f"total = max((o - 1)*s + k - i, 0) = max(({out} - 1)*{s} + {k} - {i}, 0) = {total}",
        rf"\text{{total}} = \max((o - 1) s + k - i, 0) = \max(({out} - 1) \cdot {s} + {k} - {i}, 0) = {total}",
    )
    yield WorkedStep(
        translate(N_("TensorFlow puts half of them before and the odd one, if any, after:"), language),
        f"before = floor({total} / 2) = {before}, after = {total} - {before} = {after}",
        rf"\text{{before}} = \left\lfloor \frac{{{total}}}{{2}} \right\rfloor = {before}, \quad"
        rf" \text{{after}} = {total} - {before} = {after}",
    )


# 3. conv_cell ---------------------------------------------------------------------------------


def _draw_conv_cell(rng):
    size = int(rng.integers(2, 4))
    patch, kernel = _rows(rng.integers(-3, 4, (size, size))), _rows(rng.integers(-3, 4, (size, size)))
    bias, activation = int(rng.integers(-3, 4)), _pick(rng, ("relu", None))
    params = {"patch": patch, "kernel": kernel, "bias": bias, "activation": activation}
    if np.count_nonzero(patch) < 2 or np.count_nonzero(kernel) < 2 or _pre_activation(params) == 0:
        return None  # Fewer than two products to add, or a sum that is 0 before ReLU has a say.
    if activation == "relu" and _pre_activation(params) < 0 and rng.random() < 0.5:
        return None  # Keeps "0 after ReLU" to about one conv exercise in seven, not one in four.
    return params


def _pre_activation(p) -> int:
    """The cell before the activation: ``conv2d`` of the (k, k, 1) patch with one (k, k, 1, 1) filter."""
    return _conv_cell(p, None)


def _solve_conv_cell(p) -> int:
    return _conv_cell(p, p["activation"])


def _conv_cell(p, activation) -> int | float:
    patch = np.array(p["patch"], dtype=np.float64)[:, :, None]  # (k, k, 1)
    kernel = np.array(p["kernel"], dtype=np.float64)[:, :, None, None]  # (k, k, 1, 1)
    bias = np.array([p["bias"]], dtype=np.float64)
    # Drawn grids and biases are ints; a page's bias may have decimals (0.5 steps): at most 2 kept.
    value = round(float(conv2d(patch, kernel, bias, activation=activation)[0, 0, 0]), 2)
    return int(value) if value.is_integer() else value


def _ask_conv_cell(p, language: str) -> str:
    if p["activation"] == "relu":
        template = N_(
            "A {size}×{size} kernel {kernel} lies over the input patch {patch}. "
            "The bias is {bias} and the activation is ReLU. What value does this output cell get?"
        )
    else:
        template = N_(
            "A {size}×{size} kernel {kernel} lies over the input patch {patch}. "
            "The bias is {bias} and there is no activation. What value does this output cell get?"
        )
    size = len(p["patch"])
    return translate(
        template, language, size=size, kernel=grid_text(p["kernel"]), patch=grid_text(p["patch"]), bias=p["bias"]
    )


def _work_conv_cell(p, answer: int, language: str) -> Iterator[WorkedStep]:
    pairs = [(x, w) for row_x, row_w in zip(p["patch"], p["kernel"]) for x, w in zip(row_x, row_w)]
    total = sum(x * w for x, w in pairs)
    pre, bias = _pre_activation(p), p["bias"]
    yield WorkedStep(
        translate(N_("Multiply each pixel of the patch by the kernel weight over it, and add the products:"), language),
        " + ".join(f"{_signed(x)}*{_signed(w)}" for x, w in pairs) + f" = {total}",
        " + ".join(rf"{_signed(x)} \cdot {_signed(w)}" for x, w in pairs) + f" = {total}",
    )
    yield WorkedStep(
        translate(N_("Add the bias:"), language),
        f"{total} + {_signed(bias)} = {pre}",
        f"{total} + {_signed(bias)} = {pre}",
    )
    if p["activation"] == "relu":
        yield WorkedStep(
            translate(N_("ReLU keeps a positive value and turns a negative one into 0:"), language),
            f"relu({pre}) = max(0, {pre}) = {answer}",
            rf"\operatorname{{relu}}({pre}) = \max(0, {pre}) = {answer}",
        )


# 4. pool_cell ---------------------------------------------------------------------------------


def _draw_pool_cell(rng):
    # Pooling reads ReLU outputs in the note's convnet, so the values are never negative; the top
    # of the range is drawn too, so that the largest value is not nearly always the same number.
    size, mode, top = int(rng.integers(2, 4)), _pick(rng, ("max", "average")), int(rng.integers(4, 10))
    window = rng.integers(0, top + 1, (size, size))
    if mode == "average" and size == 3:
        # A mean of 9 values has at most 2 decimals only when it is whole: the last value is the
        # one that makes the sum a multiple of 9 (a 2×2 mean is always a multiple of 0.25).
        window[2, 2] = -(window.sum() - window[2, 2]) % 9
        if window[2, 2] > top:
            return None
    if len(np.unique(window)) == 1:
        return None  # All values equal: the answer is in plain sight.
    return {"window": _rows(window), "mode": mode}


def _solve_pool_cell(p) -> int | float:
    window = np.array(p["window"], dtype=np.float64)[:, :, None]  # (k, k, 1)
    value = round(float(pool2d(window, pool_size=len(p["window"]), mode=p["mode"])[0, 0, 0]), 2)
    return int(value) if value.is_integer() else value


def _ask_pool_cell(p, language: str) -> str:
    if p["mode"] == "max":
        template = N_("A {size}×{size} max-pooling window covers the values {window}. What value does it output?")
    else:
        template = N_(
            "A {size}×{size} average-pooling window covers the values {window}. What value does it output? "
            "(At most 2 decimals.)"
        )
    return translate(template, language, size=len(p["window"]), window=grid_text(p["window"]))


def _work_pool_cell(p, answer: int | float, language: str) -> Iterator[WorkedStep]:
    values = [v for row in p["window"] for v in row]
    listed = ", ".join(str(v) for v in values)
    if p["mode"] == "max":
        yield WorkedStep(
            translate(N_("Max pooling keeps the largest value in the window:"), language),
            f"max({listed}) = {answer}",
            rf"\max({listed}) = {answer}",
        )
        return
    total, count = sum(values), len(values)
    terms = " + ".join(str(v) for v in values)
    yield WorkedStep(
        translate(N_("Average pooling adds the values and divides by how many there are:"), language),
        f"({terms}) / {count} = {total} / {count} = {format_value(answer)}",
        rf"\frac{{{terms}}}{{{count}}} = \frac{{{total}}}{{{count}}} = {format_value(answer)}",
    )


# 5. param_count -------------------------------------------------------------------------------


def _draw_param_count(rng):
    return {
        "kernel_size": int(rng.integers(1, 6)),
        "in_channels": _pick(rng, IN_CHANNELS),
        "filters": _pick(rng, FILTERS),
    }


def _solve_param_count(p) -> int:
    return conv_param_count(p["kernel_size"], p["in_channels"], p["filters"])


def _ask_param_count(p, language: str) -> str:
    template = N_(
        "A Conv2D layer has {filters} filters of size {kernel_size}×{kernel_size}, and its input has depth "
        "{in_channels} (channels). How many parameters (weights and biases) does it have?"
    )
    return translate(template, language, **p)


def _work_param_count(p, answer: int, language: str) -> Iterator[WorkedStep]:
    k, c, f = p["kernel_size"], p["in_channels"], p["filters"]
    per_filter = k * k * c + 1
    yield WorkedStep(
        translate(N_("Each filter has a k×k×c kernel (c: input channels) and one bias:"), language),
        f"{k}*{k}*{c} + 1 = {per_filter}",
        rf"{k} \cdot {k} \cdot {c} + 1 = {per_filter}",
    )
    yield WorkedStep(
        translate(N_("The layer has {filters} such filters:"), language, filters=f),
        f"({k}*{k}*{c} + 1)*{f} = {per_filter}*{f} = {answer}",
        rf"({k} \cdot {k} \cdot {c} + 1) \cdot {f} = {per_filter} \cdot {f} = {answer}",
    )


class Rules(NamedTuple):
    """How one kind draws its numbers, solves, asks and shows the working."""

    draw: Callable[[np.random.Generator], dict | None]
    solve: Callable[[Mapping], int | float | tuple[int, ...]]
    ask: Callable[[Mapping, str], str]
    work: Callable[[Mapping, object, str], Iterator[WorkedStep]]


RULES = {
    "output_size": Rules(_draw_output_size, _solve_output_size, _ask_output_size, _work_output_size),
    "same_padding": Rules(_draw_same_padding, _solve_same_padding, _ask_same_padding, _work_same_padding),
    "conv_cell": Rules(_draw_conv_cell, _solve_conv_cell, _ask_conv_cell, _work_conv_cell),
    "pool_cell": Rules(_draw_pool_cell, _solve_pool_cell, _ask_pool_cell, _work_pool_cell),
    "param_count": Rules(_draw_param_count, _solve_param_count, _ask_param_count, _work_param_count),
}
