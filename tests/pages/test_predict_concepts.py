"""Issue 12 (ReLU on the Convolution page, the padding and stride sentences) and issue 15 (predict first).

The ReLU step and the maps before and after it are checked against ``tf.nn.relu(tf.nn.conv2d(...) + b)``;
each concept page's prediction box is answered right (the answer computed here by the formula) and
wrong, in English and in Korean.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.ops.coverage import coverage
from cnn_core.ops.formulas import format_value
from cnn_core.ops.kernels import preset_kernel
from cnn_core.ops.shapes import same_padding
from tests.support.apptest import page_test, step_view
from tests.support.languages import HANGUL, has_hangul, untranslated, visible_texts
from ui.concept import CLASSIC_GRID

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CROSS = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])  # the "cross (textbook)" preset, 3x3


@pytest.fixture(scope="module")
def tf():
    return pytest.importorskip("tensorflow")


def _run(page: str, lang: str | None = None, **state) -> AppTest:
    at = page_test(page, timeout=60, **state)
    if lang:
        at.query_params["lang"] = lang
    return _ok(at.run(), lang)


def _ok(at: AppTest, lang: str | None = None) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    if lang == "ko":
        texts = visible_texts(at)
        assert has_hangul(texts)
        english = [f"{found!r} in {text[:90]!r}" for text in texts if (found := untranslated(text))]
        assert not english, "English on the Korean page:\n" + "\n".join(english)
        assert not [m.value for m in at.latex if HANGUL.search(m.value)], "Hangul inside KaTeX"
    return at


def _chart(at: AppTest, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(charts) == 1, f"no single chart with key {key!r}"
    return json.loads(charts[0].proto.spec)


def _texts(grid) -> list[list[str]]:
    """A map's cells as its figure writes them."""
    return [[format_value(v) for v in row] for row in grid]


def _tf_relu_conv(tf, image, kernels, bias):
    x = tf.constant(image[None], tf.float64)
    w = tf.constant(kernels, tf.float64)
    pre = tf.nn.conv2d(x, w, strides=1, padding="VALID") + bias
    return pre.numpy()[0], tf.nn.relu(pre).numpy()[0]


# ReLU on the Convolution page ------------------------------------------------------------------


def test_relu_step_is_tf_relu_of_the_conv_at_that_cell(tf):
    # Bias -3.5 on the cross filter: the cell [1, 0] (the classic 2) sums to -1.5, and ReLU makes it 0.
    at = _run("convolution", conv_bias_0=-3.5, **step_view("conv"))
    assert at.radio(key="conv_activation").value == "relu"  # the note's Conv2D(..., activation='relu')
    kernels = np.stack([CROSS, np.zeros((3, 3))], axis=-1)[:, :, None, :1]  # (3, 3, 1, 1): filter 1 only
    pre, out = _tf_relu_conv(tf, CLASSIC_GRID[:, :, None].astype(float), kernels, np.array([-3.5]))
    at.slider(key="conv_step").set_value(4).run()  # row 1, column 0
    latex = [m.value.strip("$\n ") for m in _ok(at).latex]
    assert r"\text{out}[1, 0] = \max(0, -1.5) = \mathbf{0}" in latex[-1]
    assert pre[1, 0, 0] == pytest.approx(-1.5) and out[1, 0, 0] == 0
    assert any("z[1, 0]" in line and line.endswith("= -1.5") for line in latex)
    assert any(m.value.startswith("ReLU keeps a positive sum") for m in at.markdown)
    for step in range(1, 10):
        row, col = divmod(step - 1, 3)
        at.slider(key="conv_step").set_value(step).run()
        value = float(out[row, col, 0])
        assert _ok(at).latex[-1].value.strip("$\n ").endswith(rf"\mathbf{{{value:g}}}")


