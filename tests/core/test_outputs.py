"""cnn_core.ops.outputs against Keras: softmax, sigmoid (logits of +-1000 included) and the three cross-entropies."""

from __future__ import annotations

import os

import numpy as np
import pytest

from cnn_core.i18n import LabError
from cnn_core.ops.formulas import cross_entropy_latex, sigmoid_latex, softmax_latex
from cnn_core.ops.outputs import (
    binary_cross_entropy_steps,
    categorical_cross_entropy_steps,
    sigmoid,
    sigmoid_steps,
    softmax,
    softmax_steps,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

LOGITS = [
    [0.0, 0.0],
    [1.0, 2.0, 3.0],
    [1000.0, 0.0],  # exp(1000) overflows float64; the shifted form does not
    [-1000.0, -1000.0, -999.0],
    [1000.0, -1000.0, 0.0, 3.5],
    list(np.random.default_rng(0).normal(scale=5, size=10)),
    list(np.linspace(-30, 30, 10)),
]
SIGMOID_INPUTS = [-1000.0, -100.0, -30.0, -2.0, -1e-8, 0.0, 1e-8, 0.5, 2.0, 30.0, 100.0, 1000.0]


@pytest.fixture(scope="module")
def keras():
    """Keras (and TensorFlow behind it), imported on first use only."""
    import keras

    return keras


def _np(keras, tensor) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)


# --- softmax and sigmoid ------------------------------------------------------------------------


@pytest.mark.parametrize("logits", LOGITS, ids=range(len(LOGITS)))
def test_softmax_matches_keras_even_for_logits_of_1000(keras, logits):
    expected = _np(keras, keras.ops.softmax(np.array([logits], dtype=np.float32), axis=-1))[0]
    got = softmax(logits)
    assert np.all(np.isfinite(got)) and got.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)


def test_softmax_along_either_axis_of_a_batch_matches_keras(keras):
    batch = np.random.default_rng(1).normal(scale=10, size=(4, 6)).astype(np.float32)
    batch[0, 0] = 1000.0
    for axis in (-1, 0):
        expected = _np(keras, keras.ops.softmax(batch, axis=axis))
        np.testing.assert_allclose(softmax(batch, axis=axis), expected, rtol=0, atol=1e-6)


def test_the_naive_formula_fails_where_the_shifted_one_does_not():
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp([1000.0, 0.0]) / np.exp([1000.0, 0.0]).sum()
    assert np.isnan(naive).any()  # inf / inf: the reason for subtracting the max
    np.testing.assert_array_equal(softmax([1000.0, 0.0]), [1.0, 0.0])


@pytest.mark.parametrize("x", SIGMOID_INPUTS)
def test_sigmoid_matches_keras_on_both_branches(keras, x):
    expected = _np(keras, keras.activations.sigmoid(np.array([x], dtype=np.float32)))[0]
    with np.errstate(over="raise", invalid="raise"):  # neither branch may overflow (exp(-1000) may underflow to 0)
        got = float(sigmoid(x))
    assert got == pytest.approx(expected, abs=1e-7)
    assert sigmoid_steps(x).probability == got


def test_sigmoid_of_an_array_and_its_symmetry():
    x = np.linspace(-50, 50, 101)
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, atol=1e-15)
    np.testing.assert_allclose(sigmoid(x[40:60]), 1 / (1 + np.exp(-x[40:60])), rtol=1e-12)


# --- the steps ----------------------------------------------------------------------------------


@pytest.mark.parametrize("logits", LOGITS, ids=range(len(LOGITS)))
def test_softmax_steps_shift_exp_sum_divide(logits):
    steps = softmax_steps(logits)
    z = np.asarray(logits, dtype=np.float64)
    assert steps.shift == z.max() and steps.shifted.max() == 0.0
    np.testing.assert_array_equal(steps.shifted, z - z.max())
    np.testing.assert_array_equal(steps.exps, np.exp(steps.shifted))
    assert steps.total == pytest.approx(steps.exps.sum()) and 1.0 <= steps.total <= len(z)
    np.testing.assert_allclose(steps.probabilities, steps.exps / steps.total, rtol=1e-15)
    np.testing.assert_allclose(steps.probabilities, softmax(logits), rtol=1e-15)
    with pytest.raises(ValueError, match="read-only"):
        steps.probabilities[0] = 0.0


