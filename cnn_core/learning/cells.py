"""What produced one cell of a layer's output, per layer kind: the records ``explain_cell`` returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from cnn_core.ops.outputs import SigmoidSteps, SoftmaxSteps


@dataclass(frozen=True, eq=False)
class LayerOutput:
    """One layer's real input and output for one image, without the batch axis."""

    name: str
    kind: str  # the Keras class name
    input: np.ndarray | None  # None for a layer with several inputs
    output: np.ndarray


@dataclass(frozen=True, eq=False)
class ConvCell:
    """Cell (row, col, filter) of a Conv2D layer: patch x kernel per input channel, + bias, then the activation.

    ``patch``, ``kernel`` and ``products`` are (kh, kw, C_in); ``channel_sums`` (C_in,). ``top``
    and ``left`` are the window's corner in the previous maps padded by ``pads`` (top, bottom,
    left, right). ``input_box`` is (top, left, bottom, right) of the input pixels the cell sees.
    """

    kind: ClassVar[str] = "Conv2D"
    layer: str
    row: int
    col: int
    filter: int
    top: int
    left: int
    pads: tuple[int, int, int, int]
    patch: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    channel_sums: np.ndarray
    bias: float
    pre_activation: float
    activation: str
    value: float
    actual: float
    input_box: tuple[int, int, int, int] | None


@dataclass(frozen=True, eq=False)
class PoolCell:
    """Cell (row, col, channel) of a pooling layer: its window (NaN where padded), the winner or the mean.

    ``argmax`` is the (i, j) of the maximum inside ``window`` for max pooling, else None;
    ``count`` how many real cells the window covers (an average divides by it).
    """

    kind: ClassVar[str] = "Pooling2D"
    layer: str
    row: int
    col: int
    channel: int
    top: int
    left: int
    pads: tuple[int, int, int, int]
    window: np.ndarray
    mode: str
    argmax: tuple[int, int] | None
    count: int
    value: float
    actual: float
    input_box: tuple[int, int, int, int] | None


@dataclass(frozen=True, eq=False)
class FlattenCell:
    """Number ``index`` of a Flatten layer: cell ``position`` (row, col, channel) of the (H, W, C) maps before it.

    index = (row * W + col) * C + channel; the layer has H * W * C numbers (576 = 3x3x64).
    """

    kind: ClassVar[str] = "Flatten"
    layer: str
    index: int
    position: tuple[int, int, int]
    input_shape: tuple[int, int, int]
    value: float
    actual: float
    input_box: tuple[int, int, int, int] | None


@dataclass(frozen=True, eq=False)
class DropoutCell:
    """A cell of a Dropout layer, which passes its input on unchanged when the model predicts."""

    kind: ClassVar[str] = "Dropout"
    layer: str
    index: tuple[int, ...]
    rate: float  # the share of inputs zeroed in each training step
    value: float
    actual: float


@dataclass(frozen=True, eq=False)
class DenseCell:
    """Unit ``unit`` of a Dense layer: sum_i inputs[i] * weights[i] + bias, then the activation.

    ``inputs``, ``weights`` and ``products`` are (n,). ``top_indices`` are the inputs with the
    largest |w * x|, largest first, with their ``top_contributions`` (w * x) and, when the inputs
    come straight from a Flatten, ``top_positions`` (row, col, channel) in the maps before it.
    ``logits`` are all units' sums (units,); for a softmax or sigmoid layer ``output_steps``
    holds the steps from them to the probability ``value``.
    """

    kind: ClassVar[str] = "Dense"
    layer: str
    unit: int
    inputs: np.ndarray
    weights: np.ndarray
    products: np.ndarray
    bias: float
    pre_activation: float
    activation: str
    value: float
    actual: float
    top_indices: np.ndarray
    top_contributions: np.ndarray
    top_positions: list[tuple[int, int, int]] | None
    logits: np.ndarray
    output_steps: SoftmaxSteps | SigmoidSteps | None
