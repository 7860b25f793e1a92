"""The formulas behind the numbers, written out as LaTeX with the learner's numbers filled in."""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from cnn_core.i18n import N_, translate
from cnn_core.ops.shapes import conv_output_size, same_padding


def format_value(value: float, decimals: int = 2) -> str:
    """A number as short text: integers without decimals, others rounded; NaN as an empty string."""
    if value is None:
        return ""
    value = float(value)
    if not math.isfinite(value):
        return ""
    if value.is_integer():
        return str(int(value))
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def output_size_lines(
    input_size: int, kernel_size: int, strides: int, padding, language: str = "en"
) -> list[tuple[str, str]]:
    r"""The output-size formula with these numbers filled in, as (words, LaTeX) lines.

    The words go beside the math (KaTeX never sees them, so they can be in any language); they
    are empty where the math speaks for itself. Raises ``ValueError`` when the window does not fit.

    >>> [words for words, _ in output_size_lines(5, 3, 2, "valid")], output_size_lines(5, 3, 2, "valid")[0][1][-5:]
    ([''], '1 = 2')
    >>> output_size_lines(5, 3, 1, "same")[1][0]
    'Zeros added: 1 before, 1 after. The window then fits this many times:'
    """
    out = conv_output_size(input_size, kernel_size, strides, padding)
    i, k, s = input_size, kernel_size, strides
    if padding == "same":
        before, after = same_padding(i, k, s)
        words = translate(
            N_("Zeros added: {before} before, {after} after. The window then fits this many times:"),
            language,
            before=before,
            after=after,
        )
        return [
            (
                "",
                rf"o = \left\lceil \frac{{i}}{{s}} \right\rceil = \left\lceil \frac{{{i}}}{{{s}}} \right\rceil = {out}",
            ),
            (words, rf"\left\lfloor \frac{{{i} + {before} + {after} - {k}}}{{{s}}} \right\rfloor + 1 = {out}"),
        ]
    p = 0 if padding == "valid" else int(padding)
    exact = (i + 2 * p - k) / s
    return [
        (
            "",
            rf"o = \left\lfloor \frac{{i + 2p - k}}{{s}} \right\rfloor + 1"
            rf" = \left\lfloor \frac{{{i} + 2 \cdot {p} - {k}}}{{{s}}} \right\rfloor + 1"
            rf" = \lfloor {format_value(exact, 3)} \rfloor + 1 = {out}",
        )
    ]


def bmatrix(values: np.ndarray, decimals: int = 2, mark: tuple[int, int] | None = None) -> str:
    rows = []
    for i, row in enumerate(np.asarray(values, dtype=float).tolist()):
        cells = [format_value(v, decimals) or r"\cdot" for v in row]
        if mark is not None and i == mark[0]:
            cells[mark[1]] = rf"\boxed{{{cells[mark[1]]}}}"
        rows.append(" & ".join(cells))
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"