def test_softmax_steps_by_hand():
    # z = (2, 1, 0): shifted (0, -1, -2), exps (1, 0.3679, 0.1353), sum 1.5032.
    steps = softmax_steps([2.0, 1.0, 0.0])
    np.testing.assert_allclose(steps.exps, [1.0, 0.36788, 0.13534], atol=1e-5)
    assert steps.total == pytest.approx(1.50321, abs=1e-5)
    np.testing.assert_allclose(steps.probabilities, [0.66524, 0.24473, 0.09003], atol=1e-5)


def test_sigmoid_steps_take_the_branch_of_the_sign():
    up, down = sigmoid_steps(2.0), sigmoid_steps(-2.0)
    assert up.positive_branch and not down.positive_branch
    assert up.exp == down.exp == pytest.approx(np.exp(-2.0))
    assert up.probability == pytest.approx(1 / (1 + np.exp(-2.0)))
    assert down.probability == pytest.approx(np.exp(-2.0) / (1 + np.exp(-2.0)))
    assert up.probability + down.probability == pytest.approx(1.0)


# --- cross-entropy ------------------------------------------------------------------------------

CATEGORICAL_CASES = [
    ([0.1, 0.7, 0.2], 1),
    ([0.1, 0.7, 0.2], 0),
    ([0.25, 0.25, 0.25, 0.25], 3),
    ([1.0, 0.0], 1),  # a probability of 0 for the true class: clipped to 1e-7, as Keras does
    ([1.0, 0.0], 0),
    (list(softmax(np.random.default_rng(2).normal(size=10))), 7),
    (list(softmax([1000.0, -1000.0, 0.0])), 2),
]


@pytest.mark.parametrize("probabilities, label", CATEGORICAL_CASES)
def test_sparse_and_one_hot_labels_give_keras_the_same_loss_as_the_steps(keras, probabilities, label):
    p = np.array([probabilities], dtype=np.float32)
    sparse = float(keras.losses.SparseCategoricalCrossentropy()(np.array([label]), p))
    one_hot = keras.utils.to_categorical([label], num_classes=len(probabilities))
    categorical = float(keras.losses.CategoricalCrossentropy()(one_hot, p))
    steps = categorical_cross_entropy_steps(probabilities, label)
    assert sparse == pytest.approx(categorical, abs=1e-6)  # the note's to_categorical and this app's sparse labels
    assert steps.loss == pytest.approx(sparse, rel=1e-5, abs=1e-6)
    np.testing.assert_array_equal(steps.one_hot, one_hot[0])
    assert steps.p_true == pytest.approx(probabilities[label])
    assert steps.loss == pytest.approx(-np.log(steps.clipped))


@pytest.mark.parametrize("p", [0.0, 0.01, 0.5, 0.8, 0.999, 1.0])
@pytest.mark.parametrize("label", [0, 1])
def test_binary_cross_entropy_steps_match_keras(keras, p, label):
    expected = float(keras.losses.BinaryCrossentropy()(np.array([[label]], np.float32), np.array([[p]], np.float32)))
    steps = binary_cross_entropy_steps(p, label)
    if steps.p_true == 0.0:
        # Both clip to 1e-7 and pay -log(1e-7) = 16.12; Keras clips p itself, in float32, so for a 0
        # label it takes 1 - float32(1 - 1e-7) = 1.19e-7 and pays 15.94.
        assert steps.loss == pytest.approx(-np.log(1e-7)) and steps.clipped == 1e-7
        p32 = np.clip(np.float32(p), np.float32(1e-7), np.float32(1 - 1e-7))
        assert expected == pytest.approx(-np.log(p32 if label == 1 else np.float32(1) - p32), rel=1e-6)
    else:
        assert steps.loss == pytest.approx(expected, rel=1e-4, abs=1e-6)
    assert steps.p_true == pytest.approx(p if label == 1 else 1 - p)
    np.testing.assert_allclose(steps.probabilities, [1 - p, p])
    # The same example as a two-class softmax output gives the same loss.
    assert categorical_cross_entropy_steps([1 - p, p], label).loss == pytest.approx(steps.loss)


