"""cnn_core.vision.reader and strokes: one reader for every digit, strokes at MNIST's width."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest

import cnn_core
from cnn_core.data.mnist import load_mnist
from cnn_core.vision.reader import DEFAULT_MODEL, THRESHOLD, read_digit, read_digits
from cnn_core.vision.snapshots import synthetic_snapshot
from cnn_core.vision.strokes import prepare_digit_strokes, redraw_strokes, stroke_width

MNIST_WIDTH = 2.65  # px at 28x28: ink over skeleton length, median of MNIST's test digits


@pytest.fixture(scope="module")
def mnist_test():
    _, (x_test, y_test) = load_mnist()
    return x_test, y_test


def marker(digit: np.ndarray, pen: int) -> np.ndarray:
    """An MNIST digit at 112x112, its strokes grown by a ``pen`` px round marker."""
    big = cv2.resize(digit, (112, 112), interpolation=cv2.INTER_CUBIC)
    return cv2.dilate(big, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (pen, pen))) if pen > 1 else big


def snapshot(ink: np.ndarray, seed: int) -> np.ndarray:
    return synthetic_snapshot(ink, seed, size=(240, 320), height_fraction=(0.35, 0.6))


def holes(image: np.ndarray) -> int:
    """Closed loops in a 28x28 digit: background pieces that do not touch the border."""
    background = np.pad(image < 0.5, 1, constant_values=True).astype(np.uint8)
    count, _ = cv2.connectedComponents(background, connectivity=4)
    return count - 2  # minus the label 0 (ink) and the outer background


def test_a_thick_marker_digit_is_redrawn_at_mnists_stroke_width(mnist_test):
    x_test, _ = mnist_test
    plain_widths, redrawn_widths = [], []
    for i in range(12):
        plain, redrawn = prepare_digit_strokes(snapshot(marker(x_test[i], 15), i))
        plain_widths.append(stroke_width(plain > 0.5))
        redrawn_widths.append(stroke_width(redrawn > 0.5))
    assert np.median(plain_widths) > 1.5 * MNIST_WIDTH  # the marker's strokes, kept thick
    assert abs(np.median(redrawn_widths) - MNIST_WIDTH) < 0.6


def test_a_thin_pen_line_is_redrawn_visible():
    ink = np.zeros((200, 120), np.uint8)
    cv2.line(ink, (60, 10), (60, 190), 255, 2)  # a 1 drawn with a fine-liner
    redrawn = redraw_strokes(ink > 0)
    assert 0.08 * 190 < stroke_width(redrawn) < 0.15 * 190


def test_a_thick_nine_keeps_its_loop_open():
    ink = np.zeros((220, 180), np.uint8)
    cv2.circle(ink, (80, 70), 30, 255, 22)  # the loop of a 9 in a thick marker: a small hole left
    cv2.line(ink, (104, 72), (104, 170), 255, 22)
    _, redrawn = prepare_digit_strokes(255 - ink)
    from cnn_core.vision.digits import prepare_digit

    plain = prepare_digit(255 - ink)
    assert holes(redrawn) == 1
    assert (redrawn < 0.5).sum() > (plain < 0.5).sum()  # more paper: the strokes got thinner


def test_mnist_test_digits_photographed_are_read(mnist_test):
    x_test, y_test = mnist_test
    picks = range(0, 5000, 100)  # 50 digits, every class
    right = sum(read_digit(snapshot(marker(x_test[i], 1 + 6 * (i % 3)), i)).digit == y_test[i] for i in picks)
    assert right >= 45


def test_a_blank_page_is_no_digit():
    rng = np.random.default_rng(0)
    paper = np.clip(200 + rng.normal(0, 2, (240, 320)), 0, 255).astype(np.uint8)
    reading = read_digit(paper)
    assert reading.digit is None and not reading.confident
    assert reading.reason and reading.prepared.shape == (28, 28)


def test_a_pac_man_is_not_a_confident_digit():
    ink = np.zeros((112, 112), np.uint8)
    cv2.ellipse(ink, (56, 56), (44, 44), 0, 30, 330, 255, -1)
    reading = read_digit(snapshot(ink, 3))
    assert not reading.confident
    assert reading.reason_text("en") == reading.reason
    assert reading.reason_text("ko")  # a template the Korean catalog renders


def test_a_sure_reading_has_no_reason_and_ten_probabilities(mnist_test):
    x_test, y_test = mnist_test
    reading = read_digit(snapshot(marker(x_test[0], 1), 0))
    assert reading.digit == y_test[0] and reading.confident and reading.reason is None
    assert len(reading.probabilities) == 10 and max(reading.probabilities) >= THRESHOLD


def test_a_row_of_digits_is_read_left_to_right(mnist_test):
    x_test, y_test = mnist_test
    picks = [1, 2, 3, 4]
    row = read_digits(snapshot(np.concatenate([x_test[i] for i in picks], axis=1), 5))
    assert len(row.readings) == 4 and sum(d == y_test[i] for d, i in zip(row.digits, picks)) >= 3


def test_a_ten_class_model_can_only_be_unsure(mnist_test):
    x_test, _ = mnist_test
    reading = read_digit(snapshot(marker(x_test[0], 1), 0), model="models/mnist_convnet.keras")
    assert reading.digit is not None and len(reading.probabilities) == 10


def test_the_reader_is_public_and_loads_no_tensorflow():
    for name in ("read_digit", "read_digits", "DigitReading", "DEFAULT_MODEL"):
        assert name in cnn_core.__all__
    assert cnn_core.DEFAULT_MODEL == DEFAULT_MODEL == "models/digit_reader.keras"
    probe = "import sys, cnn_core; cnn_core.read_digit; cnn_core.DigitReading; print('tensorflow' in sys.modules)"
    assert (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
        == "False"
    )
