"""AppTest of the network page: every layer for one digit, and picked cells against the Keras model's own outputs."""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pytest

from cnn_core.data.mnist import load_mnist
from tests.support.apptest import page_test
from ui import state
from ui.resources import MODELS_DIR
from ui.state import SessionModel

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pytestmark = pytest.mark.slow

OPTION = "shipped:mnist_convnet"
DIGIT = 0  # MNIST's first test digit, a 7: the page's default
ATOL = 1e-4


@pytest.fixture(scope="module")
def reference():
    """Every layer's output of the shipped model for the default digit, from Keras itself (layer name -> array)."""
    import keras

    model = keras.models.load_model(MODELS_DIR / "mnist_convnet.keras", compile=False)
    _, (x_test, _y) = load_mnist()
    image = (x_test[DIGIT].astype(np.float32) / 255.0)[None, ..., None]
    probe = keras.Model(model.inputs, [layer.output for layer in model.layers])
    return {layer.name: np.asarray(out)[0] for layer, out in zip(model.layers, probe([image], training=False))}


@pytest.fixture(scope="module")
def page():
    """The page, rendered once; each test picks its cell on it (picking resets nothing it relies on)."""
    at = page_test("network", timeout=120).run()
    assert_clean(at)
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def pick(at, layer: str, *index: int):
    at.selectbox(key=f"network_layer_{OPTION}").set_value(layer).run()
    for axis, value in enumerate(index):
        at.number_input(key=f"network_cell_{OPTION}_{layer}_{axis}").set_value(value).run()
    assert_clean(at)
    return at


def latex(at) -> list[str]:
    return [element.value for element in at.latex]


def image_captions(at) -> list[str]:
    return [caption for image in at.image for caption in image.captions]


def last_number(text: str) -> float:
    return float(re.findall(r"-?\d+(?:\.\d+)?", text)[-1])


def recomputed(at) -> tuple[float, float]:
    """The page's recomputed value and the layer's own output, from its agreement line."""
    line = next(m.value for m in at.markdown if m.value.startswith("Recomputed from the weights"))
    value, actual = re.findall(r"\*\*(-?[\d.]+)\*\*", line)
    return float(value), float(actual)


def test_every_layer_is_listed_in_order_with_its_shape(page):
    lines = [m.value for m in page.markdown if m.value.startswith("**`")]
    assert lines[0].startswith("**`conv2d_1`** · Conv2D · 26×26×32") and "3×3 pixels" in lines[0]
    assert "18×18 pixels" in lines[4] and lines[5] == "**`flatten`** · Flatten · 576 numbers"
    assert [line.split("`")[1] for line in lines] == [
        "conv2d_1",
        "max_pooling2d_1",
        "conv2d_2",
        "max_pooling2d_2",
        "conv2d_3",
        "flatten",
        "dense",
        "output",
    ]
    assert page.metric[0].value == "7"
    fields = page.dataframe[0].value
    assert list(fields.iloc[:, 2]) == ["3×3", "4×4", "8×8", "10×10", "18×18"]
    assert fields.iloc[4, 4] == "18 = 10 + (3 - 1) · 4"


def test_a_conv_cell_sums_to_the_layers_real_output(page, reference):
    maps = reference["conv2d_2"]
    row, col, channel = np.unravel_index(int(np.argmax(maps)), maps.shape)  # a cell ReLU keeps
    at = pick(page, "conv2d_2", int(row), int(col), int(channel))
    expected = float(maps[row, col, channel])
    z_line = next(line for line in latex(at) if line.strip().startswith("$$\nz ="))
    assert last_number(z_line) == pytest.approx(expected, abs=ATOL)
    value, actual = recomputed(at)
    assert value == pytest.approx(expected, abs=ATOL) and actual == pytest.approx(expected, abs=ATOL)
    assert sum(r"\odot" in line for line in latex(at)) == 4  # 4 of the 32 input channels shown...
    assert any("4 of the 32 input channels" in c.value for c in at.caption)  # ...and said so
    assert len(at.dataframe[1].value) == 32  # every channel's sum
    assert any(f"rows {2 * row} to {2 * row + 7}" in caption for caption in image_captions(at))  # its 8x8 field


def test_a_pooling_cell_names_its_window_and_winner(page, reference):
    at = pick(page, "max_pooling2d_2", 2, 2, 5)
    expected = float(reference["max_pooling2d_2"][2, 2, 5])
    pool_line = next(line for line in latex(at) if r"\max(" in line)
    assert float(re.search(r"\\mathbf\{(-?[\d.]+)\}", pool_line).group(1)) == pytest.approx(expected, abs=ATOL)
    window = reference["conv2d_2"][4:6, 4:6, 5]
    assert expected == pytest.approx(float(window.max()), abs=1e-6)
    assert any(c.value.startswith("The winner (boxed)") for c in at.caption)
    assert recomputed(at)[0] == pytest.approx(expected, abs=ATOL)


def test_flatten_maps_an_index_to_its_row_col_and_channel(page, reference):
    at = pick(page, "flatten", 100)
    lines = latex(at)
    assert any(r"3 \times 3 \times 64 = 576" in line for line in lines)
    assert any(r"(0 \cdot 3 + 1) \cdot 64 + 36 = 100" in line for line in lines)  # 100 = (0, 1, 36)
    assert any("row 0, col 1, channel 36" in m.value for m in at.markdown)
    assert recomputed(at)[0] == pytest.approx(float(reference["conv2d_3"][0, 1, 36]), abs=ATOL)


