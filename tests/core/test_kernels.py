"""Kernel presets against hand-worked values and OpenCV, and parsing of typed-in kernel cells."""

import math

import numpy as np
import pytest

from cnn_core.ops.kernels import (
    KERNEL_SIZES,
    PRESETS,
    GridError,
    format_grid,
    format_number,
    kernel_preset,
    parse_grid,
    preset_kernel,
)
from cnn_core.ops.sliding import conv2d


@pytest.mark.parametrize("size", KERNEL_SIZES)
@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_is_a_finite_square_kernel(name, size):
    kernel = kernel_preset(name, size)
    assert kernel.shape == (size, size)
    assert np.all(np.isfinite(kernel))


def test_three_by_three_presets_match_the_textbook_values():
    assert kernel_preset("identity").tolist() == [[0, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert kernel_preset("cross (textbook)").tolist() == [[1, 0, 1], [0, 1, 0], [1, 0, 1]]
    assert kernel_preset("vertical edge").tolist() == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert kernel_preset("horizontal edge").tolist() == [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    assert kernel_preset("sharpen").tolist() == [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]
    np.testing.assert_array_equal(kernel_preset("box blur"), np.full((3, 3), 1 / 9))
    np.testing.assert_array_equal(kernel_preset("Gaussian blur") * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])


@pytest.mark.parametrize("size", KERNEL_SIZES)
def test_edge_presets_are_opencv_sobel_kernels(size):
    import cv2

    smooth, derivative = cv2.getDerivKernels(0, 1, size)  # (size, 1) each: d/dy uses the second
    vertical = cv2.getDerivKernels(1, 0, size)
    np.testing.assert_array_equal(kernel_preset("vertical edge", size), np.outer(vertical[1], vertical[0]))
    np.testing.assert_array_equal(kernel_preset("horizontal edge", size), np.outer(derivative, smooth))


@pytest.mark.parametrize("size", KERNEL_SIZES)
def test_gaussian_preset_is_the_binomial_outer_product(size):
    row = np.array([math.comb(size - 1, j) for j in range(size)], dtype=float)
    np.testing.assert_allclose(kernel_preset("Gaussian blur", size), np.outer(row, row) / row.sum() ** 2)


@pytest.mark.parametrize("size", KERNEL_SIZES)
@pytest.mark.parametrize(
    "name, total",
    [
        ("box blur", 1.0),
        ("Gaussian blur", 1.0),
        ("sharpen", 1.0),
        ("identity", 1.0),
        ("vertical edge", 0.0),
        ("horizontal edge", 0.0),
    ],
)
def test_blurs_keep_brightness_and_edges_ignore_flat_regions(name, size, total):
    flat = np.full((9, 9, 1), 0.5)
    out = conv2d(flat, kernel_preset(name, size)[:, :, None, None])
    np.testing.assert_allclose(out, 0.5 * total, atol=1e-12)


def test_vertical_edge_fires_on_a_left_to_right_step_and_identity_copies():
    step = np.zeros((5, 6, 1))
    step[:, 3:] = 1.0  # dark on the left, bright on the right
    vertical = conv2d(step, kernel_preset("vertical edge")[:, :, None, None])[:, :, 0]
    horizontal = conv2d(step, kernel_preset("horizontal edge")[:, :, None, None])[:, :, 0]
    assert vertical[:, 1].tolist() == [4.0, 4.0, 4.0] and vertical[:, 0].tolist() == [0.0, 0.0, 0.0]
    assert np.all(horizontal == 0.0)
    identity = conv2d(step, kernel_preset("identity", 5)[:, :, None, None], padding="same")
    np.testing.assert_array_equal(identity, step)


def test_random_preset_is_seeded_rounded_and_bounded():
    first, again = kernel_preset("random", 5, seed=3), kernel_preset("random", 5, seed=3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, kernel_preset("random", 5, seed=4))
    assert np.all(np.abs(first) <= 1.0)
    np.testing.assert_array_equal(first, np.round(first, 2))


def test_preset_kernel_stacks_channels_and_draws_a_random_kernel_per_channel():
    edge = preset_kernel("vertical edge", 3, channels=3)
    assert edge.shape == (3, 3, 3)
    for c in range(3):
        np.testing.assert_array_equal(edge[:, :, c], kernel_preset("vertical edge"))
    random = preset_kernel("random", 3, channels=2, seed=7)
    np.testing.assert_array_equal(random[:, :, 1], kernel_preset("random", 3, seed=8))
    assert not np.array_equal(random[:, :, 0], random[:, :, 1])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: kernel_preset("blurry"), "unknown kernel preset 'blurry'"),
        (lambda: kernel_preset("identity", 4), "kernel size must be one of (3, 5), got 4"),
        (lambda: preset_kernel("identity", 3, channels=0), "channels must be a positive int, got 0"),
    ],
)
def test_bad_preset_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


