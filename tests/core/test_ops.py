"""cnn_core.ops (shapes, checks, sliding) against TensorFlow and Keras over parameter tables, the formula, and bad input.

TensorFlow is imported once, lazily, by the module-scoped ``tf`` fixture so that collecting the
suite stays cheap; every reference result comes from ``tf.nn.conv2d`` or a Keras pooling layer.
"""

from __future__ import annotations

import itertools
import math
import os
import re

import numpy as np
import pytest

from cnn_core.ops.shapes import conv_output_size, output_shape, padding_amounts, same_padding
from cnn_core.ops.sliding import conv2d, pad_input, pool2d, windows

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = 1e-4

# Input shapes (H, W, C_in): square, non-square both ways, 1 and 3 channels.
CONV_SHAPES = [(5, 5, 1), (7, 6, 3), (4, 9, 1), (8, 8, 3)]
KERNEL_SIZES = [1, 2, 3, 4, 5, (2, 3)]
STRIDES = [1, 2, 3, (2, 1)]
PADDINGS = ["valid", "same", 0, 1, 2]
# None: the sum plus bias (the pre-activation response); "relu": max(0, that), as Conv2D(activation='relu').
ACTIVATIONS = [None, "relu"]
# Inputs smaller than the kernel: only "same" (or enough explicit zeros) lets the window fit.
TINY_CASES = [
    ((1, 1, 1), 1, 1, "valid"),
    ((1, 1, 3), 3, 1, "same"),
    ((2, 2, 1), 3, 1, "same"),
    ((2, 3, 3), 5, 2, "same"),
    ((1, 2, 1), 3, 1, 1),
    ((2, 2, 3), 4, 3, 1),
    ((3, 1, 1), (3, 1), 1, "valid"),
]

POOL_SHAPES = [(5, 5, 1), (7, 6, 2), (4, 9, 3), (8, 8, 1)]
POOL_SIZES = [2, 3, (2, 3)]
POOL_STRIDES = [None, 1, 2, 3, (1, 2)]


@pytest.fixture(scope="module")
def tf():
    """TensorFlow, imported on first use only (about 5 s)."""
    import tensorflow

    return tensorflow


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _fits(shape, kernel_size, padding) -> bool:
    """Whether a window fits at least once, by the rule i + 2p >= k ("same" always fits)."""
    if padding == "same":
        return True
    p = 0 if padding == "valid" else padding
    kh, kw = _pair(kernel_size)
    return shape[0] + 2 * p >= kh and shape[1] + 2 * p >= kw


def _random_conv_case(shape, kernel_size, c_out=2, seed=0):
    rng = np.random.default_rng(seed)
    kh, kw = _pair(kernel_size)
    image = rng.normal(size=shape).astype(np.float32)
    kernels = rng.normal(size=(kh, kw, shape[2], c_out)).astype(np.float32)
    bias = rng.normal(size=c_out).astype(np.float32)
    return image, kernels, bias


def _tf_conv(tf, image, kernels, bias, strides, padding, activation=None) -> np.ndarray:
    """The reference: tf.nn.conv2d + bias, then tf.nn.relu for "relu"; an int padding is np.pad, then VALID."""
    if not isinstance(padding, str):
        image = np.pad(image, ((padding, padding), (padding, padding), (0, 0)))
        padding = "valid"
    out = tf.nn.conv2d(image[None], kernels, strides=list(_pair(strides)), padding=padding.upper()) + bias
    if activation == "relu":
        out = tf.nn.relu(out)
    return out.numpy()[0]  # (H_out, W_out, C_out)


def _keras_pool(tf, x, pool_size, strides, padding, mode) -> np.ndarray:
    layer_class = tf.keras.layers.MaxPooling2D if mode == "max" else tf.keras.layers.AveragePooling2D
    layer = layer_class(pool_size=pool_size, strides=strides, padding=padding)
    return np.asarray(layer(x[None]))[0]  # (H_out, W_out, C)


