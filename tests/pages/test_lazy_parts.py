"""Parts of the concept pages that are drawn only while shown (``ui.lazy``), and what they keep.

A closed expander or a hidden tab costs a page run nothing, so a class waits less; what a visitor set
there (a step, Play's speed, a typed prediction, another filter's kernel) is kept for when it is
shown again, and a hidden filter still counts in every result.
"""

import numpy as np
from streamlit.testing.v1 import AppTest

from cnn_core import conv2d
from cnn_core.ops.kernels import preset_kernel
from tests.support.apptest import STEP_VIEW, page_test
from ui.concept import CLASSIC_GRID

PLAY_VIEW = "▶ Play"


def _run(page: str, **state) -> AppTest:
    at = page_test(page, timeout=60, **state).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _keys(elements) -> set[str]:
    return {str(e.key) for e in elements}


def test_only_the_open_player_view_is_drawn_and_the_other_keeps_its_place():
    at = _run("convolution")
    assert "conv_speed" in _keys(at.select_slider) and "conv_step" not in _keys(at.slider)
    at.select_slider(key="conv_speed").set_value(2.0).run()
    at.session_state["conv_view"] = STEP_VIEW
    at.run()
    assert "conv_step" in _keys(at.slider) and "conv_speed" not in _keys(at.select_slider)
    at.slider(key="conv_step").set_value(6).run()
    at.session_state["conv_view"] = PLAY_VIEW
    at.run()
    at.run()  # a second run without the Step view: Streamlit has forgotten its widgets by now
    assert at.select_slider(key="conv_speed").value == 2.0  # kept while Step by step was open
    at.session_state["conv_view"] = STEP_VIEW
    at.run()
    assert at.slider(key="conv_step").value == 6  # kept while Play was open
    assert r"\text{out}[1, 2]" in "\n".join(m.value for m in at.latex)  # step 6 of the 3x3 map


def test_a_closed_prediction_box_is_not_drawn_and_keeps_what_was_typed():
    at = _run("stride")
    assert not [t for t in at.text_input if str(t.key).startswith("predict_stride_output_size_answer_")]
    at.session_state["predict_stride_output_size_open"] = True
    at.run()
    (field,) = [t for t in at.text_input if str(t.key).startswith("predict_stride_output_size_answer_")]
    field.set_value("7").run()
    at.session_state["predict_stride_output_size_open"] = False
    at.run()
    at.run()
    assert not [t for t in at.text_input if str(t.key).startswith("predict_stride_output_size_answer_")]
    at.session_state["predict_stride_output_size_open"] = True
    at.run()
    (field,) = [t for t in at.text_input if str(t.key).startswith("predict_stride_output_size_answer_")]
    assert field.value == "7"


def _maps(at: AppTest) -> np.ndarray:
    """The feature maps the page computed, read back from its chart (filters along the last axis)."""
    import json

    spec = json.loads(next(c.proto.spec for c in at.get("plotly_chart") if c.proto.id.endswith("-conv_maps")))
    return np.stack([np.array(trace["text"], dtype=float) for trace in spec["data"]], axis=-1)


def test_a_hidden_filter_still_counts_with_its_preset_bias_and_typed_cells():
    # Filter 2 set by a link (preset and bias) and by hand (one cell), then its tab left for filter 1's.
    at = page_test("convolution", timeout=60)
    at.query_params.update({"conv_preset_1": "horizontal edge", "conv_bias_1": "1.5"})
    at.session_state["conv_filter_tab"] = "Filter 2"
    at.run()
    assert {"conv_preset_1", "conv_bias_1"} <= _keys(at.selectbox) | _keys(at.number_input)
    editor = "conv_kernel_1_horizontal edge_3_0_of_1"
    at.session_state[editor] = {"edited_rows": {0: {"1": "5"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    shown = _maps(at)
    at.session_state["conv_filter_tab"] = "Filter 1"
    at.run()
    at.run()
    assert "conv_preset_1" not in _keys(at.selectbox)  # not drawn ...
    np.testing.assert_array_equal(_maps(at), shown)  # ... and still counted the same
    kernel = preset_kernel("horizontal edge", 3, 1, seed=1)
    kernel[0, 0, 0] = 5.0
    bank = np.stack([preset_kernel("cross (textbook)", 3, 1, seed=0), kernel], axis=-1)  # (3, 3, 1, 2)
    reference = np.maximum(conv2d(CLASSIC_GRID[:, :, None].astype(float), bank, np.array([0.0, 1.5])), 0)
    np.testing.assert_allclose(shown, reference)
    names = at.selectbox(key="conv_anim_filter").options
    assert names == ["filter 1: cross (textbook)", "filter 2: edited horizontal edge"]
    assert dict(at.query_params)["conv_preset_1"] == "horizontal edge"  # still in the page's link


def test_a_bad_cell_in_a_hidden_filter_is_said_below_the_tabs_not_in_its_closed_tab():
    at = _run("convolution", conv_filter_tab="Filter 2")
    editor = "conv_kernel_1_vertical edge_3_0_of_1"
    at.session_state[editor] = {"edited_rows": {2: {"3": "x"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    at.session_state["conv_filter_tab"] = "Filter 1"
    at.run()
    at.run()
    assert at.error and at.error[0].value.startswith("Filter 2: row 3, column 3: 'x' is not a number")
    assert not [e for tab in at.tabs for e in tab.error]  # not hidden in a closed tab
    assert not [m for m in at.markdown if m.value.startswith("**Output shape")]  # the page stops there