def test_a_dense_unit_lists_its_largest_contributions(page, reference):
    at = pick(page, "dense", 5)
    table = at.dataframe[-1].value
    assert len(table) == 5 and list(table.columns[:2]) == ["input i", "cell before Flatten (row, col, channel)"]
    sizes = np.abs(table["x_i · w_i"].to_numpy())
    assert np.all(np.diff(sizes) <= 0)
    np.testing.assert_allclose(table["x_i · w_i"], table["x_i"] * table["w_i"], atol=1e-9)
    assert recomputed(at)[0] == pytest.approx(float(reference["dense"][5]), abs=ATOL)


def test_the_output_layer_shows_the_softmax_steps_summing_to_1(page, reference):
    at = pick(page, "output", 7)
    table = at.dataframe[-1].value
    assert list(table.columns) == ["class", "z", "z - max z", "exp", "p"]
    assert table["p"].sum() == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(table["p"], reference["output"], atol=ATOL)
    np.testing.assert_allclose(table["exp"] / table["exp"].sum(), table["p"], rtol=1e-9)
    assert table["z - max z"].max() == 0.0
    assert sum(line.count(r"\frac") for line in latex(at)) >= 2  # p = e^(z - max z) / Σ, with the numbers
    assert any("add up to **1**" in m.value for m in at.markdown)


def test_a_typed_cell_moves_the_inputs_and_a_bad_one_gives_a_message():
    at = page_test("network", timeout=120).run()
    typed = at.text_input(key=f"network_cell_{OPTION}_conv2d_1_typed")
    typed.set_value("3, 4, 5").run()
    assert_clean(at)
    assert [at.number_input(key=f"network_cell_{OPTION}_conv2d_1_{axis}").value for axis in range(3)] == [3, 4, 5]
    at.text_input(key=f"network_cell_{OPTION}_conv2d_1_typed").set_value("26, 0, 0").run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Layer `conv2d_1` outputs maps of 26×26×32: row goes from 0 to 25, col from 0 to 25 and channel "
        "from 0 to 31, so (26, 0, 0) is not one of its cells."
    ]
    at.text_input(key=f"network_cell_{OPTION}_conv2d_1_typed").set_value("seven").run()
    assert not at.exception and "Type 3 whole numbers" in at.error[0].value
    at.selectbox(key=f"network_layer_{OPTION}").set_value("output").run()
    at.text_input(key=f"network_cell_{OPTION}_output_typed").set_value("10").run()
    assert "outputs 10 numbers, indexed 0 to 9" in at.error[0].value


def test_another_digit_and_the_augmented_model():
    at = page_test("network", timeout=120).run()
    at.number_input(key="network_digit").set_value(1).run()
    assert_clean(at)
    assert at.metric[0].value == "2"  # MNIST's test digit #1 is a 2
    at.selectbox(key="network_model").set_value("shipped:mnist_convnet_augmented").run()
    assert_clean(at)
    assert at.metric[0].value == "2"


def test_the_drawing_pad_asks_for_a_digit():
    at = page_test("network", timeout=120).run()
    at.radio(key="network_source").set_value("draw").run()
    assert not at.exception and not at.error
    assert any("Draw a digit on the pad" in info.value for info in at.info)


def test_a_model_trained_this_session_can_be_read():
    from cnn_core.learning.models import build_convnet

    model = build_convnet(filters=(4, 8), dense_units=8)
    entry = SessionModel("tiny net", model, "mnist", [str(d) for d in range(10)], (28, 28, 1))
    at = page_test("network", timeout=120, **{state.SESSION_MODELS: {"tiny net": entry}}).run()
    assert "tiny net (trained in this session)" in at.selectbox(key="network_model").options
    at.selectbox(key="network_model").set_value("session:tiny net").run()
    assert_clean(at)
    names = [m.value.split("`")[1] for m in at.markdown if m.value.startswith("**`")]
    assert names == [layer.name for layer in model.layers]


def test_a_drawn_digit_goes_through_the_network(monkeypatch):
    """A stand-in drawing pad returns MNIST's test digit #0 drawn 10 times larger, as the canvas's RGBA."""
    import types

    _, (x_test, _y) = load_mnist()
    strokes = np.repeat(np.repeat(x_test[0], 10, axis=0), 10, axis=1)  # (280, 280), white on black
    drawing = np.dstack([strokes, strokes, strokes, np.full_like(strokes, 255)])
    canvas = types.ModuleType("streamlit_drawable_canvas")
    canvas.st_canvas = lambda **kwargs: types.SimpleNamespace(image_data=drawing)
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", canvas)
    at = page_test("network", timeout=120).run()
    at.radio(key="network_source").set_value("draw").run()
    assert_clean(at)
    assert at.metric[0].value == "7"
    assert len([m for m in at.markdown if m.value.startswith("**`")]) == 8
    # The input shown is what cnn_core.read_digit prepared for this model (the reference).
    from cnn_core.vision.reader import read_digit
    from ui.network import open_model

    model = open_model(at.selectbox(key="network_model").value)
    expected = read_digit(drawing, model)
    assert expected.digit == 7 and expected.confident
    probabilities = np.asarray(model(expected.prepared[None, ..., None], training=False))[0]
    assert at.metric[0].delta.startswith(f"{probabilities.max():.1%}"[:4])