# --- conv2d -------------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
@pytest.mark.parametrize("padding", PADDINGS, ids=str)
@pytest.mark.parametrize("strides", STRIDES, ids=str)
@pytest.mark.parametrize("kernel_size", KERNEL_SIZES, ids=lambda k: f"k{k}")
@pytest.mark.parametrize("shape", CONV_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_conv2d_matches_tf_nn_conv2d_plus_bias(tf, shape, kernel_size, strides, padding, activation):
    image, kernels, bias = _random_conv_case(shape, kernel_size)
    if not _fits(shape, kernel_size, padding):
        with pytest.raises(ValueError, match="does not fit"):
            conv2d(image, kernels, bias, strides=strides, padding=padding, activation=activation)
        return
    expected = _tf_conv(tf, image, kernels, bias, strides, padding, activation)
    got = conv2d(image, kernels, bias, strides=strides, padding=padding, activation=activation)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
@pytest.mark.parametrize("shape, kernel_size, strides, padding", TINY_CASES, ids=str)
def test_conv2d_on_tiny_inputs_matches_tf(tf, shape, kernel_size, strides, padding, activation):
    image, kernels, bias = _random_conv_case(shape, kernel_size, c_out=3, seed=1)
    expected = _tf_conv(tf, image, kernels, bias, strides, padding, activation)
    got = conv2d(image, kernels, bias, strides=strides, padding=padding, activation=activation)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


def test_relu_keeps_the_positive_sums_and_zeroes_the_rest():
    image, kernels, bias = _random_conv_case((8, 8, 3), 3, c_out=4, seed=8)
    before = conv2d(image, kernels, bias)
    after = conv2d(image, kernels, bias, activation="relu")
    assert (before < 0).any() and (before > 0).any()  # the case really has both signs
    np.testing.assert_array_equal(after[before > 0], before[before > 0])
    assert (after[before <= 0] == 0).all()


def test_conv2d_without_bias_and_with_integer_pixels_matches_tf(tf):
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, size=(9, 7, 3), dtype=np.uint8)
    kernels = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    expected = tf.nn.conv2d(image[None].astype(np.float32), kernels, 1, "SAME").numpy()[0]
    got = conv2d(image, kernels, padding="same")
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-2)  # values reach ~1e3


@pytest.mark.parametrize(
    "size, kernel_size, strides, split",
    [(6, 4, 1, (1, 2)), (6, 3, 2, (0, 1)), (4, 2, 1, (0, 1)), (7, 2, 3, (0, 1)), (5, 3, 2, (1, 1)), (5, 1, 3, (0, 0))],
)
def test_same_padding_puts_the_odd_zero_at_bottom_right_like_tf(tf, size, kernel_size, strides, split):
    assert same_padding(size, kernel_size, strides) == split
    assert padding_amounts(size, kernel_size, strides, "same") == split
    image, kernels, bias = _random_conv_case((size, size, 1), kernel_size, seed=3)
    (top, bottom) = split
    padded = np.pad(image, ((top, bottom), (top, bottom), (0, 0)))
    by_hand = tf.nn.conv2d(padded[None], kernels, strides, "VALID").numpy()[0] + bias
    tf_same = _tf_conv(tf, image, kernels, bias, strides, "same")
    np.testing.assert_allclose(tf_same, by_hand, rtol=0, atol=ATOL)  # the split really is TF's
    np.testing.assert_allclose(conv2d(image, kernels, bias, strides, "same"), tf_same, rtol=0, atol=ATOL)


