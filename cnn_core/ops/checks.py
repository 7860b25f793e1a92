"""Argument checks shared by the ops and their step frames: one place that says what is allowed.

Each check raises ``ValueError`` naming the argument, what was received and what is allowed, and
returns the value in the form the ops use (a pair of ints, a float array).
"""

from __future__ import annotations

import numpy as np

PADDING_MODES = ("valid", "same")
POOL_MODES = ("max", "average")
# What may follow a convolution's sum: nothing (the pre-activation response) or ReLU, max(0, x),
# as in the note's Conv2D(..., activation='relu').
CONV_ACTIVATIONS = (None, "relu")


def is_int(value) -> bool:
    """True for a Python or numpy integer that is not a bool.

    >>> is_int(3), is_int(np.int64(3)), is_int(True), is_int(3.0)
    (True, True, False, False)
    """
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_pair(value, name: str) -> tuple[int, int]:
    """An int or a pair of ints -> (rows, cols), each a positive int.

    >>> check_pair(3, "kernel_size"), check_pair((2, 1), "strides")
    ((3, 3), (2, 1))
    """
    try:
        pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(is_int(v) for v in pair):
        raise ValueError(f"{name} must be a positive int or a pair of positive ints, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return int(pair[0]), int(pair[1])


def check_positive_int(value, name: str) -> int:
    """A positive int, or ``ValueError`` naming ``name``."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def check_padding(padding) -> None:
    """ "valid", "same" or an int >= 0."""
    if isinstance(padding, str):
        if padding not in PADDING_MODES:
            raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")
    elif not is_int(padding) or padding < 0:
        raise ValueError(f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}")


def check_activation(activation) -> str | None:
    """None or "relu": the function applied to each sum plus bias.

    >>> check_activation("relu"), check_activation(None)
    ('relu', None)
    """
    if not (activation is None or (isinstance(activation, str) and activation in CONV_ACTIVATIONS)):
        raise ValueError(f"activation must be None or 'relu', got {activation!r}")
    return activation


def check_array(x, ndim: int, name: str) -> np.ndarray:
    """A finite, non-empty real array of ``ndim`` dimensions; integers become float32."""
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


def check_conv_args(image, kernels, bias) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """image (H, W, C_in), kernels (kh, kw, C_in, C_out), bias (C_out,) or None -> one common dtype."""
    image = check_array(image, 3, "image (H, W, C_in)")
    kernels = check_array(kernels, 4, "kernels (kh, kw, C_in, C_out)")
    if kernels.shape[2] != image.shape[2]:
        raise ValueError(
            f"kernels expect {kernels.shape[2]} input channels but the image has {image.shape[2]} "
            f"(image {image.shape}, kernels {kernels.shape})"
        )
    c_out = kernels.shape[3]
    bias = np.zeros(c_out, dtype=kernels.dtype) if bias is None else check_array(bias, 1, "bias (C_out,)")
    if bias.shape != (c_out,):
        raise ValueError(f"bias must have shape ({c_out},), got {bias.shape}")
    dtype = np.result_type(image.dtype, kernels.dtype, bias.dtype)
    return image.astype(dtype, copy=False), kernels.astype(dtype, copy=False), bias.astype(dtype, copy=False)


def check_pool_args(x, pool_size, strides, padding, mode: str):
    """x (H, W, C), pool_size, strides (None: the pool size), "valid"/"same", "max"/"average"
    -> (x as floats, pool pair, strides pair)."""
    x = check_array(x, 3, "x")
    if mode not in POOL_MODES:
        raise ValueError(f"mode must be 'max' or 'average', got {mode!r}")
    if not isinstance(padding, str) or padding not in PADDING_MODES:
        raise ValueError(f"pooling padding must be 'valid' or 'same', got {padding!r}")
    pool = check_pair(pool_size, "pool_size")
    return x, pool, pool if strides is None else check_pair(strides, "strides")