def test_a_confident_mistake_costs_more_than_a_hesitant_one():
    confident, hesitant = (
        categorical_cross_entropy_steps([0.98, 0.01, 0.01], 1),
        categorical_cross_entropy_steps([0.4, 0.35, 0.25], 1),
    )
    assert confident.loss == pytest.approx(-np.log(0.01)) and hesitant.loss == pytest.approx(-np.log(0.35))
    assert confident.loss > hesitant.loss


def test_the_latex_shows_each_step_with_the_numbers():
    lines = softmax_latex(softmax_steps([2.0, 1.0, 0.0]))
    assert lines == [
        r"z = \left(2, 1, 0\right), \quad \max z = 2",
        r"z - \max z = \left(0, -1, -2\right)",
        r"e^{z - \max z} = \left(1, 0.368, 0.135\right)",
        r"\Sigma = 1 + 0.368 + 0.135 = 1.503",
        r"p = \frac{e^{z - \max z}}{\Sigma} = \frac{\left(1, 0.368, 0.135\right)}{1.503} = \left(0.665, 0.245, 0.09\right)",
    ]
    assert (
        sigmoid_latex(sigmoid_steps(2.0))
        == r"p = \frac{1}{1 + e^{-z}} = \frac{1}{1 + e^{-2}} = \frac{1}{1 + 0.135} = 0.881"
    )
    assert sigmoid_latex(sigmoid_steps(-2.0)).endswith(r"= \frac{0.135}{1 + 0.135} = 0.119")
    general, final = cross_entropy_latex(categorical_cross_entropy_steps([0.1, 0.7, 0.2], 1))
    assert general == r"L = -\sum_i y_i \log p_i = -\left(0 \cdot \log 0.1 + 1 \cdot \log 0.7 + 0 \cdot \log 0.2\right)"
    assert final == r"L = -\log 0.7 = 0.357"
    general, final = cross_entropy_latex(binary_cross_entropy_steps(0.8, 0))
    assert (
        general.endswith(r"= -\left(0 \cdot \log 0.8 + 1 \cdot \log 0.2\right)") and final == r"L = -\log 0.2 = 1.609"
    )


BAD_CALLS = [
    ("label out of range", lambda: categorical_cross_entropy_steps([0.5, 0.5], 2), r"0 to 1, got 2"),
    ("negative label", lambda: categorical_cross_entropy_steps([0.5, 0.5], -1), r"0 to 1, got -1"),
    ("float label", lambda: binary_cross_entropy_steps(0.5, 1.0), r"0 to 1, got 1\.0"),
    ("bool label", lambda: binary_cross_entropy_steps(0.5, True), r"got True"),
    ("not summing to 1", lambda: categorical_cross_entropy_steps([0.5, 0.6], 0), r"sum to 1.*0\.5.*0\.6"),
    ("one class", lambda: categorical_cross_entropy_steps([1.0], 0), r"two or more"),
    ("probability above 1", lambda: binary_cross_entropy_steps(1.5, 1), r"0 to 1, got 1\.5"),
    ("two probabilities", lambda: binary_cross_entropy_steps([0.2, 0.8], 1), r"one number, got 2"),
    ("NaN logits", lambda: softmax([0.0, np.nan]), r"logits.*finite.*nan"),
    ("infinite logit", lambda: sigmoid_steps(np.inf), r"logit.*finite.*inf"),
    ("matrix of logits", lambda: softmax_steps(np.zeros((2, 3))), r"vector.*\(2, 3\)"),
    ("empty logits", lambda: softmax([]), r"logits.*finite"),
]


@pytest.mark.parametrize("call, pattern", [case[1:] for case in BAD_CALLS], ids=[case[0] for case in BAD_CALLS])
def test_bad_arguments_raise_lab_errors_that_show_the_value(call, pattern):
    with pytest.raises(LabError, match=pattern) as raised:
        call()
    assert raised.value.message("en") == str(raised.value)
