"""Exact numpy versions of the convnet's sliding-window ops: padding, windows, convolution, pooling.

Everything is channels-last: an image is (H, W, C), conv kernels are (kh, kw, C_in, C_out).
The results match ``tf.nn.conv2d`` and Keras's pooling layers, including how "same" padding
splits an odd total (the extra row or column goes to the bottom and right).
"""

from __future__ import annotations

import numpy as np

from cnn_core.ops.checks import check_activation, check_conv_args, check_pair, check_pool_args
from cnn_core.ops.shapes import output_shape, pad_amounts


def pad_input(image: np.ndarray, kernel_size, strides=1, padding="valid", value: float = 0.0) -> np.ndarray:
    """Pad an (H, W, C) image the way a conv or pooling layer would before sliding its window.

    Returns the padded (H + top + bottom, W + left + right, C) array.
    """
    top, bottom, left, right = pad_amounts(image.shape, kernel_size, strides, padding)
    return np.pad(image, ((top, bottom), (left, right), (0, 0)), constant_values=value)


def windows(padded: np.ndarray, kernel_size, strides=1) -> np.ndarray:
    """All windows of a padded (H, W, C) array: a read-only (H_out, W_out, kh, kw, C) view."""
    kh, kw = check_pair(kernel_size, "kernel_size")
    sh, sw = check_pair(strides, "strides")
    view = np.lib.stride_tricks.sliding_window_view(padded, (kh, kw), axis=(0, 1))  # (H', W', C, kh, kw)
    return view[::sh, ::sw].transpose(0, 1, 3, 4, 2)  # (H_out, W_out, kh, kw, C)


def relu(x):
    """The rectified linear unit, max(0, x), element by element: what keeps a cell of a feature map.

    >>> relu(np.array([-1.5, 0.0, 2.0]))
    array([0., 0., 2.])
    """
    return np.maximum(x, 0)


def conv2d(
    image: np.ndarray,
    kernels: np.ndarray,
    bias: np.ndarray | None = None,
    strides=1,
    padding="valid",
    activation: str | None = None,
) -> np.ndarray:
    """2-D convolution (cross-correlation, as in deep learning) of one image with a filter bank.

    image (H, W, C_in), kernels (kh, kw, C_in, C_out), bias (C_out,) -> (H_out, W_out, C_out),
    z[r, c, f] = sum_{i,j,ch} padded[r*s + i, c*s + j, ch] * kernels[i, j, ch, f] + bias[f], and
    out = z with ``activation=None`` (the pre-activation response) or max(0, z) with "relu", as
    Keras's ``Conv2D(..., activation='relu')``.
    """
    activation = check_activation(activation)
    image, kernels, bias = check_conv_args(image, kernels, bias)
    kh, kw, _, c_out = kernels.shape
    output_shape(image.shape, (kh, kw), strides, padding)  # Raises when the window does not fit.
    patches = windows(pad_input(image, (kh, kw), strides, padding), (kh, kw), strides)
    h_out, w_out = patches.shape[:2]
    columns = patches.reshape(h_out * w_out, -1)  # (H_out * W_out, kh * kw * C_in), one copy
    out = columns @ kernels.reshape(-1, c_out) + bias  # (H_out * W_out, C_out)
    out = out.reshape(h_out, w_out, c_out)
    return relu(out) if activation == "relu" else out


def pool2d(x: np.ndarray, pool_size=2, strides=None, padding="valid", mode: str = "max") -> np.ndarray:
    """Max or average pooling of an (H, W, C) array, as Keras's MaxPooling2D / AveragePooling2D.

    ``strides`` defaults to ``pool_size``. With "same" padding the padded cells never win a max
    and are left out of an average (each window divides by its count of real cells).
    """
    x, pool, strides = check_pool_args(x, pool_size, strides, padding, mode)
    output_shape(x.shape, pool, strides, padding)  # Raises when the window does not fit.
    if mode == "max":
        padded = pad_input(x, pool, strides, padding, value=-np.inf)
        return windows(padded, pool, strides).max(axis=(2, 3))
    sums = windows(pad_input(x, pool, strides, padding), pool, strides).sum(axis=(2, 3))
    ones = np.ones((*x.shape[:2], 1), dtype=x.dtype)
    counts = windows(pad_input(ones, pool, strides, padding), pool, strides).sum(axis=(2, 3))
    return sums / counts
