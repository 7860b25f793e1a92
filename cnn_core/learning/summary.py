"""The model summary table, with the arithmetic behind every shape and parameter count spelled out."""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnn_core.i18n import N_, translate
from cnn_core.ops.formulas import spatial_math

NO_WEIGHTS = N_("0 (no weights)")


@dataclass(frozen=True)
class SummaryRow:
    """One layer of the summary: shapes and parameters from the formulas, with the working shown.

    ``output_shape`` and ``params`` are computed here from the layer's settings and its input
    shape, not read back from Keras, so they can be checked against ``model.summary()``.
    """

    name: str
    kind: str
    output_shape: tuple  # (None, H, W, C) or (None, units)
    params: int
    shape_math: str
    params_math: str


def summary_rows(model, language: str = "en") -> list[SummaryRow]:
    """The summary table of a model built on ``keras.Input``, one row per layer; its words in ``language``."""
    return [_summary_row(layer, language) for layer in model.layers]


def summary_total(rows: list[SummaryRow]) -> int:
    """Total parameter count of a summary table."""
    return sum(row.params for row in rows)


def _summary_row(layer, language: str) -> SummaryRow:
    none = translate(NO_WEIGHTS, language)
    kind = type(layer).__name__
    in_shape = tuple(layer.input.shape)  # (None, ...)
    if kind == "Conv2D" and tuple(layer.dilation_rate) == (1, 1):
        return _conv_row(layer, in_shape, language)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return _pool_row(layer, in_shape, none)
    if kind == "Flatten":
        size = math.prod(in_shape[1:])
        factors = "*".join(str(d) for d in in_shape[1:])
        return SummaryRow(layer.name, kind, (None, size), 0, f"{size:,} = {factors}", none)
    if kind == "Dense" and len(in_shape) == 2:
        n_in, units = in_shape[1], layer.units
        params = (n_in + 1) * units if layer.use_bias else n_in * units
        math_text = f"({n_in:,} + 1)*{units}" if layer.use_bias else f"{n_in:,}*{units}"
        units_text = translate(N_("{units} units"), language, units=units)
        return SummaryRow(layer.name, kind, (None, units), params, units_text, f"{params:,} = {math_text}")
    if kind == "Dropout":
        return SummaryRow(
            layer.name,
            kind,
            in_shape,
            0,
            translate(N_("unchanged (drops {share} of values while training)"), language, share=f"{layer.rate:.0%}"),
            none,
        )
    # Any other layer: Keras's own numbers, without a formula.
    return SummaryRow(layer.name, kind, tuple(layer.output.shape), layer.count_params(), "", "")


def _conv_row(layer, in_shape, language: str) -> SummaryRow:
    _, height, width, channels = in_shape
    kh, kw = layer.kernel_size
    out_h, out_w, shape_math = spatial_math(height, width, layer.kernel_size, layer.strides, layer.padding)
    weights = f"{kh}*{kw}*{channels}"
    if layer.use_bias:
        params, params_math = (kh * kw * channels + 1) * layer.filters, f"({weights} + 1)*{layer.filters}"
    else:
        params, params_math = kh * kw * channels * layer.filters, f"{weights}*{layer.filters}"
    return SummaryRow(
        layer.name,
        "Conv2D",
        (None, out_h, out_w, layer.filters),
        params,
        translate(N_("{shape_math}; {filters} filters"), language, shape_math=shape_math, filters=layer.filters),
        f"{params:,} = {params_math}",
    )


def _pool_row(layer, in_shape, none: str) -> SummaryRow:
    _, height, width, channels = in_shape
    out_h, out_w, shape_math = spatial_math(height, width, layer.pool_size, layer.strides, layer.padding)
    return SummaryRow(layer.name, type(layer).__name__, (None, out_h, out_w, channels), 0, shape_math, none)
