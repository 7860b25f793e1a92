"""The concept figures' extras: text twins with the numbers, Play's speed, a click that opens a step.

The click itself happens in a browser (plotly.js sends the selected point); here ``step_of`` maps
such a point to its step, and the pages are driven as far as AppTest reaches.
"""

import json

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import read_digit
from cnn_core.data.mnist import load_mnist
from cnn_core.figures.players import OUTPUT_CELLS_TRACE
from cnn_core.vision.images import load_image
from cnn_core.vision.snapshots import synthetic_snapshot
from tests.support.apptest import lazy_key, open_expanders, page_test
from tests.support.languages import has_hangul, untranslated, visible_texts
from tests.support.twins import TWIN_LABELS, tables, twins
from ui.players import step_of
from ui.resources import MODELS_DIR, shipped_model


def _run(page: str, lang: str | None = None, **state) -> AppTest:
    at = page_test(page, timeout=60, **state)
    if lang:
        at.query_params["lang"] = lang
    open_expanders(at.run(), TWIN_LABELS)  # A visitor opens a twin with a click.
    assert not at.exception, [e.value for e in at.exception]
    return at


def _chart(at: AppTest, key: str) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")).proto.spec)


def test_pooling_lists_its_numbers_beside_the_figures():
    at = _run("pooling")
    twins = [e for e in at.expander if e.label == "The numbers in this figure"]
    assert len(twins) == 2
    table = "\n".join(m.value for m in twins[0].markdown)
    assert "| **0** | 6 | 8 |" in table and "| **1** | 3 | 4 |" in table  # 2x2 max pooling by hand
    summary = "\n".join(m.value for m in twins[1].markdown)
    assert "148×148 values" in summary and "74×74 values" in summary
    assert [b.label for b in twins[1].get("download_button")] == ["Download the values (CSV)"] * 2


def test_a_twin_makes_its_tables_only_when_opened():
    at = page_test("convolution", timeout=60).run()
    closed = [e for e in twins(at)]
    assert closed and all(lazy_key(e) for e in closed) and not [m for e in closed for m in e.markdown]
    open_expanders(at, TWIN_LABELS)
    assert all(e.markdown for e in twins(at))  # each table (or its summary) once opened
    at.session_state[lazy_key(twins(at)[0])] = False  # closed again: its tables are gone
    assert not twins(at.run())[0].markdown


def test_convolution_feature_maps_have_a_table_each_and_colour_bars():
    at = _run("convolution")
    maps = _chart(at, "conv_maps")
    assert all(trace["showscale"] for trace in maps["data"])
    twin = next(e for e in at.expander if e.label == "The numbers in this figure")
    assert len([m for m in twin.markdown if m.value.startswith("| |")]) == len(maps["data"])