def test_maps_before_and_after_relu_match_tf(tf):
    at = _run("convolution", conv_bias_0=-3.5, conv_bias_1=-0.5, **step_view("conv"))
    image = CLASSIC_GRID[:, :, None].astype(float)
    vertical = preset_kernel("vertical edge", 3)[:, :, 0]
    kernels = np.stack([CROSS, vertical], axis=-1)[:, :, None, :]  # (3, 3, 1, 2)
    pre, out = _tf_relu_conv(tf, image, kernels, np.array([-3.5, -0.5]))
    before, after = _chart(at, "conv_maps_before"), _chart(at, "conv_maps")
    for f in range(2):
        assert before["data"][f]["text"] == _texts(pre[:, :, f])
        assert after["data"][f]["text"] == _texts(out[:, :, f])
    assert (pre < 0).any() and (out >= 0).all() and "-1.5" in before["data"][0]["text"][1]
    negative = int((pre < 0).sum())
    assert any(f"ReLU set {negative} of the 18 cells to 0" in c.value for c in at.caption)
    # Without an activation the page shows the sums plus bias, negative cells included, in one chart.
    at.radio(key="conv_activation").set_value("none").run()
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-conv_maps_before")]
    assert _chart(at, "conv_maps")["data"][0]["text"] == _texts(pre[:, :, 0])
    assert r"\max" not in at.latex[-1].value and r"\text{out}[0, 0]" in at.latex[-1].value


def test_relu_step_and_activation_in_korean():
    at = _run("convolution", "ko", conv_bias_0=-3.5, **step_view("conv", "ko"))
    at.slider(key="conv_step").set_value(4).run()
    _ok(at, "ko")
    assert r"\max(0, -1.5) = \mathbf{0}" in at.latex[-1].value
    assert any("활성화" in m.value for m in at.markdown)
    at.radio(key="conv_activation").set_value("none").run()
    _ok(at, "ko")


# The padding and stride sentences ----------------------------------------------------------------


def test_same_padding_total_is_the_general_formula_not_k_minus_1(tf):
    for i in range(2, 30):
        for k in range(1, 7):
            for s in range(1, 5):
                o = math.ceil(i / s)
                total = max((o - 1) * s + k - i, 0)  # the page's formula
                assert sum(same_padding(i, k, s)) == total
                if s == 1:
                    assert total == k - 1
    assert sum(same_padding(28, 3, 2)) == 1 != 3 - 1
    # TensorFlow's 'SAME' is a 'VALID' convolution of the input padded that way.
    x = np.random.default_rng(0).normal(size=(1, 28, 28, 1))
    w = np.ones((3, 3, 1, 1))
    same = tf.nn.conv2d(x, w, strides=2, padding="SAME").numpy()
    before, after = same_padding(28, 3, 2)
    padded = np.pad(x, ((0, 0), (before, after), (before, after), (0, 0)))
    assert np.allclose(same, tf.nn.conv2d(padded, w, strides=2, padding="VALID").numpy())


@pytest.mark.parametrize("lang", [None, "ko"])
def test_padding_page_shows_keras_default_and_the_same_zeros(lang):
    at = _run("padding", lang, pad_size=10, pad_kernel=3, pad_strides=2)
    assert any("padding='same'" in c.value for c in at.code)
    line = next(m.value for m in at.markdown if "max((5 − 1)·2 + 3 − 10, 0) = 1" in m.value)
    assert sum(same_padding(10, 3, 2)) == 1
    if lang is None:
        assert "`padding='valid'`" in " ".join(m.value for m in at.markdown)
        assert "0 before and 1 after" in line


def test_stride_sentence_holds_on_the_numbers():
    # s > k: no padding sees every pixel; the page's example, 63 of 144 unseen with 'same'.
    assert coverage((12, 12), 3, 4, "same").unseen == 63
    for i in range(3, 13):
        for k in range(1, 6):
            for s in range(1, 5):
                for padding in ("valid", "same", 1, 2):
                    try:
                        seen = coverage((i, i), k, s, padding)
                    except ValueError:
                        continue
                    p = seen.pads[2] + seen.pads[3]
                    if s <= k and (padding == "same" or (i + p - k) % s == 0):
                        assert seen.unseen == 0, (i, k, s, padding)
                    if s > k and len(seen.corners) > 1:
                        assert seen.unseen > 0 or seen.gap == 0, (i, k, s, padding)  # a gap between windows
    at = _run("stride", stride_size=12, stride_kernel=3, stride_strides=4, stride_padding="same")
    warning = at.warning[0].value
    assert warning.startswith("63 of the 144 input pixels") and "No padding helps" in warning
    assert "'same' padding, sees them all" not in warning
    at = _run("stride", stride_size=6, stride_kernel=3, stride_strides=2)
    assert "s ≤ k" in at.warning[0].value and "'same' padding sees them all" in at.warning[0].value