def test_pad_input_and_windows_give_every_window_in_order():
    image = np.arange(4 * 5 * 2, dtype=np.float32).reshape(4, 5, 2)
    # Rows: ceil(4/2) = 2 outputs need 1*2 + 3 = 5 rows, one zero, at the bottom.
    # Columns: ceil(5/2) = 3 outputs need 2*2 + 3 = 7 columns, one zero each side.
    padded = pad_input(image, 3, 2, "same")
    assert padded.shape == (5, 7, 2)
    np.testing.assert_array_equal(padded[:4, 1:6], image)
    assert not padded[4].any() and not padded[:, 0].any() and not padded[:, 6].any()
    patches = windows(padded, 3, 2)
    assert patches.shape == (2, 3, 3, 3, 2)
    for r, c in itertools.product(range(2), range(3)):
        np.testing.assert_array_equal(patches[r, c], padded[2 * r : 2 * r + 3, 2 * c : 2 * c + 3])


# --- pool2d -------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", POOL_STRIDES, ids=str)
@pytest.mark.parametrize("pool_size", POOL_SIZES, ids=lambda k: f"p{k}")
@pytest.mark.parametrize("shape", POOL_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_pool2d_matches_keras_pooling_layers(tf, shape, pool_size, strides, padding, mode):
    x = np.random.default_rng(4).normal(size=shape).astype(np.float32)
    if not _fits(shape, pool_size, padding):
        with pytest.raises(ValueError, match="does not fit"):
            pool2d(x, pool_size, strides, padding, mode)
        return
    expected = _keras_pool(tf, x, pool_size, strides, padding, mode)
    got = pool2d(x, pool_size, strides, padding, mode)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


def test_pool2d_defaults_are_2x2_max_with_stride_2(tf):
    x = np.random.default_rng(5).normal(size=(6, 7, 2)).astype(np.float32)
    expected = np.asarray(tf.keras.layers.MaxPooling2D()(x[None]))[0]
    np.testing.assert_allclose(pool2d(x), expected, rtol=0, atol=ATOL)
    assert pool2d(x).shape == (3, 3, 2)


def test_same_average_pooling_leaves_padded_cells_out():
    x = np.ones((5, 5, 1), dtype=np.float32)
    # Zeros counted in the average would pull the last row and column below 1.
    np.testing.assert_array_equal(pool2d(x, 2, padding="same", mode="average"), np.ones((3, 3, 1)))
    # With all-negative values a padded zero would win the max.
    np.testing.assert_array_equal(pool2d(-x, 2, padding="same", mode="max"), -np.ones((3, 3, 1)))


def test_pool2d_downsamples_a_148_feature_map_to_74(tf):
    x = np.random.default_rng(6).random((148, 148, 4)).astype(np.float32)
    expected = np.asarray(tf.keras.layers.MaxPooling2D(2)(x[None]))[0]
    got = pool2d(x, 2)
    assert got.shape == expected.shape == (74, 74, 4)
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


# --- conv_output_size ---------------------------------------------------------------------------


def _formula(i, k, s, padding):
    """o = floor((i + 2p - k) / s) + 1 (Dumoulin & Visin); "same" is ceil(i / s); None = no fit."""
    if padding == "same":
        return math.ceil(i / s)
    p = 0 if padding == "valid" else padding
    return None if i + 2 * p < k else math.floor((i + 2 * p - k) / s) + 1


def test_conv_output_size_follows_the_formula():
    for i, k, s, padding in itertools.product(range(1, 13), range(1, 6), range(1, 5), ["valid", "same", 0, 1, 2]):
        expected = _formula(i, k, s, padding)
        if expected is None:
            with pytest.raises(ValueError, match="does not fit"):
                conv_output_size(i, k, s, padding)
        else:
            assert conv_output_size(i, k, s, padding) == expected, (i, k, s, padding)


@pytest.mark.parametrize(
    "size, kernel_size, strides, padding, expected",
    [
        (28, 3, 1, "valid", 26),
        (150, 3, 1, "valid", 148),
        (148, 2, 2, "valid", 74),
        (5, 3, 2, "valid", 2),
        (5, 3, 2, "same", 3),
        (5, 3, 1, 1, 5),
        (7, 4, 3, "same", 3),
        (7, 4, 3, 2, 3),
        (10, 5, 4, "valid", 2),
    ],
)
def test_conv_output_size_equals_the_length_tf_produces(tf, size, kernel_size, strides, padding, expected):
    image = np.zeros((size, size, 1), dtype=np.float32)
    kernels = np.zeros((kernel_size, kernel_size, 1, 1), dtype=np.float32)
    tf_length = _tf_conv(tf, image, kernels, np.zeros(1, np.float32), strides, padding).shape[0]
    assert conv_output_size(size, kernel_size, strides, padding) == tf_length == expected
    if isinstance(padding, str):
        pooled = _keras_pool(tf, image, kernel_size, strides, padding, "max")
        assert output_shape(image.shape, kernel_size, strides, padding) == pooled.shape[:2]


# --- bad arguments ------------------------------------------------------------------------------

IMAGE = np.zeros((5, 5, 3), dtype=np.float32)
KERNELS = np.zeros((3, 3, 3, 2), dtype=np.float32)
NAN_IMAGE = IMAGE.copy()
NAN_IMAGE[2, 2, 1] = np.nan
INF_KERNELS = KERNELS.copy()
INF_KERNELS[0, 0, 0, 0] = np.inf

# (what is wrong, the call, a pattern the message must contain: the bad value or its name)
BAD_CALLS = [
    ("zero stride", lambda: conv2d(IMAGE, KERNELS, strides=0), r"strides.*\b0\b"),
    ("negative stride", lambda: conv2d(IMAGE, KERNELS, strides=-1), r"strides.*-1"),
    ("zero in a stride pair", lambda: conv2d(IMAGE, KERNELS, strides=(1, 0)), r"strides.*\(1, 0\)"),
    ("float stride", lambda: conv2d(IMAGE, KERNELS, strides=1.5), r"strides.*1\.5"),
    ("bool stride", lambda: conv2d(IMAGE, KERNELS, strides=True), r"strides.*True"),
    ("stride triple", lambda: conv2d(IMAGE, KERNELS, strides=(1, 1, 1)), r"strides.*\(1, 1, 1\)"),
    ("None stride", lambda: conv2d(IMAGE, KERNELS, strides=None), r"strides.*None"),
    ("unknown padding", lambda: conv2d(IMAGE, KERNELS, padding="full"), r"padding.*'full'"),
    ("bool padding", lambda: conv2d(IMAGE, KERNELS, padding=True), r"padding.*True"),
    ("negative padding", lambda: conv2d(IMAGE, KERNELS, padding=-1), r"padding.*-1"),
    ("float padding", lambda: conv2d(IMAGE, KERNELS, padding=1.5), r"padding.*1\.5"),
    ("2-D image", lambda: conv2d(IMAGE[:, :, 0], KERNELS), r"image.*\(5, 5\)"),
    ("4-D image", lambda: conv2d(IMAGE[None], KERNELS), r"image.*\(1, 5, 5, 3\)"),
    ("3-D kernels", lambda: conv2d(IMAGE, KERNELS[..., 0]), r"kernels.*\(3, 3, 3\)"),
    ("channel mismatch", lambda: conv2d(IMAGE[:, :, :1], KERNELS), r"3 input channels.*has 1"),
    ("bias shape", lambda: conv2d(IMAGE, KERNELS, bias=np.zeros(3)), r"bias.*\(2,\).*\(3,\)"),
    ("2-D bias", lambda: conv2d(IMAGE, KERNELS, bias=np.zeros((2, 1))), r"bias.*\(2, 1\)"),
    ("NaN in the image", lambda: conv2d(NAN_IMAGE, KERNELS), r"image.*NaN"),
    ("inf in the kernels", lambda: conv2d(IMAGE, INF_KERNELS), r"kernels.*infinite"),
    ("NaN in the bias", lambda: conv2d(IMAGE, KERNELS, bias=np.array([0.0, np.nan])), r"bias.*NaN"),
    ("empty image", lambda: conv2d(np.zeros((0, 5, 3)), KERNELS), r"image.*empty.*\(0, 5, 3\)"),
    ("text image", lambda: conv2d(np.full((5, 5, 3), "a"), KERNELS), r"image.*dtype.*<U1"),
    ("window larger than input", lambda: conv2d(IMAGE[:2, :2], KERNELS), r"\b3\b.*\b2\b"),
    (
        "unknown activation",
        lambda: conv2d(IMAGE, KERNELS, activation="sigmoid"),
        r"activation.*None.*'relu'.*'sigmoid'",
    ),
    ("activation in capitals", lambda: conv2d(IMAGE, KERNELS, activation="ReLU"), r"activation.*'ReLU'"),
    ("activation not a string", lambda: conv2d(IMAGE, KERNELS, activation=1), r"activation.*\b1\b"),
    ("pool size zero", lambda: pool2d(IMAGE, pool_size=0), r"pool_size.*\b0\b"),
    ("pool size None", lambda: pool2d(IMAGE, pool_size=None), r"pool_size.*None"),
    ("pool stride negative", lambda: pool2d(IMAGE, strides=-2), r"strides.*-2"),
    ("pool unknown padding", lambda: pool2d(IMAGE, padding="full"), r"padding.*'full'"),
    ("pool int padding", lambda: pool2d(IMAGE, padding=1), r"padding.*\b1\b"),
    ("pool bool padding", lambda: pool2d(IMAGE, padding=True), r"padding.*True"),
    ("pool unknown mode", lambda: pool2d(IMAGE, mode="min"), r"mode.*'min'"),
    ("pool 2-D input", lambda: pool2d(IMAGE[:, :, 0]), r"\(5, 5\)"),
    ("pool NaN input", lambda: pool2d(NAN_IMAGE), r"NaN"),
    ("pool window larger than input", lambda: pool2d(IMAGE, pool_size=6), r"\b6\b.*\b5\b"),
    ("size: zero input", lambda: conv_output_size(0, 3), r"input_size.*\b0\b"),
    ("size: float input", lambda: conv_output_size(2.5, 1), r"input_size.*2\.5"),
    ("size: bool kernel", lambda: conv_output_size(5, True), r"kernel_size.*True"),
    ("size: zero kernel", lambda: conv_output_size(5, 0), r"kernel_size.*\b0\b"),
    ("size: zero stride", lambda: conv_output_size(5, 3, 0), r"strides.*\b0\b"),
    ("size: negative stride", lambda: conv_output_size(5, 3, -2), r"strides.*-2"),
    ("size: unknown padding", lambda: conv_output_size(5, 3, 1, "full"), r"padding.*'full'"),
    ("size: negative padding", lambda: conv_output_size(5, 3, 1, -1), r"padding.*-1"),
    ("size: window larger than input", lambda: conv_output_size(2, 5), r"\b5\b.*\b2\b"),
]


@pytest.mark.parametrize("call, pattern", [case[1:] for case in BAD_CALLS], ids=[case[0] for case in BAD_CALLS])
def test_bad_arguments_raise_value_error_naming_the_value(call, pattern):
    try:
        call()
    except Exception as error:
        raised = error
    else:
        raised = None
    assert isinstance(raised, ValueError), f"expected a ValueError, got {type(raised).__name__}: {raised}"
    assert re.search(pattern, str(raised)), f"message {str(raised)!r} does not match {pattern!r}"


def test_same_padding_lets_a_kernel_larger_than_the_input_fit(tf):
    image, kernels, bias = _random_conv_case((2, 2, 1), 5, seed=7)
    assert conv_output_size(2, 5, 1, "same") == 2
    np.testing.assert_allclose(
        conv2d(image, kernels, bias, padding="same"), _tf_conv(tf, image, kernels, bias, 1, "same"), rtol=0, atol=ATOL
    )
