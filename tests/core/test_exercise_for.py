"""cnn_core.exercise_for: an exercise from a page's own numbers, answered by the kinds' own code."""

from __future__ import annotations

import pytest

import cnn_core
from cnn_core.i18n import LabError
from cnn_core.ops.exercises import EXERCISE_KINDS, PARAM_NAMES, check_answer, exercise_token, make_exercise


@pytest.mark.parametrize("kind", EXERCISE_KINDS)
def test_the_numbers_of_a_drawn_exercise_give_the_same_exercise(kind):
    assert set(PARAM_NAMES) == set(EXERCISE_KINDS)
    for seed in range(60):
        drawn = make_exercise(kind, seed, "ko")
        built = cnn_core.exercise_for(kind, "ko", **dict(drawn.params))
        assert (built.params, built.answer, built.prompt, built.worked) == (
            drawn.params,
            drawn.answer,
            drawn.prompt,
            drawn.worked,
        )
        assert built.seed is None and check_answer(built, drawn.answer_text)
        with pytest.raises(ValueError):
            exercise_token(built)


def test_page_numbers_by_the_formula():
    out = cnn_core.exercise_for("output_size", input_size=12, kernel_size=3, strides=4, padding="same")
    assert out.answer == -(-12 // 4) == 3
    assert cnn_core.exercise_for("same_padding", input_size=28, kernel_size=3, strides=2).answer == (0, 1)
    cell = cnn_core.exercise_for(
        "conv_cell", patch=[[0, 1], [1, 0]], kernel=[[1, 1], [1, 1]], bias=-3.5, activation="relu"
    )
    assert cell.answer == 0 and "max(0, -1.5) = 0" in cell.worked[-1].math
    assert cnn_core.exercise_for("conv_cell", patch=[[0, 1]], kernel=[[1, 1]], bias=0.5, activation=None).answer == 1.5
    assert cnn_core.exercise_for("pool_cell", window=[[1, 2], [3, 5]], mode="average").answer == 2.75


@pytest.mark.parametrize(
    "kind, params",
    [
        ("output_size", {"input_size": 2, "kernel_size": 3, "strides": 1, "padding": "valid"}),  # does not fit
        ("output_size", {"input_size": 5, "kernel_size": 3}),  # names missing
        ("conv_cell", {"patch": [[0.5]], "kernel": [[1]], "bias": 0, "activation": None}),  # not whole numbers
        ("pool_cell", {"window": [[1, float("nan")]], "mode": "max"}),
        ("param_count", {"kernel_size": True, "in_channels": 1, "filters": 8}),
        ("nonsense", {}),
    ],
)
def test_numbers_that_make_no_question_raise_a_lab_error(kind, params):
    with pytest.raises(LabError):
        cnn_core.exercise_for(kind, **params)
