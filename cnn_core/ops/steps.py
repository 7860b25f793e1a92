"""Step-by-step frames of a convolution or a pooling, one frozen frame per output cell.

Playing, scrubbing and exporting an animation all consume these frames; no page recomputes the
steps another way. Frames come lazily, filter by filter (or channel by channel for pooling) and
row by row, so a page can take the first N with ``itertools.islice`` when an input is large.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from cnn_core.ops.checks import check_activation, check_conv_args, check_pair, check_pool_args
from cnn_core.ops.shapes import output_shape, pad_amounts
from cnn_core.ops.sliding import pad_input, relu


class _Progress:
    """The output cells filled so far, shared by the frames of one run.

    A cell is written once, before the frame that computes it is yielded, and never changes
    afterwards, so frame k can rebuild its partial output at any later time from the cells whose
    order is <= k.
    """

    def __init__(self, shape: tuple[int, ...], order: np.ndarray):
        self.values = np.full(shape, np.nan)
        self.order = order  # (H_out, W_out, C_out): the index of the frame that computes each cell

    def partial(self, index: int) -> np.ndarray:
        return np.where(self.order <= index, self.values, np.nan)


def _frame_order(shape: tuple[int, int, int]) -> np.ndarray:
    """Frame index of every output cell when frames go channel by channel, then row by row."""
    h, w, c = shape
    return np.arange(h * w * c).reshape(c, h, w).transpose(1, 2, 0)


@dataclass(frozen=True, eq=False)
class ConvStep:
    """One output cell of a convolution: its window, the arithmetic, and the output so far.

    ``top``/``left`` index the window's corner in ``padded``, the whole padded input (Hp, Wp, C_in),
    shared read-only by all frames, with ``pads`` (top, bottom, left, right) zeros around the
    real input. Arrays are (kh, kw, C_in) for ``patch``, ``kernel`` and ``products``, and (C_in,)
    for ``channel_sums``. ``pre_activation`` is the sum plus the bias; ``value`` is what the cell
    keeps after ``activation`` (None: the same number; "relu": max(0, pre_activation)).
    """

    index: int
    total: int
    filter: int
    row: int
    col: int
    top: int
    left: int
    patch: np.ndarray
    kernel: np.ndarray
    products: np.ndarray
    channel_sums: np.ndarray
    bias: float
    pre_activation: float
    activation: str | None
    value: float
    padded: np.ndarray
    pads: tuple[int, int, int, int]
    _progress: _Progress

    @property
    def partial_output(self) -> np.ndarray:
        """The (H_out, W_out, C_out) output (activated values) up to this frame; later cells are NaN."""
        return self._progress.partial(self.index)


@dataclass(frozen=True, eq=False)
class PoolStep:
    """One output cell of a pooling: its window (NaN where padded), the winner or the mean.

    ``argmax`` is the (i, j) of the maximum inside the window for max pooling, else None;
    ``count`` is how many real (unpadded) cells the window covers. ``padded`` is the whole input
    (Hp, Wp, C) with NaN where padding was added, ``pads`` its (top, bottom, left, right) rows and
    columns of padding.
    """

    index: int
    total: int
    channel: int
    row: int
    col: int
    top: int
    left: int
    window: np.ndarray
    mode: str
    count: int
    argmax: tuple[int, int] | None
    value: float
    padded: np.ndarray
    pads: tuple[int, int, int, int]
    _progress: _Progress

    @property
    def partial_output(self) -> np.ndarray:
        """The (H_out, W_out, C) output computed up to this frame; later cells are NaN."""
        return self._progress.partial(self.index)


def conv_steps(
    image: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None = None,
    strides=1,
    padding="valid",
    activation: str | None = None,
) -> Iterator[ConvStep]:
    """Yield one ``ConvStep`` per output cell of ``conv2d(image, kernels, bias, strides, padding, activation)``.

    image (H, W, C_in), kernels (kh, kw, C_in, C_out) -> H_out * W_out * C_out frames, filter by
    filter, row by row. The last frame's ``partial_output`` equals ``conv2d``'s result.
    """
    activation = check_activation(activation)
    image, kernels, bias = check_conv_args(image, kernels, bias)
    kh, kw, _, c_out = kernels.shape
    sh, sw = check_pair(strides, "strides")
    h_out, w_out = output_shape(image.shape, (kh, kw), (sh, sw), padding)
    padded = pad_input(image, (kh, kw), (sh, sw), padding)
    kernels = kernels.copy()
    padded.flags.writeable = kernels.flags.writeable = False  # Frames hand out views of these.
    pads = pad_amounts(image.shape, (kh, kw), (sh, sw), padding)
    return _conv_frames(padded, pads, kernels, bias, (sh, sw), activation, (h_out, w_out, c_out))


def _conv_frames(padded, pads, kernels, bias, strides, activation, shape) -> Iterator[ConvStep]:
    kh, kw = kernels.shape[:2]
    progress = _Progress(shape, _frame_order(shape))
    total = int(np.prod(shape))
    index = 0
    for f in range(shape[2]):
        kernel = kernels[:, :, :, f]  # (kh, kw, C_in)
        for row in range(shape[0]):
            for col in range(shape[1]):
                top, left = row * strides[0], col * strides[1]
                patch = padded[top : top + kh, left : left + kw, :]  # (kh, kw, C_in)
                products = patch * kernel
                channel_sums = products.sum(axis=(0, 1))  # (C_in,)
                products.flags.writeable = channel_sums.flags.writeable = False
                pre_activation = float(channel_sums.sum() + bias[f])
                value = float(relu(pre_activation)) if activation == "relu" else pre_activation
                progress.values[row, col, f] = value
                yield ConvStep(
                    index=index,
                    total=total,
                    filter=f,
                    row=row,
                    col=col,
                    top=top,
                    left=left,
                    patch=patch,
                    kernel=kernel,
                    products=products,
                    channel_sums=channel_sums,
                    bias=float(bias[f]),
                    pre_activation=pre_activation,
                    activation=activation,
                    value=value,
                    padded=padded,
                    pads=pads,
                    _progress=progress,
                )
                index += 1


def pool_steps(x: np.ndarray, pool_size=2, strides=None, padding="valid", mode: str = "max") -> Iterator[PoolStep]:
    """Yield one ``PoolStep`` per output cell of ``pool2d(x, pool_size, strides, padding, mode)``.

    x (H, W, C) -> H_out * W_out * C frames, channel by channel, row by row. The last frame's
    ``partial_output`` equals ``pool2d``'s result.
    """
    x, pool, stride = check_pool_args(x, pool_size, strides, padding, mode)
    h_out, w_out = output_shape(x.shape, pool, stride, padding)
    padded = pad_input(x.astype(np.float64), pool, stride, padding, value=np.nan)
    padded.flags.writeable = False  # Frames hand out views of it.
    pads = pad_amounts(x.shape, pool, stride, padding)
    return _pool_frames(padded, pads, pool, stride, mode, (h_out, w_out, x.shape[2]))


def _pool_frames(padded, pads, pool, strides, mode, shape) -> Iterator[PoolStep]:
    progress = _Progress(shape, _frame_order(shape))
    total = int(np.prod(shape))
    index = 0
    for ch in range(shape[2]):
        for row in range(shape[0]):
            for col in range(shape[1]):
                top, left = row * strides[0], col * strides[1]
                window = padded[top : top + pool[0], left : left + pool[1], ch]  # (ph, pw), NaN = padding
                real = ~np.isnan(window)
                argmax = None
                if mode == "max":
                    flat = int(np.nanargmax(window))
                    argmax = (flat // window.shape[1], flat % window.shape[1])
                    value = float(window[argmax])
                else:
                    value = float(np.nansum(window) / real.sum())
                progress.values[row, col, ch] = value
                yield PoolStep(
                    index,
                    total,
                    ch,
                    row,
                    col,
                    top,
                    left,
                    window,
                    mode,
                    int(real.sum()),
                    argmax,
                    value,
                    padded,
                    pads,
                    progress,
                )
                index += 1