def conv_step_latex(frame, channel_names: list[str], decimals: int = 2, relu_label: str | None = "ReLU") -> list[str]:
    r"""The arithmetic of one ``ConvStep`` as LaTeX lines: per channel, then channels + bias, then ReLU.

    Without an activation the last line is ``out[r, c] = sums + bias``. With ReLU that sum is the
    pre-activation z and one more line follows, ``relu_label`` beside the math:
    ``\text{ReLU: } out[r, c] = \max(0, z)``. With ``relu_label=None`` the line is the math alone,
    for a caller that writes the label outside the LaTeX (KaTeX has no Hangul).
    """
    fmt = partial(format_value, decimals=decimals)
    kh, kw, channels = frame.patch.shape
    lines = []
    for c in range(channels):
        sub = rf"_{{\text{{{channel_names[c]}}}}}" if channels > 1 else ""
        line = (
            rf"{bmatrix(frame.patch[:, :, c], decimals)} \odot {bmatrix(frame.kernel[:, :, c], decimals)}"
            rf" = {bmatrix(frame.products[:, :, c], decimals)}"
            rf" \;\Rightarrow\; \Sigma{sub} = {fmt(frame.channel_sums[c])}"
        )
        lines.append(line)
        if kh * kw <= 9:
            terms = " + ".join(
                rf"{_paren(fmt(p))} \cdot {_paren(fmt(k))}"
                for p, k in zip(frame.patch[:, :, c].ravel(), frame.kernel[:, :, c].ravel())
            )
            lines.append(rf"\Sigma{sub} = {terms} = {fmt(frame.channel_sums[c])}")
    sums = " + ".join(_paren(fmt(s)) for s in frame.channel_sums)
    cell = f"[{frame.row}, {frame.col}]"
    total = fmt(frame.pre_activation)
    name, total = (r"\text{out}", rf"\mathbf{{{total}}}") if frame.activation is None else ("z", total)
    lines.append(rf"{name}{cell} = {sums} + \underbrace{{{_paren(fmt(frame.bias))}}}_{{\text{{bias}}}} = {total}")
    if frame.activation == "relu":
        label = rf"\text{{{relu_label}: }} " if relu_label else ""
        lines.append(rf"{label}\text{{out}}{cell} = {relu_latex(frame.pre_activation, decimals)}")
    return lines


def relu_latex(pre_activation: float, decimals: int = 2) -> str:
    r"""ReLU of one number as LaTeX, the result in bold: max(0, z) = out.

    >>> relu_latex(-1.5), relu_latex(2.25)
    ('\\max(0, -1.5) = \\mathbf{0}', '\\max(0, 2.25) = \\mathbf{2.25}')
    """
    value = max(float(pre_activation), 0.0)
    return rf"\max(0, {format_value(pre_activation, decimals)}) = \mathbf{{{format_value(value, decimals)}}}"


def pool_step_latex(frame, decimals: int = 2) -> str:
    """The arithmetic of one ``PoolStep`` as LaTeX (padded cells shown as dots and left out)."""
    fmt = partial(format_value, decimals=decimals)
    real = [fmt(v) for v in frame.window.ravel() if np.isfinite(v)]
    matrix = bmatrix(frame.window, decimals, mark=frame.argmax)
    if frame.mode == "max":
        how = rf"\max({', '.join(real)})"
    else:
        how = rf"\frac{{{' + '.join(_paren(v) for v in real)}}}{{{frame.count}}}"
    return rf"\text{{out}}[{frame.row}, {frame.col}] = {how} = \mathbf{{{fmt(frame.value)}}} \qquad {matrix}"


def _paren(text: str) -> str:
    return f"({text})" if text.startswith("-") else text


def spatial_math(height: int, width: int, window, strides, padding: str, language: str = "en") -> tuple[int, int, str]:
    """Output height and width of a sliding window, with the arithmetic (one line when both match)."""
    (kh, kw), (sh, sw) = window, strides
    out_h, h_math = window_math(height, kh, sh, padding, language)
    out_w, w_math = window_math(width, kw, sw, padding, language)
    if (height, kh, sh) == (width, kw, sw):
        return out_h, out_w, h_math
    return out_h, out_w, translate(N_("height {height}; width {width}"), language, height=h_math, width=w_math)


def window_math(size: int, window: int, strides: int, padding: str, language: str = "en") -> tuple[int, str]:
    """One axis of a conv or pool: (output size, the formula with the numbers filled in).

    >>> window_math(28, 3, 1, "valid")
    (26, '26 = 28 - 3 + 1')
    >>> window_math(26, 2, 2, "valid")
    (13, '13 = (26 - 2) // 2 + 1')
    >>> window_math(28, 3, 2, "same")
    (14, '14 = ceil(28 / 2)')
    """
    out = conv_output_size(int(size), int(window), strides=int(strides), padding=padding)
    if padding == "same":
        if strides == 1:
            return out, translate(N_("{out} = {size} (same padding)"), language, out=out, size=size)
        return out, f"{out} = ceil({size} / {strides})"
    if strides == 1:
        return out, f"{out} = {size} - {window} + 1"
    return out, f"{out} = ({size} - {window}) // {strides} + 1"


