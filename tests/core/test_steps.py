"""cnn_core.ops.steps: frames agree with conv2d/pool2d and TensorFlow, with hand-worked arithmetic, and stay frozen."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from cnn_core.ops.formulas import conv_step_latex
from cnn_core.ops.sliding import conv2d, pad_input, pool2d
from cnn_core.ops.steps import conv_steps, pool_steps
from tests.core.test_ops import _pair, _tf_conv
from tests.core.test_ops import _random_conv_case as _conv_case

CONV_TABLE = list(
    itertools.product(
        [(5, 5, 1), (6, 7, 3), (4, 4, 2)],  # (H, W, C_in)
        [1, 2, 3, (2, 3)],  # kernel_size
        [1, 2, (1, 2)],  # strides
        ["valid", "same", 1],  # padding
        [None, "relu"],  # activation
    )
)
POOL_TABLE = list(
    itertools.product(
        [(5, 5, 1), (6, 7, 2)],  # (H, W, C)
        [2, 3, (2, 3)],  # pool_size
        [None, 1, 2],  # strides
        ["valid", "same"],  # padding
        ["max", "average"],  # mode
    )
)


@pytest.fixture(scope="module")
def tf():
    """TensorFlow, imported on first use only, for the tf.nn.relu(tf.nn.conv2d(...) + b) reference."""
    import tensorflow

    return tensorflow


def _case_id(case) -> str:
    return "-".join(str(part) for part in case).replace(" ", "")


# --- convolution frames ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape, kernel_size, strides, padding, activation", CONV_TABLE, ids=map(_case_id, CONV_TABLE))
def test_conv_frames_end_at_conv2d_and_match_their_window(tf, shape, kernel_size, strides, padding, activation):
    image, kernels, bias = _conv_case(shape, kernel_size)
    expected = conv2d(image, kernels, bias, strides, padding, activation)  # (H_out, W_out, C_out)
    sums = conv2d(image, kernels, bias, strides, padding)  # before the activation
    reference = _tf_conv(tf, image, kernels, bias, strides, padding, activation)  # tf.nn.relu(tf.nn.conv2d + b)
    padded = pad_input(image, kernel_size, strides, padding)
    (kh, kw), (sh, sw) = _pair(kernel_size), _pair(strides)
    frames = list(conv_steps(image, kernels, bias, strides, padding, activation))

    assert len(frames) == expected.size == expected.shape[0] * expected.shape[1] * expected.shape[2]
    np.testing.assert_allclose(frames[-1].partial_output, expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(frames[-1].partial_output, reference, rtol=0, atol=1e-4)
    for index, frame in enumerate(frames):
        assert (frame.index, frame.total, frame.activation) == (index, len(frames), activation)
        assert (frame.top, frame.left) == (frame.row * sh, frame.col * sw)
        np.testing.assert_array_equal(frame.patch, padded[frame.top : frame.top + kh, frame.left : frame.left + kw])
        np.testing.assert_array_equal(frame.kernel, kernels[:, :, :, frame.filter])
        np.testing.assert_allclose(frame.products, frame.patch * frame.kernel, rtol=1e-6)
        np.testing.assert_allclose(frame.channel_sums, frame.products.sum(axis=(0, 1)), rtol=1e-5, atol=1e-6)
        assert frame.bias == pytest.approx(bias[frame.filter])
        assert frame.pre_activation == pytest.approx(sums[frame.row, frame.col, frame.filter], abs=1e-5)
        assert frame.value == pytest.approx(reference[frame.row, frame.col, frame.filter], abs=1e-4)
        assert frame.value == (max(frame.pre_activation, 0.0) if activation == "relu" else frame.pre_activation)


def test_conv_frames_go_filter_by_filter_then_row_by_row():
    image, kernels, bias = _conv_case((4, 5, 1), 2, c_out=3)
    cells = [(frame.filter, frame.row, frame.col) for frame in conv_steps(image, kernels, bias)]
    assert cells == list(itertools.product(range(3), range(3), range(4)))


def test_each_conv_frame_adds_exactly_its_own_cell():
    image, kernels, bias = _conv_case((5, 5, 3), 3, c_out=2, seed=1)
    frames = list(conv_steps(image, kernels, bias, strides=1, padding="same"))
    first = frames[0].partial_output
    assert first.shape == (5, 5, 2)
    assert np.count_nonzero(~np.isnan(first)) == 1
    assert first[0, 0, 0] == frames[0].value
    for frame in frames:
        partial = frame.partial_output
        assert np.count_nonzero(~np.isnan(partial)) == frame.index + 1
        assert partial[frame.row, frame.col, frame.filter] == frame.value


# The classic hand-worked 5x5 example: a binary image and an "X" kernel, no padding, stride 1.
SEED_IMAGE = np.array(
    [
        [1, 1, 1, 0, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 1, 1, 1],
        [0, 0, 1, 1, 0],
        [0, 1, 1, 0, 0],
    ],
    dtype=np.float32,
)
X_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)


def test_seed_5x5_example_by_hand():
    frames = list(conv_steps(SEED_IMAGE[:, :, None], X_KERNEL[:, :, None, None]))
    assert len(frames) == 9
    # Cell (1, 2): the window covers rows 1-3 and columns 2-4.
    frame = frames[5]
    assert (frame.row, frame.col, frame.top, frame.left) == (1, 2, 1, 2)
    np.testing.assert_array_equal(frame.patch[:, :, 0], [[1, 1, 0], [1, 1, 1], [1, 1, 0]])
    np.testing.assert_array_equal(frame.products[:, :, 0], [[1, 0, 0], [0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(frame.channel_sums, [3])
    assert (frame.bias, frame.value) == (0.0, 3.0)
    # The whole feature map, worked out by hand from the same patches.
    np.testing.assert_array_equal(frames[-1].partial_output[:, :, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    # Frame 5 knows cells 0-5 only: row 0, and row 1 up to column 2.
    np.testing.assert_array_equal(frame.partial_output[:, :, 0], [[4, 3, 4], [2, 4, 3], [np.nan, np.nan, np.nan]])


def test_rgb_cell_by_hand_sums_channels_then_adds_the_bias():
    image = np.full((3, 3, 3), 9.0, dtype=np.float32)
    image[1:, 1:, 0] = [[1, 2], [3, 4]]  # red patch of cell (1, 1)
    image[1:, 1:, 1] = [[0, 1], [1, 0]]  # green
    image[1:, 1:, 2] = [[5, 5], [5, 5]]  # blue
    kernel = np.stack(
        [
            [[1, 0], [0, -1]],  # red:   1*1 + 4*(-1)        = -3
            [[2, 2], [2, 2]],  # green: 2*(0 + 1 + 1 + 0)   =  4
            [[0.5, 0], [0, 0.5]],  # blue:  0.5*5 + 0.5*5   =  5
        ],
        axis=-1,
    ).astype(np.float32)[:, :, :, None]  # (2, 2, 3, 1)
    frame = list(conv_steps(image, kernel, bias=np.array([1.0], dtype=np.float32)))[3]
    assert (frame.row, frame.col) == (1, 1)
    np.testing.assert_array_equal(frame.products[:, :, 0], [[1, 0], [0, -4]])
    np.testing.assert_array_equal(frame.products[:, :, 1], [[0, 2], [2, 0]])
    np.testing.assert_array_equal(frame.products[:, :, 2], [[2.5, 0], [0, 2.5]])
    np.testing.assert_array_equal(frame.channel_sums, [-3, 4, 5])
    assert frame.bias == 1.0
    assert frame.value == -3 + 4 + 5 + 1


def test_seed_5x5_example_with_a_bias_and_relu_by_hand():
    # The same sums (4 3 4 / 2 4 3 / 2 3 4) minus 3.5: ReLU keeps 0.5 where the X matched 4 cells.
    frames = list(conv_steps(SEED_IMAGE[:, :, None], X_KERNEL[:, :, None, None], np.array([-3.5]), activation="relu"))
    assert [frame.pre_activation for frame in frames] == [0.5, -0.5, 0.5, -1.5, 0.5, -0.5, -1.5, -0.5, 0.5]
    assert [frame.value for frame in frames] == [0.5, 0, 0.5, 0, 0.5, 0, 0, 0, 0.5]
    np.testing.assert_array_equal(frames[-1].partial_output[:, :, 0], [[0.5, 0, 0.5], [0, 0.5, 0], [0, 0, 0.5]])
    lines = conv_step_latex(frames[3], ["grey"], relu_label="ReLU")
    assert lines[-2].startswith("z[1, 0] = 2 + ") and lines[-2].endswith("= -1.5")
    assert lines[-1] == r"\text{ReLU: } \text{out}[1, 0] = \max(0, -1.5) = \mathbf{0}"
    translated = conv_step_latex(frames[0], ["grey"], relu_label="렐루")
    assert translated[-1] == r"\text{렐루: } \text{out}[0, 0] = \max(0, 0.5) = \mathbf{0.5}"


def test_without_an_activation_the_latex_ends_at_the_sum_in_bold():
    frames = list(conv_steps(SEED_IMAGE[:, :, None], X_KERNEL[:, :, None, None], np.array([-3.5])))
    last = conv_step_latex(frames[3], ["grey"])[-1]
    assert last.startswith(r"\text{out}[1, 0] = 2 + ") and last.endswith(r"= \mathbf{-1.5}")
    assert frames[3].value == frames[3].pre_activation == -1.5 and frames[3].activation is None


def test_earlier_frames_keep_their_partial_output_after_the_generator_moves_on():
    image, kernels, bias = _conv_case((6, 6, 3), 3, c_out=2, seed=2)
    frames, snapshots = [], []
    for frame in conv_steps(image, kernels, bias, strides=2, padding="same"):
        frames.append(frame)
        snapshots.append(frame.partial_output.copy())
    for frame, snapshot in zip(frames, snapshots):
        np.testing.assert_array_equal(frame.partial_output, snapshot)
    # A page drawing on a partial output must not change what the frame shows next time.
    drawn = frames[4].partial_output
    drawn[:] = 0.0
    np.testing.assert_array_equal(frames[4].partial_output, snapshots[4])


def test_frames_are_frozen_and_their_shared_arrays_read_only():
    frame = next(conv_steps(*_conv_case((4, 4, 1), 2)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        frame.value = 0.0
    for shared in (frame.patch, frame.kernel):  # views into the padded input and the kernels
        with pytest.raises(ValueError, match="read-only"):
            shared[0, 0, 0] = 1.0


def test_frames_do_not_see_later_changes_to_the_callers_arrays():
    image, kernels, bias = _conv_case((4, 4, 1), 2, seed=3)
    frames = conv_steps(image, kernels, bias, padding=1)
    expected = conv2d(image, kernels, bias, padding=1)
    image[:] = 0.0
    kernels[:] = 0.0
    np.testing.assert_allclose(list(frames)[-1].partial_output, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize(
    "call",
    [
        lambda: conv_steps(np.zeros((5, 5, 3)), np.zeros((3, 3, 1, 2))),
        lambda: conv_steps(np.zeros((5, 5, 1)), np.zeros((3, 3, 1, 2)), strides=0),
        lambda: conv_steps(np.zeros((2, 2, 1)), np.zeros((3, 3, 1, 2))),
        lambda: conv_steps(np.zeros((5, 5, 1)), np.zeros((3, 3, 1, 2)), activation="softmax"),
        lambda: pool_steps(np.zeros((5, 5, 1)), padding=1),
        lambda: pool_steps(np.zeros((5, 5, 1)), mode="min"),
        lambda: pool_steps(np.zeros((1, 1, 1)), pool_size=2),
    ],
    ids=["channels", "stride", "too-small", "activation", "pool-int-padding", "pool-mode", "pool-too-small"],
)
def test_bad_arguments_raise_before_the_first_frame(call):
    with pytest.raises(ValueError):
        call()  # no next(): a page learns of bad input when it asks for the frames


# --- pooling frames -------------------------------------------------------------------------------


@pytest.mark.parametrize("shape, pool_size, strides, padding, mode", POOL_TABLE, ids=map(_case_id, POOL_TABLE))
def test_pool_frames_end_at_pool2d_and_match_their_window(shape, pool_size, strides, padding, mode):
    x = np.random.default_rng(4).normal(size=shape).astype(np.float32)
    expected = pool2d(x, pool_size, strides, padding, mode)  # (H_out, W_out, C)
    frames = list(pool_steps(x, pool_size, strides, padding, mode))

    assert len(frames) == expected.size
    np.testing.assert_allclose(frames[-1].partial_output, expected, rtol=0, atol=1e-6)
    for index, frame in enumerate(frames):
        assert (frame.index, frame.total, frame.mode) == (index, len(frames), mode)
        assert frame.window.shape == _pair(pool_size)
        real = ~np.isnan(frame.window)
        assert frame.count == real.sum() >= 1
        if mode == "max":
            assert frame.window[frame.argmax] == np.nanmax(frame.window) == frame.value
        else:
            assert frame.argmax is None
            assert frame.value == pytest.approx(frame.window[real].sum() / frame.count)
        assert frame.value == pytest.approx(expected[frame.row, frame.col, frame.channel], abs=1e-6)


POOL_INPUT = np.array(
    [
        [1, 1, 2, 4],
        [5, 6, 7, 8],
        [3, 2, 1, 0],
        [1, 2, 3, 4],
    ],
    dtype=np.float32,
)[:, :, None]


def test_max_pool_frames_by_hand():
    frames = list(pool_steps(POOL_INPUT))  # 2x2 windows, stride 2
    assert [frame.argmax for frame in frames] == [(1, 1), (1, 1), (0, 0), (1, 1)]
    assert [frame.value for frame in frames] == [6, 8, 3, 4]
    assert [(frame.top, frame.left) for frame in frames] == [(0, 0), (0, 2), (2, 0), (2, 2)]
    np.testing.assert_array_equal(frames[1].window, [[2, 4], [7, 8]])
    np.testing.assert_array_equal(frames[-1].partial_output[:, :, 0], [[6, 8], [3, 4]])


def test_average_pool_frames_by_hand():
    frames = list(pool_steps(POOL_INPUT, mode="average"))
    assert [frame.value for frame in frames] == [3.25, 5.25, 2.0, 2.0]
    assert [frame.count for frame in frames] == [4, 4, 4, 4]


def test_same_pool_frames_leave_padded_cells_out():
    # 5x5 with 2x2 windows, stride 2, "same": 3x3 outputs, one zero row/column at bottom/right.
    x = np.arange(1, 26, dtype=np.float32).reshape(5, 5, 1)
    frames = list(pool_steps(x, 2, padding="same", mode="average"))
    counts = np.array([frame.count for frame in frames]).reshape(3, 3)
    np.testing.assert_array_equal(counts, [[4, 4, 2], [4, 4, 2], [2, 2, 1]])
    corner = frames[-1]
    assert np.isnan(corner.window).sum() == 3 and corner.window[0, 0] == 25 and corner.value == 25
    right = frames[2]  # rows 0-1, column 4 and a padded column
    np.testing.assert_array_equal(right.window[:, 0], [5, 10])
    assert np.isnan(right.window[:, 1]).all() and right.value == 7.5
    # With all-negative values a padded zero must not win the max either.
    max_frames = list(pool_steps(-x, 2, padding="same", mode="max"))
    assert max_frames[-1].value == -25 and max_frames[-1].argmax == (0, 0)


def test_pool_frames_go_channel_by_channel_and_fill_one_cell_each():
    x = np.random.default_rng(5).normal(size=(4, 6, 2))
    frames = list(pool_steps(x, 2, strides=1))
    cells = [(frame.channel, frame.row, frame.col) for frame in frames]
    assert cells == list(itertools.product(range(2), range(3), range(5)))
    assert np.count_nonzero(~np.isnan(frames[0].partial_output)) == 1
    for frame in frames[::7]:
        assert np.count_nonzero(~np.isnan(frame.partial_output)) == frame.index + 1