@pytest.mark.parametrize("size", KERNEL_SIZES)
@pytest.mark.parametrize("name", PRESETS)
def test_formatted_presets_parse_back_exactly(name, size):
    kernel = kernel_preset(name, size, seed=11)
    cells = format_grid(kernel)
    assert all(isinstance(cell, str) and len(cell) <= 8 for row in cells for cell in row)
    np.testing.assert_array_equal(parse_grid(cells), kernel)


def test_format_number_prefers_short_exact_text():
    assert [format_number(v) for v in (2.0, -0.25, 1 / 9, 3 / 128, 0.37, -0.0)] == [
        "2",
        "-0.25",
        "1/9",
        "3/128",
        "0.37",
        "0",
    ]
    assert format_number(math.pi) == "3.142"


def test_parse_grid_reads_the_forms_people_type():
    cells = [["1", " -2 ", "1/9"], ["0,5", "\u22123", "1e-3"], [4, 2.5, np.float32(0.5)]]
    np.testing.assert_array_equal(parse_grid(cells), [[1, -2, 1 / 9], [0.5, -3, 0.001], [4, 2.5, 0.5]])


@pytest.mark.parametrize(
    "cells, message",
    [
        ([["1", "0"], ["x", "2"]], "row 2, column 1: 'x' is not a number"),
        ([["1", ""], ["0", "2"]], "row 1, column 2: is empty"),
        ([["1", None]], "row 1, column 2: is empty"),
        ([["nan", "1"]], "row 1, column 1: 'nan' is not a number"),
        ([["1", "inf"]], "row 1, column 2: 'inf' is not a number"),
        ([["1", float("nan")]], "row 1, column 2: nan is not a finite number"),
        ([["1/0"]], "row 1, column 1: '1/0' is not a number"),
        ([["1--2"]], "row 1, column 1: '1--2' is not a number"),
        ([["1/2/3"]], "row 1, column 1: '1/2/3' is not a number"),
        ([["1e400"]], "row 1, column 1: '1e400' is not a finite number"),
        ([["9" * 400]], f"row 1, column 1: {'9' * 400!r} is not a finite number"),
        ([["1e9999999"]], "row 1, column 1: '1e9999999' is not a finite number"),  # no 10-million-digit integer
        ([["1e400/1e400"]], "row 1, column 1: '1e400/1e400' is not a finite number"),
        ([["1", "2"], ["3"]], "row 2 has 1 cells, expected 2"),
        ([], "the grid is empty"),
    ],
)
def test_parse_grid_names_the_bad_cell(cells, message):
    with pytest.raises(GridError) as info:
        parse_grid(cells)
    assert str(info.value) == message
    assert isinstance(info.value, ValueError)


def test_format_grid_rejects_a_non_2d_kernel():
    with pytest.raises(ValueError, match=r"kernel must be 2-D \(rows, columns\), got shape \(3, 3, 1\)"):
        format_grid(np.zeros((3, 3, 1)))
