"""Exact numpy versions of the convnet's spatial operations: convolution, pooling, padding.

Everything is channels-last: an image is (H, W, C), conv kernels are (kh, kw, C_in, C_out).
The results match ``tf.nn.conv2d`` and Keras's pooling layers, including how "same" padding
splits an odd total (the extra row or column goes to the bottom and right).
"""

from __future__ import annotations

import math

import numpy as np

PADDING_MODES = ("valid", "same")
POOL_MODES = ("max", "average")


def _pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints -> (rows, cols), each a positive int."""
    try:
        pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair of positive ints, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_padding(padding) -> None:
    if isinstance(padding, str):
        if padding not in PADDING_MODES:
            raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")
    elif not isinstance(padding, (int, np.integer)) or isinstance(padding, bool) or padding < 0:
        raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")


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
    _check_padding(padding)
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
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    _check_padding(padding)
    if padding == "same":
        return math.ceil(input_size / strides)
    p = 0 if padding == "valid" else int(padding)
    if input_size + 2 * p < kernel_size:
        raise ValueError(
            f"a {kernel_size}-wide window does not fit in an input of {input_size} with padding {p}: "
            f"i + 2p = {input_size + 2 * p} < k = {kernel_size}"
        )
    return (input_size + 2 * p - kernel_size) // strides + 1


def pad_input(image: np.ndarray, kernel_size, strides=1, padding="valid", value: float = 0.0) -> np.ndarray:
    """Pad an (H, W, C) image the way a conv or pooling layer would before sliding its window.

    Returns the padded (H + top + bottom, W + left + right, C) array.
    """
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    top, bottom = padding_amounts(image.shape[0], kh, sh, padding)
    left, right = padding_amounts(image.shape[1], kw, sw, padding)
    return np.pad(image, ((top, bottom), (left, right), (0, 0)), constant_values=value)


def windows(padded: np.ndarray, kernel_size, strides=1) -> np.ndarray:
    """All windows of a padded (H, W, C) array: a read-only (H_out, W_out, kh, kw, C) view."""
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(strides, "strides")
    view = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))  # (H', W', C, kh, kw)
    return view[::sh, ::sw].transpose(0, 1, 3, 4, 2)  # (H_out, W_out, kh, kw, C)


def conv2d(image: np.ndarray, kernels: np.ndarray, bias: np.ndarray | None = None, strides=1, padding="valid") -> np.ndarray:
    """2-D convolution (cross-correlation, as in deep learning) of one image with a filter bank.

    image (H, W, C_in), kernels (kh, kw, C_in, C_out), bias (C_out,) -> (H_out, W_out, C_out),
    out[r, c, f] = sum_{i,j,ch} padded[r*s + i, c*s + j, ch] * kernels[i, j, ch, f] + bias[f].
    """
    image, kernels, bias = _check_conv_args(image, kernels, bias)
    kh, kw, _, c_out = kernels.shape
    _output_shape(image.shape, (kh, kw), strides, padding)
    patches = windows(pad_input(image, (kh, kw), strides, padding), (kh, kw), strides)
    h_out, w_out = patches.shape[:2]
    columns = patches.reshape(h_out * w_out, -1)  # (H_out * W_out, kh * kw * C_in), one copy
    out = columns @ kernels.reshape(-1, c_out) + bias  # (H_out * W_out, C_out)
    return out.reshape(h_out, w_out, c_out)


def pool2d(x: np.ndarray, pool_size=2, strides=None, padding="valid", mode: str = "max") -> np.ndarray:
    """Max or average pooling of an (H, W, C) array, as Keras's MaxPooling2D / AveragePooling2D.

    ``strides`` defaults to ``pool_size``. With "same" padding the padded cells never win a max
    and are left out of an average (each window divides by its count of real cells).
    """
    x = _check_array(x, 3, "x")
    if mode not in POOL_MODES:
        raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
    if not isinstance(padding, str):
        raise ValueError(f"pooling padding must be 'valid' or 'same', got {padding!r}")
    pool = _pair(pool_size, "pool_size")
    strides = pool if strides is None else _pair(strides, "strides")
    _output_shape(x.shape, pool, strides, padding)
    if mode == "max":
        padded = pad_input(x, pool, strides, padding, value=-np.inf)
        return windows(padded, pool, strides).max(axis=(2, 3))
    sums = windows(pad_input(x, pool, strides, padding), pool, strides).sum(axis=(2, 3))
    ones = np.ones(x.shape[:2] + (1,), dtype=x.dtype)
    counts = windows(pad_input(ones, pool, strides, padding), pool, strides).sum(axis=(2, 3))
    return sums / counts


def output_shape(input_shape, kernel_size, strides=1, padding="valid") -> tuple[int, int]:
    """(H_out, W_out) of a window of ``kernel_size`` slid over (H, W, ...) with ``strides``."""
    return _output_shape(input_shape, _pair(kernel_size, "kernel_size"), strides, padding)


def _output_shape(input_shape, kernel_size, strides, padding) -> tuple[int, int]:
    sh, sw = _pair(strides, "strides")
    kh, kw = kernel_size
    return (conv_output_size(int(input_shape[0]), kh, sh, padding),
            conv_output_size(int(input_shape[1]), kw, sw, padding))


def _check_array(x, ndim: int, name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {x.shape}")
    if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
        raise ValueError(f"{name} must hold real numbers, got dtype {x.dtype}")
    if 0 in x.shape:
        raise ValueError(f"{name} must not be empty, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float32)


def _check_conv_args(image, kernels, bias):
    image = _check_array(image, 3, "image (H, W, C_in)")
    kernels = _check_array(kernels, 4, "kernels (kh, kw, C_in, C_out)")
    if kernels.shape[2] != image.shape[2]:
        raise ValueError(
            f"kernels expect {kernels.shape[2]} input channels but the image has {image.shape[2]} "
            f"(image {image.shape}, kernels {kernels.shape})"
        )
    c_out = kernels.shape[3]
    bias = np.zeros(c_out, dtype=kernels.dtype) if bias is None else _check_array(bias, 1, "bias (C_out,)")
    if bias.shape != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},), got {bias.shape}")
    dtype = np.result_type(image.dtype, kernels.dtype, bias.dtype)
    return image.astype(dtype, copy=False), kernels.astype(dtype, copy=False), bias.astype(dtype, copy=False)
