"""Figures of the concept pages: valid plotly specs that show exactly the numbers they are given.

Every figure is re-validated with plotly.py's own validator (``go.Figure(spec)``), since the
module builds its specs without it for speed.
"""

import base64
import pickle

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from cnn_core.figures.grids import feature_maps_figure, grid_figure, images_figure, padded_figure
from cnn_core.figures.players import OUTPUT_CELLS_TRACE, conv_player_figure, pool_player_figure
from cnn_core.figures.spec import cell_text, nice_ticks
from cnn_core.ops.coverage import window_coverage
from cnn_core.ops.formulas import format_value
from cnn_core.ops.shapes import padding_amounts
from cnn_core.ops.sliding import pad_input
from cnn_core.ops.steps import conv_steps, pool_steps


def _spec(fig) -> dict:
    """The figure as plotly.js receives it, after plotly.py's validation (which raises if invalid)."""
    spec = fig.to_dict()
    go.Figure(spec)
    return spec


def _array(value) -> np.ndarray:
    """A trace array from a spec: plain lists, or plotly's base64 typed arrays ("bdata")."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        return flat.reshape([int(n) for n in value["shape"].split(",")]) if "shape" in value else flat
    return np.array(value, dtype=float)


def _covered_cells(xs, ys, shape) -> np.ndarray:
    """(H, W) mask of the cells inside the boxes of a closed-outline trace (None separates boxes)."""
    mask = np.zeros(shape, dtype=bool)
    points = list(zip(xs, ys))
    boxes, current = [], []
    for x, y in [*points, (None, None)]:
        if x is None:
            if current:
                boxes.append(current)
            current = []
        else:
            current.append((x, y))
    for box in boxes:
        x0, x1 = min(p[0] for p in box), max(p[0] for p in box)
        y0, y1 = min(p[1] for p in box), max(p[1] for p in box)
        mask[int(y0 + 0.5) : int(y1 + 0.5), int(x0 + 0.5) : int(x1 + 0.5)] = True
    return mask


@pytest.mark.parametrize(
    "value, text",
    [
        (4.0, "4"),
        (-3, "-3"),
        (0.126, "0.13"),
        (-0.004, "0"),
        (2.5, "2.5"),
        (float("nan"), ""),
        (None, ""),
        (np.float32(1.5), "1.5"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_cell_text_is_plain_lists_with_blanks_for_nan():
    assert cell_text(np.array([[1.0, np.nan], [0.333, -2.0]])) == [["1", ""], ["0.33", "-2"]]


def test_window_coverage_matches_a_hand_count_and_finds_unvisited_pixels():
    # 6x6 input, 3x3 window, stride 2, valid: windows start at rows/columns 0 and 2 only.
    frames = list(conv_steps(np.zeros((6, 6, 1)), np.ones((3, 3, 1, 1)), strides=2))
    coverage = window_coverage((6, 6), [(f.top, f.left) for f in frames], 3)
    expected_row = [1, 1, 2, 1, 1, 0]
    np.testing.assert_array_equal(coverage, np.outer(expected_row, expected_row))
    assert int((coverage == 0).sum()) == 11  # the last row and the last column


def test_grid_figure_writes_values_only_when_small():
    values = np.arange(12.0).reshape(3, 4)
    spec = _spec(grid_figure(values, title="t"))
    heatmap = spec["data"][0]
    np.testing.assert_array_equal(_array(heatmap["z"]), values)
    assert heatmap["text"][2][3] == "11"
    assert spec["layout"]["yaxis"]["range"] == [2.5, -0.5]  # row 0 at the top
    assert spec["layout"]["yaxis"]["scaleanchor"] == "x"  # square cells
    big = _spec(grid_figure(np.zeros((30, 30))))
    assert "text" not in big["data"][0]


def test_padded_figure_draws_padding_apart_with_windows_and_unvisited_cells():
    image = np.arange(36.0).reshape(6, 6, 1)
    pads = padding_amounts(6, 3, 2, "same") * 2  # (top, bottom) == (left, right) == (0, 1)
    padded = pad_input(image, 3, 2, "same")[:, :, 0]
    frames = list(conv_steps(image, np.ones((3, 3, 1, 1)), strides=2, padding="same"))
    coverage = window_coverage(padded.shape, [(f.top, f.left) for f in frames], 3)
    windows = [(f.top, f.left, 3, 3) for f in frames]
    spec = _spec(padded_figure(padded, pads, windows=windows, coverage=coverage))
    real, pad, outline, unvisited = spec["data"][:4]
    is_pad = ~np.isnan(_array(pad["z"]))
    assert is_pad[6].all() and is_pad[:, 6].all() and not is_pad[:6, :6].any()
    assert pad["text"][6][0] == "0" and pad["text"][0][0] == ""
    np.testing.assert_array_equal(_array(real["z"])[:6, :6], image[:, :, 0])
    assert outline["x"] == [-0.5, 5.5, 5.5, -0.5, -0.5]  # dashed line around the real 6x6
    assert np.isnan(_array(unvisited["z"])).all()  # "same" covers every real pixel here
    first, others = spec["data"][4:]
    assert first["x"] == [-0.5, 2.5, 2.5, -0.5, -0.5] and first["line"]["width"] > others["line"]["width"]
    corners = [(x, y) for x, y in zip(others["x"][::6], others["y"][::6])]  # each box: 5 points + None
    assert corners == [(f.left - 0.5, f.top - 0.5) for f in frames[1:]]
    assert (1.5, 1.5) in corners  # window (row 1, col 1) starts at padded (2, 2)


def test_padded_figure_marks_the_pixels_a_valid_stride_skips():
    image = np.zeros((6, 6))
    frames = list(conv_steps(image[:, :, None], np.ones((3, 3, 1, 1)), strides=2))
    coverage = window_coverage((6, 6), [(f.top, f.left) for f in frames], 3)
    spec = _spec(padded_figure(image, (0, 0, 0, 0), coverage=coverage))
    marked = ~np.isnan(_array(spec["data"][3]["z"]))
    np.testing.assert_array_equal(marked, coverage == 0)
    assert spec["data"][3]["text"][5][5] == "✕"


@pytest.mark.parametrize("strides, padding", [(1, "valid"), (2, "same"), (1, 1), (3, 2)])
def test_conv_player_frames_follow_the_steps_exactly(strides, padding):
    rng = np.random.default_rng(0)
    image, kernel = rng.normal(size=(6, 7, 2)), rng.normal(size=(3, 3, 2, 1))
    frames = list(conv_steps(image, kernel, np.array([0.5]), strides, padding))
    padded = pad_input(image, 3, strides, padding)
    pads = (*padding_amounts(6, 3, strides, padding), *padding_amounts(7, 3, strides, padding))
    fig = conv_player_figure(frames, padded, pads, channel=1, channel_names=["A", "B"])
    spec = _spec(fig)
    assert fig.frame_count == len(frames) == len(spec["frames"]) == len(spec["layout"]["sliders"][0]["steps"])
    assert [b["label"] for b in spec["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    _window, _middle, cover, _cell = spec["frames"][0]["traces"]
    out_shape = frames[-1].partial_output.shape[:2]
    np.testing.assert_array_equal(_array(spec["data"][cover - 1]["z"]), frames[-1].partial_output[:, :, 0])
    for frame, animation in zip(frames, spec["frames"]):
        window_trace, middle_trace, cover_trace, cell_trace = animation["data"]
        assert window_trace["x"][0] == frame.left - 0.5 and window_trace["y"][0] == frame.top - 0.5
        assert cell_trace["x"][0] == frame.col - 0.5 and cell_trace["y"][0] == frame.row - 0.5
        np.testing.assert_allclose(np.array(middle_trace["z"], dtype=float), frame.products[:, :, 1], atol=1e-6)
        assert middle_trace["text"][0][0] == (
            f"{format_value(frame.patch[0, 0, 1])}×{format_value(frame.kernel[0, 0, 1])}"
            f"<br>={format_value(frame.products[0, 0, 1])}"
        )
        hidden = _covered_cells(cover_trace["x"], cover_trace["y"], out_shape)
        np.testing.assert_array_equal(hidden, np.isnan(frame.partial_output[:, :, 0]))
        title = animation["layout"]["title"]["text"]
        assert f"out[{frame.row}, {frame.col}]" in title and "(A) +" in title and "(B)" in title
        assert title.endswith(f"<b>{format_value(frame.value)}</b>")


def test_a_single_frame_is_a_still_figure_and_mixed_filters_are_refused():
    image, kernel = np.ones((4, 4, 1)), np.ones((3, 3, 1, 2))
    frames = list(conv_steps(image, kernel))
    still = _spec(conv_player_figure(frames[1:2], image, (0, 0, 0, 0)))
    assert "frames" not in still and "sliders" not in still["layout"]
    assert still["layout"]["title"]["text"].startswith("step 2 of 8: out[0, 1] = Σ = 9 + bias 0")
    with pytest.raises(ValueError, match="one output filter at a time"):
        conv_player_figure(frames, image, (0, 0, 0, 0))
    with pytest.raises(ValueError, match="at least one frame"):
        conv_player_figure([], image, (0, 0, 0, 0))


def test_a_relu_player_shows_the_sum_then_relu_and_fills_in_activated_cells():
    image = np.array([[1.0, -2.0, 3.0], [0.5, -1.0, 2.0], [-3.0, 1.0, 0.0]])[:, :, None]
    kernel = np.ones((2, 2, 1, 1))
    frames = list(conv_steps(image, kernel, np.array([-1.0]), activation="relu"))
    spec = _spec(conv_player_figure(frames, image, (0, 0, 0, 0), relu_label="ReLU"))
    titles = [animation["layout"]["title"]["text"] for animation in spec["frames"]]
    # Cell (0, 0): 1 - 2 + 0.5 - 1 = -1.5, plus the bias -1 = -2.5; ReLU keeps 0.
    assert titles[0].endswith("+ bias -1 = -2.5 → ReLU: max(0, -2.5) = <b>0</b>")
    assert titles[1].endswith("Σ = 2 + bias -1 = 1 → ReLU: max(0, 1) = <b>1</b>")
    assert titles[2].endswith("Σ = -2.5 + bias -1 = -3.5 → ReLU: max(0, -3.5) = <b>0</b>")
    assert titles[3].endswith("Σ = 2 + bias -1 = 1 → ReLU: max(0, 1) = <b>1</b>")
    output = next(trace for trace in spec["data"] if trace.get("name") == "not computed yet")
    np.testing.assert_array_equal(_array(spec["data"][spec["data"].index(output) - 1]["z"]), [[0, 1], [0, 1]])


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pool_player_marks_the_max_or_shows_the_mean_and_skips_padding(mode):
    x = np.array([[1.0, 3.0, 2.0], [4.0, 0.0, 5.0], [7.0, 1.0, 1.0]])[:, :, None]
    frames = list(pool_steps(x, 2, 2, "same", mode))
    padded = pad_input(x, 2, 2, "same", value=np.nan)[:, :, 0]
    spec = _spec(pool_player_figure(frames, padded, (0, 1, 0, 1)))
    assert len(spec["frames"]) == 4
    corner = spec["frames"][3]["data"][1]  # window over the bottom-right corner: one real cell
    assert corner["z"] == [[1.0, None], [None, None]]
    assert corner["text"][0][1] == "-"
    first = spec["frames"][0]
    if mode == "max":
        assert first["data"][1]["text"][1][0] == "<b>[4]</b>"
        assert first["layout"]["title"]["text"].endswith("max of the window = <b>4</b>")
    else:
        assert first["layout"]["title"]["text"].endswith("sum / 4 = 8 / 4 = <b>2</b>")
        assert spec["frames"][1]["layout"]["title"]["text"].endswith("sum / 2 = 7 / 2 = <b>3.5</b>")


def test_feature_maps_and_images_figures_lay_out_one_panel_each():
    maps = np.random.default_rng(1).normal(size=(5, 6, 3))
    spec = _spec(feature_maps_figure(maps, ["a", "b", "c"], columns=2))
    assert [t["xaxis"] for t in spec["data"]] == ["x", "x2", "x3"]
    for i, trace in enumerate(spec["data"]):
        np.testing.assert_allclose(_array(trace["z"]), maps[:, :, i])
        assert trace["zmin"] == -trace["zmax"]  # centred on zero
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["a", "b", "c"]
    assert spec["layout"]["yaxis3"]["domain"][1] < spec["layout"]["yaxis"]["domain"][0]  # second row below
    with pytest.raises(ValueError, match="one title per channel"):
        feature_maps_figure(maps, ["a"])
    images = _spec(images_figure([np.zeros((8, 12)), np.ones((4, 6))], ["big", "small"], zmin=0, zmax=1))
    assert [_array(t["z"]).shape for t in images["data"]] == [(8, 12), (4, 6)]
    assert (
        images["layout"]["xaxis"]["domain"][1] - images["layout"]["xaxis"]["domain"][0]
        > images["layout"]["xaxis2"]["domain"][1] - images["layout"]["xaxis2"]["domain"][0]
    )
    with pytest.raises(ValueError, match="one title per image"):
        images_figure([np.zeros((2, 2))], [])


def test_player_figure_survives_pickling_and_json():
    frames = list(conv_steps(np.arange(16.0).reshape(4, 4, 1), np.ones((2, 2, 1, 1))))
    fig = conv_player_figure(frames, np.arange(16.0).reshape(4, 4, 1), (0, 0, 0, 0))
    restored = pickle.loads(pickle.dumps(fig))  # st.cache_data pickles what it caches
    assert restored.to_dict()["frames"] == fig.to_dict()["frames"]
    assert restored.to_dict()["layout"]["sliders"] == fig.to_dict()["layout"]["sliders"]
    assert '"frames"' in pio.to_json(fig, validate=False)


def test_bad_arrays_are_refused_with_their_shape():
    with pytest.raises(ValueError, match=r"values must be a non-empty 2-D array \(rows, columns\), got shape \(3,\)"):
        grid_figure(np.zeros(3))


# Readable by everyone, and cheap to send (issues 14 and 18) ---------------------------------------


def test_value_maps_have_colour_bars_on_a_colour_blind_safe_diverging_scale():
    maps = np.random.default_rng(2).normal(size=(4, 4, 2))
    spec = _spec(feature_maps_figure(maps, ["a", "b"]))
    assert all(trace["showscale"] for trace in spec["data"])
    assert spec["data"][0]["colorscale"] == plotly.colors.get_colorscale("PuOr_r")  # purple -, orange +
    bars = [trace["colorbar"] for trace in spec["data"]]
    assert bars[0]["x"] < spec["layout"]["xaxis2"]["domain"][0] < bars[1]["x"]  # each beside its panel
    assert _spec(grid_figure(np.array([[6.0, 8.0], [3.0, 4.0]])))["data"][0]["showscale"]


def test_photo_sized_maps_travel_as_byte_levels_with_a_colour_bar_in_real_values():
    photo = np.linspace(0.0, 2.0, 148 * 148).reshape(148, 148)
    spec = _spec(images_figure([photo, photo[::2, ::2]], ["map", "pooled"], zmin=0.0, zmax=2.0))
    levels = _array(spec["data"][0]["z"])
    assert spec["data"][0]["z"]["dtype"] == "u1" and levels.shape == (148, 148)
    np.testing.assert_allclose(levels / 255 * 2.0, photo, atol=2.0 / 255)  # within half a level
    assert (spec["data"][0]["zmin"], spec["data"][0]["zmax"]) == (0, 255)
    assert [t["showscale"] for t in spec["data"]] == [False, True]  # one shared bar
    bar = spec["data"][1]["colorbar"]
    assert bar["ticktext"] == ["0", "0.5", "1", "1.5", "2"] and bar["tickvals"] == [0, 63.75, 127.5, 191.25, 255]
    assert len(pio.to_json(images_figure([photo], ["map"]), validate=False)) < 40_000  # f8 would be 234 kB
    own = _spec(images_figure([np.zeros((60, 90)), np.ones((60, 90))], ["a", "b"]))
    assert [t["showscale"] for t in own["data"]] == [True, True]  # own ranges, own bars


def test_the_player_plays_at_the_given_speed_and_has_clickable_output_cells():
    image = np.arange(16.0).reshape(4, 4, 1)
    frames = list(conv_steps(image, np.ones((2, 2, 1, 1))))
    spec = _spec(conv_player_figure(frames, image, (0, 0, 0, 0), frame_ms=200))
    play = spec["layout"]["updatemenus"][0]["buttons"][0]
    assert play["args"][1]["frame"]["duration"] == 200
    cells = spec["data"][OUTPUT_CELLS_TRACE]
    assert cells["type"] == "scatter" and cells["xaxis"] == "x3" and cells is spec["data"][-1]
    assert list(zip(_array(cells["y"]), _array(cells["x"])))[:4] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert cells["customdata"][0] == format_value(frames[0].value)
    assert spec["layout"]["xaxis"]["automargin"] is True  # axis titles pushed below the tick labels


def test_a_long_written_out_sum_is_wrapped_into_lines():
    rng = np.random.default_rng(3)
    names = [f"channel {c + 1}" for c in range(8)]
    frames = list(conv_steps(rng.normal(size=(3, 3, 8)), rng.normal(size=(3, 3, 8, 1))))
    spec = _spec(conv_player_figure(frames, rng.normal(size=(3, 3, 8)), (0, 0, 0, 0), channel_names=names))
    lines = spec["layout"]["title"]["text"].split("<br>")
    assert len(lines) > 1 and all(len(line) <= 110 for line in lines)
    assert spec["layout"]["margin"]["t"] >= 50 + 20 * (len(lines) - 1)


def test_nice_ticks_are_round_numbers_inside_the_range():
    assert nice_ticks(0.0, 2.37) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert nice_ticks(-1.3, 1.3) == [-1.0, 0.0, 1.0]
    assert nice_ticks(0.2, 0.2) == [0.2]
