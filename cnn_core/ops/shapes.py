"""Shape arithmetic of sliding windows: output sizes, the zeros that padding adds, a conv layer's parameters.

Formulas from Dumoulin & Visin, "A guide to convolution arithmetic for deep learning", with
TensorFlow's rule for splitting "same" padding (the extra zero goes to the bottom and right).
"""

from __future__ import annotations

import math

from cnn_core.ops.checks import check_padding, check_pair, check_positive_int


def same_padding(input_size: int, kernel_size: int, strides: int = 1) -> tuple[int, int]:
    """Zeros added (before, after) along one axis by "same" padding, as TensorFlow does.

    total = max((ceil(i / s) - 1) * s + k - i, 0); before = total // 2; after = total - before.

    >>> same_padding(5, 3, 1)
    (1, 1)
    >>> same_padding(5, 3, 2)
    (1, 1)
    >>> same_padding(6, 3, 2)
    (0, 1)
    >>> same_padding(4, 2)
    (0, 1)
    """
    out = math.ceil(input_size / strides)
    total = max((out - 1) * strides + kernel_size - input_size, 0)
    return total // 2, total - total // 2


def padding_amounts(input_size: int, kernel_size: int, strides: int = 1, padding="valid") -> tuple[int, int]:
    """Zeros added (before, after) along one axis for ``padding`` = "valid", "same" or an int p.

    >>> padding_amounts(5, 3, 1, "valid"), padding_amounts(5, 3, 1, 2)
    ((0, 0), (2, 2))
    """
    check_padding(padding)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return same_padding(input_size, kernel_size, strides)
    return int(padding), int(padding)


def conv_output_size(input_size: int, kernel_size: int, strides: int = 1, padding="valid") -> int:
    """Output length along one axis of a convolution or pooling window.

    o = floor((i + 2p - k) / s) + 1 (Dumoulin & Visin, "A guide to convolution arithmetic"),
    with p = 0 for "valid" and p given for an int padding; "same" gives o = ceil(i / s), as Keras.
    Raises ``ValueError`` when the window does not fit even once.

    >>> conv_output_size(28, 3)
    26
    >>> conv_output_size(5, 3, strides=2)
    2
    >>> conv_output_size(5, 3, strides=2, padding="same")
    3
    >>> conv_output_size(5, 3, strides=1, padding=1)
    5
    >>> conv_output_size(148, 2, strides=2)
    74
    """
    for name, value in (("input_size", input_size), ("kernel_size", kernel_size), ("strides", strides)):
        check_positive_int(value, name)
    check_padding(padding)
    if padding == "same":
        return math.ceil(input_size / strides)
    p = 0 if padding == "valid" else int(padding)
    if input_size + 2 * p < kernel_size:
        raise ValueError(
            f"a {kernel_size}-wide window does not fit in an input of {input_size} with padding {p}: "
            f"i + 2p = {input_size + 2 * p} < k = {kernel_size}"
        )
    return (input_size + 2 * p - kernel_size) // strides + 1


def output_shape(input_shape, kernel_size, strides=1, padding="valid") -> tuple[int, int]:
    """(H_out, W_out) of a window of ``kernel_size`` slid over (H, W, ...) with ``strides``.

    >>> output_shape((28, 28, 1), 3), output_shape((5, 6), (3, 2), 2, "same")
    ((26, 26), (3, 3))
    """
    (kh, kw), (sh, sw) = check_pair(kernel_size, "kernel_size"), check_pair(strides, "strides")
    return (
        conv_output_size(int(input_shape[0]), kh, sh, padding),
        conv_output_size(int(input_shape[1]), kw, sw, padding),
    )


def pad_amounts(input_shape, kernel_size, strides=1, padding="valid") -> tuple[int, int, int, int]:
    """Zeros added (top, bottom, left, right) to an input of shape (H, W, ...).

    >>> pad_amounts((6, 5), 3, 2, "same")
    (0, 1, 1, 1)
    """
    (kh, kw), (sh, sw) = check_pair(kernel_size, "kernel_size"), check_pair(strides, "strides")
    return (
        *padding_amounts(int(input_shape[0]), kh, sh, padding),
        *padding_amounts(int(input_shape[1]), kw, sw, padding),
    )


def flat_index(position, shape) -> int:
    """Where Flatten puts cell (row, col, channel) of an (H, W, C) map: (row * W + col) * C + channel.

    Keras flattens channels-last maps in C order, so the channels of one cell sit side by side.

    >>> flat_index((0, 0, 1), (3, 3, 64)), flat_index((2, 2, 63), (3, 3, 64))
    (1, 575)
    """
    (row, col, channel), (height, width, channels) = position, shape
    if not (0 <= row < height and 0 <= col < width and 0 <= channel < channels):
        raise ValueError(f"position {tuple(position)} is outside a map of shape {tuple(shape)}")
    return (int(row) * int(width) + int(col)) * int(channels) + int(channel)


def flat_position(index: int, shape) -> tuple[int, int, int]:
    """The (row, col, channel) of an (H, W, C) map that Flatten put at ``index``; the inverse of ``flat_index``.

    >>> flat_position(575, (3, 3, 64)), flat_position(100, (3, 3, 64))
    ((2, 2, 63), (0, 1, 36))
    """
    height, width, channels = (int(size) for size in shape)
    if not 0 <= index < height * width * channels:
        raise ValueError(
            f"index {index} is outside a flattened {height}x{width}x{channels} map: "
            f"0 to {height * width * channels - 1}"
        )
    cell, channel = divmod(int(index), channels)
    row, col = divmod(cell, width)
    return row, col, channel


def conv_param_count(kernel_size: int, in_channels: int, filters: int, use_bias: bool = True) -> int:
    """Weights and biases of a Conv2D layer with square ``kernel_size`` windows: (k*k*c + 1) * f.

    Each of the f filters holds a k x k x c kernel (c input channels) and, with ``use_bias``, one bias.

    >>> conv_param_count(3, 1, 32), conv_param_count(3, 32, 64), conv_param_count(3, 32, 64, use_bias=False)
    (320, 18496, 18432)
    """
    for name, value in (("kernel_size", kernel_size), ("in_channels", in_channels), ("filters", filters)):
        check_positive_int(value, name)
    return (kernel_size * kernel_size * in_channels + int(use_bias)) * filters