def _vector(values, decimals: int) -> str:
    return r"\left(" + ", ".join(format_value(v, decimals) for v in values) + r"\right)"


def softmax_latex(steps, decimals: int = 3) -> list[str]:
    r"""The four steps of a ``SoftmaxSteps`` as LaTeX lines: shift, exp, sum, divide.

    >>> from cnn_core.ops.outputs import softmax_steps
    >>> softmax_latex(softmax_steps([2.0, 0.0]))[-1]
    'p = \\frac{e^{z - \\max z}}{\\Sigma} = \\frac{\\left(1, 0.135\\right)}{1.135} = \\left(0.881, 0.119\\right)'
    """
    fmt = partial(format_value, decimals=decimals)
    return [
        rf"z = {_vector(steps.logits, decimals)}, \quad \max z = {fmt(steps.shift)}",
        rf"z - \max z = {_vector(steps.shifted, decimals)}",
        rf"e^{{z - \max z}} = {_vector(steps.exps, decimals)}",
        rf"\Sigma = {' + '.join(fmt(e) for e in steps.exps)} = {fmt(steps.total)}",
        rf"p = \frac{{e^{{z - \max z}}}}{{\Sigma}} = \frac{{{_vector(steps.exps, decimals)}}}{{{fmt(steps.total)}}}"
        rf" = {_vector(steps.probabilities, decimals)}",
    ]


def sigmoid_latex(steps, decimals: int = 3) -> str:
    r"""A ``SigmoidSteps`` as one LaTeX line, by the branch of the logit's sign.

    >>> from cnn_core.ops.outputs import sigmoid_steps
    >>> sigmoid_latex(sigmoid_steps(-2.0))
    'p = \\frac{e^{z}}{1 + e^{z}} = \\frac{e^{-2}}{1 + e^{-2}} = \\frac{0.135}{1 + 0.135} = 0.119'
    """
    fmt = partial(format_value, decimals=decimals)
    z, e = fmt(steps.logit), fmt(steps.exp)
    if steps.positive_branch:
        return rf"p = \frac{{1}}{{1 + e^{{-z}}}} = \frac{{1}}{{1 + e^{{-{_paren(z)}}}}} = \frac{{1}}{{1 + {e}}} = {fmt(steps.probability)}"
    return rf"p = \frac{{e^{{z}}}}{{1 + e^{{z}}}} = \frac{{e^{{{z}}}}}{{1 + e^{{{z}}}}} = \frac{{{e}}}{{1 + {e}}} = {fmt(steps.probability)}"


def cross_entropy_latex(steps, decimals: int = 3) -> list[str]:
    r"""A ``CrossEntropySteps`` as LaTeX: the general formula with the numbers, then -log p of the true class.

    >>> from cnn_core.ops.outputs import binary_cross_entropy_steps
    >>> cross_entropy_latex(binary_cross_entropy_steps(0.8, 1))[-1]
    'L = -\\log 0.8 = 0.223'
    """
    fmt = partial(format_value, decimals=decimals)
    if steps.kind == "binary":
        y, p = steps.label, steps.probabilities[1]
        general = (
            rf"L = -\left(y \log p + (1 - y) \log(1 - p)\right)"
            rf" = -\left({y} \cdot \log {fmt(p)} + {1 - y} \cdot \log {fmt(1 - p)}\right)"
        )
    else:
        terms = " + ".join(rf"{int(y)} \cdot \log {fmt(p)}" for y, p in zip(steps.one_hot, steps.probabilities))
        general = rf"L = -\sum_i y_i \log p_i = -\left({terms}\right)"
    return [general, rf"L = -\log {fmt(steps.clipped)} = {fmt(steps.loss)}"]