def test_stride_warning_in_korean():
    at = _run("stride", "ko", stride_size=12, stride_kernel=3, stride_strides=4, stride_padding="same")
    assert at.warning[0].value.startswith("입력 픽셀 144개 중 63개")


# Predict first --------------------------------------------------------------------------------


def _opened(key: str, lang: str | None = None) -> dict:
    """Session state that opens the box ``key``'s expander (and, for a cell, the Step by step tab it is in)."""
    state = {f"predict_{key}_open": True}
    return {**state, **step_view(key.split("_")[0], lang or "en")} if key.endswith("_cell") else state


def _answer_box(at: AppTest, key: str, text: str) -> AppTest:
    """Type ``text`` into the box ``key``'s field and press Check."""
    field = next(t for t in at.text_input if str(t.key).startswith(f"predict_{key}_answer_"))
    field.set_value(text)
    at.button(key=f"predict_{key}_check").click().run()
    return at


# page, state, box key, the answer by the formula
OUTPUT_BOXES = [
    ("convolution", {}, "conv_output_size", str((5 - 3) // 1 + 1)),  # valid: floor((i - k) / s) + 1
    ("convolution", {"conv_padding": "same", "conv_strides": 2}, "conv_output_size", str(math.ceil(5 / 2))),
    ("stride", {}, "stride_output_size", str((5 - 3) // 2 + 1)),
    ("stride", {"stride_padding": "same"}, "stride_output_size", str(math.ceil(5 / 2))),
    ("padding", {"pad_padding": "valid"}, "pad_output_size", str(5 - 3 + 1)),
    ("padding", {"pad_size": 7, "pad_kernel": 4}, "pad_same_padding", "1, 2"),  # total 3: 1 before, 2 after
    ("pooling", {}, "pool_output_size", str((4 - 2) // 2 + 1)),
    ("convolution", {}, "conv_cell", str(int((CLASSIC_GRID[:3, :3] * CROSS).sum()))),  # step 1: 4
    ("stride", {}, "stride_cell", str(int(CLASSIC_GRID[:3, :3].sum()))),  # all-ones window: the sum
    ("pooling", {}, "pool_cell", "6"),  # max of [[1, 1], [5, 6]]
]


@pytest.mark.parametrize("lang", [None, "ko"])
@pytest.mark.parametrize(
    "page, state, key, answer", OUTPUT_BOXES, ids=[f"{b[0]}-{b[2]}-{i}" for i, b in enumerate(OUTPUT_BOXES)]
)
def test_predict_first_right_and_wrong(page, state, key, answer, lang):
    at = _run(page, lang, **state, **_opened(key, lang))
    page_successes = [m.value for m in at.success]  # the stride page's own "every pixel is seen"
    assert not at.error
    _ok(_answer_box(at, key, answer), lang)
    right = [m.value for m in at.success if m.value not in page_successes]
    assert len(right) == 1 and answer.replace(" ", "") in right[0].replace(" ", "")
    assert HANGUL.search(right[0]) if lang else right[0].startswith("Right")
    wrong = str(int(answer.split(",")[0]) + 7) + ("" if "," not in answer else ", 0")
    _ok(_answer_box(at, key, wrong), lang)
    assert [m.value for m in at.success] == page_successes and len(at.error) == 1
    assert HANGUL.search(at.error[0].value) if lang else at.error[0].value.startswith("Not quite")
    assert wrong in at.error[0].value
    assert at.latex  # the worked arithmetic


def test_predict_first_new_numbers_and_back():
    at = _run("stride", **_opened("stride_output_size"))
    at.button(key="predict_stride_output_size_new").click().run()
    _ok(at)
    assert any(str(b.key) == "exercise_box_stride_output_size_check" for b in at.button)
    at.button(key="predict_stride_output_size_back").click().run()
    assert any(str(t.key).startswith("predict_stride_output_size_answer_") for t in _ok(at).text_input)


def test_predict_first_on_numbers_that_make_no_question_draws_one():
    at = _run(
        "convolution", conv_channels=3, **_opened("conv_cell")
    )  # three channels: the cell box draws its own numbers
    assert any(str(b.key) == "exercise_box_conv_cell_check" for b in at.button)
