"""cnn_core.vision.digits: MNIST-style preprocessing of photos and drawings, segmentation, prediction."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
from scipy import ndimage

from cnn_core.data.mnist import load_mnist
from cnn_core.figures.charts import probability_figure
from cnn_core.learning.evaluation import predict_proba
from cnn_core.learning.models import build_mnist_convnet
from cnn_core.learning.pipeline import make_dataset
from cnn_core.vision.augment import AugmentSettings
from cnn_core.vision.digits import prepare_digit, prepare_digit_stages, prepare_digits
from cnn_core.vision.ink import NoDigitError
from cnn_core.vision.snapshots import synthetic_snapshot
from scripts.train_mnist_augmented import AUGMENTATION, ROTATION_DEGREES
from scripts.train_mnist_augmented import OUTPUT as AUGMENTED_MODEL

SNAPSHOT_DIGITS = 400  # every 25th MNIST test digit: all ten classes, a few seconds of work


@pytest.fixture(scope="module")
def mnist_test():
    _, (x_test, y_test) = load_mnist()
    return x_test, y_test


@pytest.fixture(scope="module")
def augmented_model():
    import keras

    return keras.models.load_model(AUGMENTED_MODEL, compile=False)


def first_of(x_test, y_test, digit: int, k: int = 0) -> np.ndarray:
    return x_test[np.flatnonzero(y_test == digit)[k]]


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def test_importing_digits_loads_neither_tensorflow_nor_streamlit():
    probe = "import sys, cnn_core.vision.digits, cnn_core.vision.ink; print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.slow
def test_synthetic_camera_snapshots_are_read_correctly(mnist_test, augmented_model):
    x_test, y_test = mnist_test
    rng = np.random.default_rng(6)
    chosen = np.arange(0, len(x_test), len(x_test) // SNAPSHOT_DIGITS)
    prepared = np.stack([prepare_digit(synthetic_snapshot(x_test[i], rng)) for i in chosen])
    predicted = predict_proba(augmented_model, prepared).argmax(axis=1)
    accuracy = float(np.mean(predicted == y_test[chosen]))
    assert accuracy >= 0.98, f"only {accuracy:.1%} of {len(chosen)} snapshots read correctly"


def test_synthetic_snapshot_looks_like_a_photo_of_dark_ink_on_lit_paper(mnist_test):
    x_test, _ = mnist_test
    photo = synthetic_snapshot(x_test[0], rng=1)
    assert photo.shape == (480, 640, 3) and photo.dtype == np.uint8
    gray = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY).astype(float)
    paper, ink = np.percentile(gray, 50), np.percentile(gray, 0.5)
    assert paper > 100 and ink < 0.5 * paper  # lit paper, dark ink
    blank = cv2.cvtColor(synthetic_snapshot(np.zeros((28, 28), np.uint8), rng=1), cv2.COLOR_RGB2GRAY)
    assert np.percentile(blank, 99) - np.percentile(blank, 1) > 20  # the lighting is uneven


@pytest.mark.parametrize("case", ["gray 28x28", "gray x10", "rgb x10", "inverted rgb x10", "white on transparent"])
def test_an_mnist_digit_comes_back_almost_unchanged(mnist_test, case):
    x_test, _ = mnist_test
    correlations = []
    for digit in x_test[:20]:
        big = cv2.resize(digit, (280, 280), interpolation=cv2.INTER_CUBIC)
        image = {
            "gray 28x28": digit,
            "gray x10": big,
            "rgb x10": np.dstack([big] * 3),
            "inverted rgb x10": np.dstack([255 - big] * 3),
            "white on transparent": np.dstack([np.full_like(big, 255)] * 3 + [big]),
        }[case]
        correlations.append(correlation(prepare_digit(image), digit / 255.0))
    # Binarizing and re-anti-aliasing moves edges by up to a pixel, so a few thin digits score lower.
    assert np.median(correlations) > 0.9 and min(correlations) > 0.7


def test_output_is_mnist_format(mnist_test):
    x_test, _ = mnist_test
    prepared = prepare_digit(synthetic_snapshot(x_test[3], rng=3))
    assert prepared.shape == (28, 28) and prepared.dtype == np.float32
    assert prepared.min() >= 0.0 and prepared.max() == pytest.approx(1.0, abs=0.05)
    rows, cols = np.nonzero(prepared > 0.05)
    assert max(np.ptp(rows), np.ptp(cols)) + 1 in (19, 20, 21)  # the 20x20 box, give or take its soft edge
    assert np.allclose(ndimage.center_of_mass(prepared), (14.0, 14.0), atol=0.6)
    assert prepared[[0, -1], :].max() == 0 and prepared[:, [0, -1]].max() == 0  # white on black, padded


def test_uneven_light_specks_and_a_table_edge_do_not_change_the_result(mnist_test):
    x_test, _ = mnist_test
    clean = np.full((480, 640), 220, np.uint8)
    big = cv2.resize(x_test[7], (224, 224), interpolation=cv2.INTER_CUBIC)
    clean[120:344, 208:432] = np.minimum(clean[120:344, 208:432], 255 - big)
    reference = prepare_digit(clean)
    cols = np.arange(640, dtype=np.float32)
    dim = (clean * (0.35 + 0.65 * cols / 639)).astype(np.uint8)  # the left side gets a third of the light
    messy = dim.copy()
    messy[:, :70] = 25  # a dark table beside the sheet
    rng = np.random.default_rng(0)
    for y, x in rng.integers([20, 100], [460, 620], size=(12, 2)):
        cv2.circle(messy, (int(x), int(y)), 2, 40, -1)  # specks of dust
    messy[100:360, 190:450] = dim[100:360, 190:450]  # keep the digit itself clean of specks
    assert correlation(prepare_digit(dim), reference) > 0.95
    assert correlation(prepare_digit(messy), reference) > 0.95


def test_canvas_strokes_give_the_same_digit_in_any_polarity(mnist_test):
    x_test, _ = mnist_test
    big = cv2.resize(x_test[11], (280, 280), interpolation=cv2.INTER_CUBIC)
    white_on_transparent = np.dstack([np.full_like(big, 255)] * 3 + [big])
    black_on_transparent = np.dstack([np.zeros_like(big)] * 3 + [big])
    black_on_white = np.dstack([255 - big] * 3)
    white_on_black_opaque = np.dstack([big] * 3 + [np.full_like(big, 255)])
    results = [
        prepare_digit(image)
        for image in (white_on_transparent, black_on_transparent, black_on_white, white_on_black_opaque)
    ]
    for result in results[1:]:
        assert correlation(result, results[0]) > 0.97


def stroke_width(image: np.ndarray) -> float:
    """Mean stroke width in pixels: 2 * area / perimeter, exact for a long thin stroke."""
    ink = (image > 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    return 2 * ink.sum() / sum(cv2.arcLength(c, True) for c in contours)


@pytest.mark.parametrize("pen", [2, 6, 20])
def test_strokes_of_any_pen_end_up_as_wide_as_mnist_strokes(mnist_test, pen):
    x_test, _ = mnist_test
    low, high = np.percentile([stroke_width(d / 255.0) for d in x_test[:500]], [5, 95])
    four = np.full((480, 640), 230, np.uint8)
    corners = np.array([[360, 340], [360, 120], [250, 270], [400, 270]], np.int32)
    cv2.polylines(four, [corners], False, 25, pen, cv2.LINE_AA)  # a 4, 220 pixels tall
    assert low <= stroke_width(prepare_digit(four)) <= high  # a 2-pixel pen scaled by 1/11 alone: 0.2


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(synthetic_snapshot(np.zeros((28, 28), np.uint8), rng=seed), id=f"blank paper {seed}")
        for seed in range(4)
    ]
    + [
        pytest.param(np.zeros((280, 280, 4), np.uint8), id="empty transparent canvas"),
        pytest.param(
            np.dstack([np.zeros((280, 280, 3), np.uint8), np.full((280, 280), 255, np.uint8)]), id="empty black canvas"
        ),
        pytest.param(np.full((280, 280, 3), 255, np.uint8), id="empty white canvas"),
        pytest.param(np.full((480, 640, 3), 6, np.uint8), id="dark frame"),
        pytest.param(
            np.random.default_rng(0).normal(20, 4, (480, 640)).clip(0, 255).astype(np.uint8), id="dark noisy frame"
        ),
        pytest.param(np.full((480, 640), 128, np.uint8), id="uniform grey"),
    ],
)
def test_no_digit_raises_a_helpful_no_digit_error(image):
    with pytest.raises(NoDigitError, match="digit") as caught:
        prepare_digit(image)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "image, message",
    [
        ("photo.jpg", "numpy array"),
        (np.zeros((28, 28), np.float32), "uint8"),
        (np.zeros((28, 28, 2), np.uint8), r"shape \(28, 28, 2\)"),
        (np.zeros((5, 40), np.uint8), "too small"),
    ],
)
def test_arrays_that_are_not_images_raise_value_error(image, message):
    with pytest.raises(ValueError, match=message):
        prepare_digit(image)


def test_stages_end_with_what_prepare_digit_returns(mnist_test):
    x_test, _ = mnist_test
    photo = synthetic_snapshot(x_test[5], rng=5)
    stages = prepare_digit_stages(photo)
    assert [s.name for s in stages][:2] == ["Grayscale, denoised", "Paper brightness (lighting)"]
    assert "what the model sees" in stages[-1].name
    np.testing.assert_array_equal(stages[-1].image, prepare_digit(photo))
    reading = prepare_digits(photo)
    np.testing.assert_array_equal(reading.digits[0], stages[-1].image)
    for stage in stages[:-1]:
        assert stage.image.dtype == np.uint8 and stage.image.ndim in (2, 3)


def test_a_row_of_digits_is_segmented_left_to_right(mnist_test):
    x_test, y_test = mnist_test
    row = [first_of(x_test, y_test, d) for d in (2, 0, 2, 6)]
    strip = np.concatenate([d[:, 3:25] for d in row], axis=1)  # (28, 88): "2026"
    reading = prepare_digits(synthetic_snapshot(strip, rng=2026, height_fraction=(0.3, 0.4)))
    assert len(reading.digits) == 4
    lefts = [x for x, _, _, _ in reading.boxes]
    assert lefts == sorted(lefts)
    for prepared, digit in zip(reading.digits, row):
        assert correlation(prepared, prepare_digit(digit)) > 0.8
    assert all(len(stages) == 4 for stages in reading.digit_stages)


def test_a_five_with_a_detached_bar_is_one_digit():
    five = np.full((300, 300), 235, np.uint8)
    cv2.line(five, (110, 60), (200, 60), 20, 14)  # the bar, not touching the body
    cv2.line(five, (110, 85), (105, 140), 20, 14)
    cv2.ellipse(five, (145, 185), (55, 50), 0, -120, 150, 20, 14)
    reading = prepare_digits(five)
    assert len(reading.digits) == 1


@pytest.mark.slow
def test_a_written_number_is_read_whole(mnist_test, augmented_model):
    x_test, y_test = mnist_test
    strip = np.concatenate([first_of(x_test, y_test, d)[:, 3:25] for d in (2, 0, 2, 6)], axis=1)
    reading = prepare_digits(synthetic_snapshot(strip, rng=7, height_fraction=(0.3, 0.4)))
    predicted = predict_proba(augmented_model, reading.digits).argmax(axis=1)
    assert "".join(map(str, predicted)) == "2026"


@pytest.mark.slow
def test_predict_probabilities_matches_keras_predict(mnist_test, augmented_model):
    x_test, _ = mnist_test
    batch = x_test[:8] / 255.0
    probabilities = predict_proba(augmented_model, batch)
    reference = augmented_model.predict(batch[..., None], verbose=0)
    np.testing.assert_allclose(probabilities, reference, atol=1e-5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    single = predict_proba(augmented_model, batch[:1])  # one image: the direct call, no pipeline
    np.testing.assert_allclose(single, reference[:1], atol=1e-5)


def test_probability_figure_has_ten_bars_and_highlights_the_best():
    probabilities = np.array([0.01, 0.02, 0.05, 0.6, 0.1, 0.02, 0.05, 0.05, 0.05, 0.05])
    bar = probability_figure(probabilities).data[0]
    assert list(bar.x) == [str(i) for i in range(10)]
    np.testing.assert_allclose(bar.y, probabilities)
    colors = list(bar.marker.color)
    assert colors.count(colors[3]) == 1


def test_probability_figure_labels_every_digit():
    axis = probability_figure(np.full(10, 0.1)).layout.xaxis
    assert axis.tickmode == "array" and list(axis.tickvals) == list(axis.ticktext) == [str(i) for i in range(10)]


@pytest.mark.slow
def test_augmentation_rotates_zooms_and_shifts_within_its_ranges():

    bar = np.zeros((28, 28, 1), np.float32)
    bar[13:15, 6:22] = 1.0  # a horizontal bar through the centre
    bars = np.repeat(np.uint8(bar[None] * 255), 256, axis=0)  # (256, 28, 28, 1), uint8 like MNIST
    dataset = make_dataset(bars, np.zeros(256, np.int64), 256, seed=1, augmentation=AugmentSettings(**AUGMENTATION))
    out = np.asarray(next(iter(dataset))[0])[..., 0]
    assert out.shape == (256, 28, 28) and out.min() >= 0.0 and out.max() <= 1.0
    angles, masses, centres = [], [], []
    for image in out:
        m = cv2.moments(image)
        angles.append(np.degrees(0.5 * np.arctan2(2 * m["mu11"], m["mu20"] - m["mu02"])))
        masses.append(m["m00"] / bar.sum())
        centres.append((m["m01"] / m["m00"], m["m10"] / m["m00"]))
    angles = np.abs(angles)
    # ImageDataGenerator zooms each axis on its own (zx, zy in [1 - z, 1 + z]), which turns a line at
    # angle t to atan(tan(t) * zy / zx): at most this much for the largest rotation.
    zoom = AUGMENTATION["zoom_range"]
    steepest = np.degrees(np.arctan(np.tan(np.radians(ROTATION_DEGREES)) * (1 + zoom) / (1 - zoom)))
    assert angles.max() <= steepest + 1.5 and angles.max() >= 0.6 * ROTATION_DEGREES
    assert 0.7 <= min(masses) and max(masses) <= 1.35  # zoom within about +-12%: area within 0.77..1.25
    shift = np.abs(np.array(centres) - ndimage.center_of_mass(bar[..., 0]))
    assert shift.max() <= 0.08 * 28 + 1 and shift.max() >= 1  # shifts of up to 8% of 28 pixels


@pytest.mark.slow
def test_training_batches_are_scaled_per_batch_from_uint8(mnist_test):

    x_test, y_test = mnist_test
    batches = list(
        make_dataset(
            x_test[:96],
            y_test[:96],
            32,
            shuffle=True,
            seed=0,
            input_shape=(28, 28, 1),
            augmentation=AugmentSettings(**AUGMENTATION),
        )
    )
    images = np.concatenate([np.asarray(b) for b, _ in batches])
    labels = np.concatenate([np.asarray(y) for _, y in batches])
    assert images.shape == (96, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() and images.max() <= 1.0
    assert sorted(labels) == sorted(y_test[:96])  # every digit once per epoch, shuffled


@pytest.mark.slow
def test_shipped_augmented_model_is_the_seed_architecture_and_reads_mnist(mnist_test, augmented_model):

    reference = build_mnist_convnet()
    assert [type(layer).__name__ for layer in augmented_model.layers] == [
        type(layer).__name__ for layer in reference.layers
    ]
    assert augmented_model.count_params() == reference.count_params() == 93_322
    x_test, y_test = mnist_test
    predicted = predict_proba(augmented_model, x_test[:2000] / 255.0).argmax(axis=1)
    assert np.mean(predicted == y_test[:2000]) >= 0.985
