"""The concept figures' extras: text twins with the numbers, Play's speed, a click that opens a step.

The click itself happens in a browser (plotly.js sends the selected point); here ``step_of`` maps
such a point to its step, and the pages are driven as far as AppTest reaches.
"""

import json

from streamlit.testing.v1 import AppTest

from cnn_core.figures.players import OUTPUT_CELLS_TRACE
from tests.support.apptest import page_test
from tests.support.languages import has_hangul, untranslated, visible_texts
from ui.players import step_of


def _run(page: str, lang: str | None = None, **state) -> AppTest:
    at = page_test(page, timeout=60, **state)
    if lang:
        at.query_params["lang"] = lang
    at.run()
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