def test_play_speed_sets_the_frame_duration():
    at = _run("stride")
    assert _chart(at, "stride_player")["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["duration"] == 500
    at.select_slider(key="stride_speed").set_value(2.0).run()
    assert _chart(at, "stride_player")["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["duration"] == 2000


def test_a_clicked_output_cell_names_its_step():
    cells = {(0, 0): 0, (0, 1): 1, (1, 0): 2, (1, 1): 3}
    assert step_of([{"curve_number": OUTPUT_CELLS_TRACE, "x": 1, "y": 1}], cells) == 3
    assert step_of([{"curve_number": 0, "x": 1, "y": 1}], cells) is None  # a click on the input
    assert step_of([{"curve_number": OUTPUT_CELLS_TRACE, "x": 5, "y": 0}], cells) is None  # past the cap


def test_the_step_tab_can_be_opened_at_a_step():
    at = _run("stride", stride_view="🔍 Step by step", stride_step=4)
    assert at.slider(key="stride_step").value == 4
    assert _chart(at, "stride_still")["layout"]["title"]["text"].startswith("step 4 of 4")


def test_the_extras_speak_korean():
    at = _run("pooling", lang="ko", pool_speed=1.0)
    texts = visible_texts(at)
    assert has_hangul(texts)
    english = [f"{found!r} in {text[:90]!r}" for text in texts if (found := untranslated(text))]
    assert not english, english
    assert any(e.label == "이 그림의 숫자" for e in at.expander)
    assert at.select_slider(key="pool_speed").label == "재생 속도"


# --- the Keras pages' figures ----------------------------------------------------------------------


@pytest.mark.slow
def test_the_digit_chart_lists_each_digit_with_its_probability():
    _, (x_test, _) = load_mnist()
    shot = synthetic_snapshot(x_test[3], rng=3)
    at = page_test("digits", timeout=60)
    at.run()
    _ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(shot, cv2.COLOR_RGB2BGR))
    at.camera_input[0].set_value(("shot.jpg", encoded.tobytes(), "image/jpeg")).run()
    open_expanders(at, TWIN_LABELS)
    assert not at.exception
    reference = read_digit(load_image(encoded.tobytes(), mode="RGB", max_side=1024))
    ((header, *rows),) = tables(twins(at)[0])
    assert header == ["digit", "probability"]
    assert sorted(int(digit) for digit, _p in rows) == list(range(10))
    assert int(rows[0][0]) == int(np.argmax(reference.probabilities))  # the most likely first
    shown = {int(digit): float(p.rstrip("%")) / 100 for digit, p in rows}
    np.testing.assert_allclose([shown[d] for d in range(10)], reference.probabilities, atol=5.1e-4)


@pytest.mark.slow
@pytest.mark.skipif(not (MODELS_DIR / "mnist_convnet.keras").exists(), reason="the shipped MNIST model is missing")
def test_the_activation_page_gives_the_numbers_of_its_maps_grad_cam_and_kernels():
    import tensorflow as tf

    at = page_test("activations", timeout=120)
    open_expanders(at.run(), TWIN_LABELS)
    assert not at.exception
    model = shipped_model("mnist_convnet")
    _, (x_test, _) = load_mnist()
    x = x_test[0][..., None].astype(np.float32) / 255.0
    all_tables = [table for twin in twins(at) for table in tables(twin)]
    # Each layer's grid: one row per channel with its lowest, highest and mean value (Keras's own outputs).
    grids = [table for table in all_tables if table[0] == ["channel", "lowest", "highest", "mean", "above 0"]]
    layers = [layer for layer in model.layers if len(layer.output.shape) == 4]
    assert len(grids) == len(layers)
    probe = tf.keras.Model(model.inputs, [layer.output for layer in layers])
    for table, keras_maps in zip(grids, probe(x[None], training=False)):
        maps = keras_maps.numpy()[0]
        rows = table[1:]
        assert len(rows) == maps.shape[-1]
        shown = np.array([[float(cell.replace(",", "")) for cell in row[1:4]] for row in rows])
        reference = np.stack([maps.min(axis=(0, 1)), maps.max(axis=(0, 1)), maps.mean(axis=(0, 1))], axis=1)
        np.testing.assert_allclose(shown, reference, atol=5.1e-5, rtol=1e-5)
    # The first layer's kernels: one 3x3 table per filter, the weights as Keras holds them.
    kernel = model.layers[0].get_weights()[0]  # (3, 3, 1, 32)
    grids = [table for table in all_tables if table[0] == ["", "0", "1", "2"] and len(table) == 4]
    kernels = grids[-kernel.shape[-1] :]
    for f, table in enumerate(kernels):
        shown = np.array([[float(cell) for cell in row[1:]] for row in table[1:]])
        np.testing.assert_allclose(shown, kernel[:, :, 0, f], atol=5e-4)
    # Grad-CAM: the heat map the overlay is drawn from, over the last conv layer's 3x3 positions.
    from cnn_core.learning import gradcam

    heatmap = gradcam.grad_cam(model, x)
    (cam,) = [table for table in all_tables if len(table) == heatmap.shape[0] + 1 and table in tables(twins(at)[0])]
    shown = np.array([[float(cell) for cell in row[1:]] for row in cam[1:]])
    np.testing.assert_allclose(shown, heatmap, atol=5e-4)
