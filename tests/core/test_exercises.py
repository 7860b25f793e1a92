"""cnn_core.ops.exercises: every kind's answer against TensorFlow/Keras and the formula over many seeds, typed answers, tokens.

TensorFlow and Keras are imported once, lazily, by module-scoped fixtures, as in test_ops.py. Each
answer is recomputed from ``exercise.params`` alone, so a kind that drew one thing and solved
another would fail here.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import random
import re
import subprocess
import sys

import numpy as np
import pytest

import cnn_core
from cnn_core.i18n import LabError
from cnn_core.ops.exercise_kinds import PADDINGS, grid_text
from cnn_core.ops.exercises import (
    EXERCISE_KINDS,
    MAX_SEED,
    Exercise,
    check_answer,
    exercise_from_token,
    exercise_token,
    make_exercise,
    read_answer,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SEEDS = range(300)


@pytest.fixture(scope="module")
def tf():
    """TensorFlow, imported on first use only (about 5 s)."""
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _exercises(kind: str) -> list[Exercise]:
    return [make_exercise(kind, seed) for seed in SEEDS]


def _first(kind: str, wanted) -> Exercise:
    """The exercise of ``kind`` with the lowest seed whose answer is ``wanted``."""
    return next(e for e in (make_exercise(kind, seed) for seed in range(10_000)) if e.answer == wanted)


def _as_nhwc(grid) -> np.ndarray:
    return np.array(grid, dtype=np.float32)[None, :, :, None]  # (1, k, k, 1)


# --- each kind's answer, recomputed ------------------------------------------------------------


def test_output_size_matches_the_formula_and_tf_conv_and_pool_shapes(tf):
    for e in _exercises("output_size"):
        i, k, s, padding = (e.params[n] for n in ("input_size", "kernel_size", "strides", "padding"))
        p = 0 if padding == "valid" else padding
        formula = math.ceil(i / s) if padding == "same" else (i + 2 * p - k) // s + 1
        x, kernel = np.zeros((1, i, i, 1), np.float32), np.ones((k, k, 1, 1), np.float32)
        tf_padding = padding.upper() if isinstance(padding, str) else [[0, 0], [p, p], [p, p], [0, 0]]
        conv = tf.nn.conv2d(x, kernel, strides=s, padding=tf_padding)
        x_pool = x if isinstance(padding, str) else np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        pool = tf.nn.max_pool2d(x_pool, ksize=k, strides=s, padding="SAME" if padding == "same" else "VALID")
        assert e.answer == formula == conv.shape[1] == conv.shape[2] == pool.shape[1], e.params


def test_same_padding_matches_tf_documented_rule_and_tf_own_split(tf):
    rng = np.random.default_rng(0)
    for e in _exercises("same_padding"):
        i, k, s = (e.params[n] for n in ("input_size", "kernel_size", "strides"))
        # TensorFlow's documented rule, written differently from ours on purpose.
        total = max(k - s, 0) if i % s == 0 else max(k - i % s, 0)
        assert e.answer == (total // 2, total - total // 2), e.params
        x = rng.normal(size=(1, i, i, 1)).astype(np.float32)
        kernel = rng.normal(size=(k, k, 1, 1)).astype(np.float32)
        before, after = e.answer
        by_hand = tf.nn.conv2d(np.pad(x, ((0, 0), (before, after), (before, after), (0, 0))), kernel, s, "VALID")
        np.testing.assert_allclose(tf.nn.conv2d(x, kernel, s, "SAME"), by_hand, atol=1e-5)


def test_conv_cell_matches_tf_conv2d_plus_bias_and_relu(tf):
    activations = set()
    for e in _exercises("conv_cell"):
        patch, kernel = e.params["patch"], e.params["kernel"]
        value = tf.nn.conv2d(_as_nhwc(patch), _as_nhwc(kernel)[0, :, :, :, None], 1, "VALID") + e.params["bias"]
        if e.params["activation"] == "relu":
            value = tf.nn.relu(value)
        assert isinstance(e.answer, int) and e.answer == float(value.numpy().item()), e.params
        activations.add(e.params["activation"])
    assert activations == {"relu", None}


def test_pool_cell_matches_tf_max_and_average_pooling_with_at_most_two_decimals(tf):
    modes = set()
    for e in _exercises("pool_cell"):
        window, size = e.params["window"], len(e.params["window"])
        pool = tf.nn.max_pool2d if e.params["mode"] == "max" else tf.nn.avg_pool2d
        expected = float(pool(_as_nhwc(window), ksize=size, strides=size, padding="VALID").numpy().item())
        assert e.answer == pytest.approx(expected, abs=1e-6), e.params
        assert round(e.answer, 2) == e.answer and isinstance(e.answer, int) == float(e.answer).is_integer()
        modes.add(e.params["mode"])
    assert modes == {"max", "average"}


def test_param_count_matches_keras_conv2d_count_params(keras):
    cases = {tuple(e.params.values()): e.answer for e in _exercises("param_count")}
    for (kernel_size, in_channels, filters), answer in cases.items():
        layer = keras.layers.Conv2D(filters, kernel_size)
        layer(keras.Input((8, 8, in_channels)))
        k, c, f = kernel_size, in_channels, filters
        assert answer == layer.count_params() == (k * k * c + 1) * f


# --- the numbers are friendly, and the same seed gives the same exercise -------------------------


def test_the_numbers_stay_small_and_the_questions_not_trivial():
    for e in _exercises("output_size"):
        i, k, s, padding = e.params.values()
        assert 3 <= i <= 12 and 1 <= k <= min(5, i) and 1 <= s <= 3 and padding in PADDINGS
        assert not (k == 1 and s == 1) and (isinstance(padding, str) or padding < k)
    for e in _exercises("same_padding"):
        assert sum(e.answer) > 0
    for e in _exercises("conv_cell"):
        size = len(e.params["patch"])
        cells = np.array([e.params["patch"], e.params["kernel"]])
        assert size in (2, 3) and cells.shape == (2, size, size) and cells.min() >= -3 and cells.max() <= 3
        assert -3 <= e.params["bias"] <= 3
    for e in _exercises("pool_cell"):
        window = np.array(e.params["window"])
        assert window.shape in ((2, 2), (3, 3)) and window.min() >= 0 and window.max() <= 9
        assert len(np.unique(window)) > 1
    assert {type(e.answer) for e in _exercises("pool_cell")} == {int, float}


@pytest.mark.parametrize("kind", EXERCISE_KINDS)
def test_the_same_seed_gives_the_same_exercise_and_seeds_vary(kind):
    exercises = _exercises(kind)
    assert exercises == _exercises(kind)
    assert len({e.params for e in exercises}) >= 40, "300 seeds should give many different exercises"


def test_an_exercise_is_the_same_in_a_fresh_interpreter():
    """No hash() or process state in the draw: a teacher's link means the same on every server."""
    probe = "from cnn_core import make_exercise as m; print([dict(m(k, 98765).params) for k in {kinds}])"
    result = subprocess.run(
        [sys.executable, "-c", probe.format(kinds=EXERCISE_KINDS)], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == str([dict(make_exercise(k, 98765).params) for k in EXERCISE_KINDS])


# Pinned draws: if numpy ever changes its generator's stream, old teacher links change, and this says so.
PINNED = {
    "output_size": (0, {"input_size": 6, "kernel_size": 3, "strides": 2, "padding": "valid"}, 2),
    "same_padding": (2, {"input_size": 9, "kernel_size": 3, "strides": 2}, (1, 1)),
    "pool_cell": (0, {"window": ((3, 6), (0, 2)), "mode": "max"}, 6),
    "param_count": (1, {"kernel_size": 5, "in_channels": 1, "filters": 16}, 416),
}


@pytest.mark.parametrize("kind", PINNED)
def test_pinned_seeds_give_the_pinned_exercises(kind):
    seed, params, answer = PINNED[kind]
    e = make_exercise(kind, seed)
    assert dict(e.params) == params and e.answer == answer


@pytest.mark.parametrize("kind", EXERCISE_KINDS)
def test_an_exercise_is_hashable_picklable_and_its_params_read_only_and_json_ready(kind):
    e = make_exercise(kind, 11)
    assert hash(e) == hash(make_exercise(kind, 11))
    assert pickle.loads(pickle.dumps(e)) == e
    assert json.loads(json.dumps(dict(e.params))).keys() == e.params.keys()
    with pytest.raises(TypeError):
        e.params["seed"] = 1  # type: ignore[index]


# --- prompts and the working --------------------------------------------------------------------


def _param_texts(e: Exercise) -> list[str]:
    """The texts a prompt must show: each number, grid and named setting of the params."""
    texts = []
    for name, value in e.params.items():
        if isinstance(value, tuple):
            texts.append(grid_text(value))
        elif name == "activation":
            texts.append("ReLU" if value == "relu" else "no activation")
        else:
            texts.append(str(value))
    return texts


@pytest.mark.parametrize("kind", EXERCISE_KINDS)
def test_the_prompt_shows_every_number_of_the_params(kind):
    for e in _exercises(kind)[:50]:
        for text in _param_texts(e):
            assert text in e.prompt, (text, e.prompt)
        assert "{" not in e.prompt and "}" not in e.prompt


_FUNCTIONS = {"floor": math.floor, "ceil": math.ceil, "max": max, "relu": lambda x: max(0, x)}


def _values(math_text: str) -> list[list[float]]:
    """Each clause of a line of working ("a = b = c, d = e") -> the values of its numeric sides.

    Sides with a symbol (o, i, k, total, ...) are skipped; the others are evaluated with the
    functions the working writes (floor, ceil, max, relu).
    """
    clauses = re.split(r", (?=[a-z]+ = )", math_text)
    values = []
    for clause in clauses:
        sides = [side for side in clause.split(" = ") if set(re.findall(r"[a-z]+", side)) <= set(_FUNCTIONS)]
        values.append([eval(side, {"__builtins__": {}}, _FUNCTIONS) for side in sides])  # our own text
    return values


@pytest.mark.parametrize("kind", EXERCISE_KINDS)
def test_the_working_is_correct_arithmetic_that_ends_at_the_answer(kind):
    for e in _exercises(kind):
        for step in e.worked:
            for sides in _values(step.math):
                assert all(v == pytest.approx(sides[0]) for v in sides), step.math
        last = [sides[-1] for sides in _values(e.worked[-1].math) if sides]
        answer = list(e.answer) if isinstance(e.answer, tuple) else [e.answer]
        assert last == pytest.approx(answer), (e.worked[-1].math, e.answer)


@pytest.mark.parametrize("kind", EXERCISE_KINDS)
def test_the_working_math_has_no_words_and_only_the_words_follow_the_language(kind):
    for seed in range(20):
        english, korean = make_exercise(kind, seed, "en"), make_exercise(kind, seed, "ko")
        assert [(s.math, s.latex) for s in english.worked] == [(s.math, s.latex) for s in korean.worked]
        assert english.answer == korean.answer and english.params == korean.params
        for step in english.worked:
            assert step.text and step.math.isascii() and step.latex.isascii()
            assert step.latex.count("{") == step.latex.count("}")


def test_answer_text_is_what_check_answer_accepts():
    for kind in EXERCISE_KINDS:
        for e in _exercises(kind)[:50]:
            assert check_answer(e, e.answer_text), (e.answer, e.answer_text)
    assert _first("same_padding", (1, 1)).answer_text == "(1, 1)"


# --- check_answer: answers as people type them ----------------------------------------------------

RIGHT = [
    ("output_size", 3, ["3", " 3 ", "3.0", "3.", "+3", "(3)", "[3]", "３", "\t3\n", "03", "3.00"]),
    ("conv_cell", -2, ["-2", "−2", "－2", " -2.00 ", "(-2)", "-2."]),
    ("pool_cell", 1.5, ["1.5", "1.50", " 1.5 ", "１.５", "1.504", "1.496"]),
    ("pool_cell", 2.75, ["2.75", "2.750", "(2.75)"]),
    (
        "same_padding",
        (1, 1),
        ["1, 1", "(1, 1)", "1,1", "[1, 1]", "1 1", "１，１", "（１，１）", " ( 1 , 1 ) ", "1.0, 1.0"],
    ),
    ("same_padding", (0, 1), ["0, 1", "0,1", "[0 1]", "{0, 1}", "0  1"]),
    ("param_count", 18496, ["18496", "18,496", "18496.0", "１８４９６", "１８，４９６"]),
]
WRONG = [
    ("output_size", 3, ["4", "-3", "3.1", "2.99", "3.001", "", "   ", "3 pixels", "3px", "three", "3, 3", "(3", "3)"]),
    ("output_size", 3, ["3/1", "3e0", "nan", "inf", "0x3", "٣", "3..", "--3", "3-", "(3))", "((3))", "3 3", "１ ３"]),
    ("pool_cell", 1.5, ["1.49", "1.6", "3/2", "1,5", "1.5.0", "15", "1.5%", "-1.5", "1.5 1.5"]),
    ("same_padding", (1, 1), ["1", "1, 1, 1", "(1, 2)", "2, 1", "1,", ",1", "1,,1", "(1, 1", "1; 1", "11", "1.1"]),
    ("same_padding", (0, 1), ["1, 0", "0 1 0", "(0)(1)", "0, 1.5", "0-1"]),
    ("param_count", 18496, ["18,49,6", "18 496", "18.496", "1,8496", "18,4960", "18496 parameters", "18495"]),
]


@pytest.mark.parametrize("kind, answer, typed", RIGHT, ids=lambda v: str(v))
def test_check_answer_accepts_the_right_answer_however_it_is_typed(kind, answer, typed):
    e = _first(kind, answer)
    for text in typed:
        assert check_answer(e, text), text
        assert read_answer(e, text) is not None


@pytest.mark.parametrize("kind, answer, typed", WRONG, ids=lambda v: str(v))
def test_check_answer_refuses_wrong_numbers_wrong_lengths_and_junk(kind, answer, typed):
    e = _first(kind, answer)
    for text in typed:
        assert not check_answer(e, text), text


def test_read_answer_tells_unreadable_text_from_a_wrong_number():
    e = _first("output_size", 3)
    assert read_answer(e, "4") == 4.0 and not check_answer(e, "4")
    assert read_answer(e, "4 outputs") is None and read_answer(e, "4, 4") is None


def _fuzz_texts() -> list[str]:
    rng = random.Random(0)
    alphabet = "0123456789 .,+-−－()[]{}eE/xX%\t\n\u3000１２３，．가나다ㄱ\u0301\ud800\x00'\"\\"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    return [*texts, "1" * 10_000, "1, " * 3_400, "(" * 10_000, " " * 10_000 + "3", "ﷺ" * 10_000, "\u2212" * 10_000]


@pytest.mark.parametrize("kind", EXERCISE_KINDS)
def test_check_answer_never_raises_on_fuzzed_or_huge_text(kind):
    e = make_exercise(kind, 5)
    for text in _fuzz_texts():
        assert check_answer(e, text) in (True, False)
        assert not check_answer(e, text * 300)  # over the length limit: refused unread
    for not_text in (None, 3, 3.0, b"3", ["3"], float("nan"), e):
        assert check_answer(e, not_text) is False


# --- tokens for teachers' links, and bad arguments --------------------------------------------------


@pytest.mark.parametrize("kind", EXERCISE_KINDS)
def test_tokens_round_trip_in_any_language(kind):
    for seed in (0, 1, 42, 999_999, MAX_SEED):
        e = make_exercise(kind, seed)
        token = exercise_token(e)
        assert token == f"{kind}-{seed}" and re.fullmatch(r"[a-z_]+-[0-9]+", token)
        assert exercise_from_token(token) == e
        assert exercise_from_token(token, "ko") == make_exercise(kind, seed, "ko")


HOSTILE_TOKENS = [
    "", "output_size", "output_size-", "-1", "output_size--1", "output_size-01", "output_size-1.5",
    "output_size-1e3", f"output_size-{MAX_SEED + 1}", "output_size-" + "9" * 5000, "x" * 10_000,
    "OUTPUT_SIZE-1", " output_size-1", "output_size-1 ", "output_size-1\n", "output_size-١٢", "output_size-１２",
    "conv2d-1", "__class__-1", "output_size-1;drop", "output_size-1&seed=2", "{kind}-{seed}", "output size-1",
    None, 12, 1.5, ["output_size-1"], b"output_size-1", {"kind": "output_size"},
]  # fmt: skip


@pytest.mark.parametrize("token", HOSTILE_TOKENS, ids=lambda t: repr(t)[:30])
def test_a_hostile_token_raises_only_lab_error_with_a_short_message(token):
    with pytest.raises(LabError) as caught:
        exercise_from_token(token)
    assert len(caught.value.message("en")) < 300 and len(caught.value.message("ko")) < 300


@pytest.mark.parametrize("kind", ["conv", "", None, 3, ["output_size"], np.array(["output_size"])], ids=repr)
def test_an_unknown_kind_is_a_lab_error_naming_the_kinds(kind):
    with pytest.raises(LabError, match="output_size, same_padding, conv_cell, pool_cell, param_count"):
        make_exercise(kind, 0)


@pytest.mark.parametrize(
    "seed",
    [-1, 1.5, "3", True, None, MAX_SEED + 1, 10**5000],
    ids=["-1", "1.5", "'3'", "True", "None", "max+1", "huge"],
)
def test_a_bad_seed_is_a_lab_error_naming_the_range(seed):
    with pytest.raises(LabError, match=f"from 0 to {MAX_SEED}"):
        make_exercise("output_size", seed)


def test_the_api_is_public_from_the_top_level():
    names = "make_exercise check_answer read_answer Exercise EXERCISE_KINDS exercise_token exercise_from_token"
    for name in names.split():
        assert getattr(cnn_core, name) is globals()[name]
    assert cnn_core.conv_param_count(3, 32, 64) == 18496
