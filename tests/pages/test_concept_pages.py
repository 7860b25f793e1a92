"""AppTest for the four concept pages: they render, their widgets change the displayed output shape
as the formula says, the numbers match hand-worked examples, and bad input gets a message.
"""

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core import conv_output_size
from tests.support.apptest import app_test, page_path, page_test, step_view

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("convolution", "padding", "stride", "pooling")


def _run(page: str, **state) -> AppTest:
    return _ok(page_test(page, timeout=60, **state).run())


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shapes(at: AppTest) -> list[str]:
    """The "Output shape: H × W[ × C]" lines the page shows, as "H×W[×C]"."""
    lines = [m.value for m in at.markdown if m.value.startswith("**Output shape: ")]
    return [line.split("**")[1].removeprefix("Output shape: ").replace(" ", "") for line in lines]


def _chart(at: AppTest, key: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(charts) == 1, f"no single chart with key {key!r}"
    return json.loads(charts[0].proto.spec)


def _latex(at: AppTest) -> str:
    return "\n".join(element.value for element in at.latex)


def _png(height: int, width: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 128, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_errors(page):
    at = _run(page)
    assert not at.error and not at.warning
    assert _shapes(at)


def test_concept_pages_never_import_tensorflow():
    probe = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"for page in {PAGES!r}:\n"
        f"    at = AppTest.from_file({str(ROOT)!r} + f'/pages/{{page}}.py', default_timeout=60).run()\n"
        "    assert not at.exception, page\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


# Convolution ----------------------------------------------------------------------------------------


def test_convolution_defaults_reproduce_the_classic_worked_example():
    at = _run("convolution", **step_view("conv"))
    assert _shapes(at) == [f"{conv_output_size(5, 3)}×3×2"] == ["3×3×2"]
    assert r"= 1 \cdot 1 + 1 \cdot 0 + 1 \cdot 1 + 0 \cdot 0 + 1 \cdot 1 + 1 \cdot 0 + 0 \cdot 1" in _latex(at)
    # The classic 5x5 grid with the 3x3 cross kernel, worked out by hand.
    expected = [[4, 3, 4], [2, 4, 3], [2, 3, 4]]
    for step in range(1, 10):
        at.slider(key="conv_step").set_value(step).run()
        row, col = divmod(step - 1, 3)
        assert rf"\text{{out}}[{row}, {col}] = " in _latex(at)
        assert _latex(at).rstrip("$\n ").endswith(rf"\mathbf{{{expected[row][col]}}}")
    maps = _chart(_ok(at), "conv_maps")
    titles = [a["text"] for a in maps["layout"]["annotations"]]
    assert titles == ["filter 1: cross (textbook)", "filter 2: vertical edge"]
    assert maps["data"][0]["text"] == [[str(v) for v in row] for row in expected]


@pytest.mark.parametrize(
    "widget, key, value, expected",
    [
        ("slider", "conv_strides", 2, f"{conv_output_size(5, 3, 2)}×{conv_output_size(5, 3, 2)}×2"),
        ("radio", "conv_padding", "same", "5×5×2"),
        ("radio", "conv_ksize", 5, f"{conv_output_size(5, 5)}×{conv_output_size(5, 5)}×2"),
        ("slider", "conv_filters", 3, "3×3×3"),
    ],
)
def test_convolution_shape_follows_kernel_stride_and_padding(widget, key, value, expected):
    at = _run("convolution")
    getattr(at, widget)(key=key).set_value(value).run()
    assert _shapes(_ok(at)) == [expected]


def test_convolution_explicit_padding_and_stride_use_the_formula():
    at = _run("convolution", conv_padding="explicit p", conv_p=2, conv_strides=3)
    o = conv_output_size(5, 3, 3, 2)
    assert o == (5 + 4 - 3) // 3 + 1 == 3
    assert _shapes(at) == [f"{o}×{o}×2"]
    assert r"\left\lfloor \frac{5 + 2 \cdot 2 - 3}{3} \right\rfloor + 1 = \lfloor 2 \rfloor + 1 = 3" in _latex(at)


def test_convolution_kernel_bigger_than_input_is_explained_not_crashed():
    at = _run("convolution", conv_rows=3, conv_cols=3, conv_ksize=5)
    assert not _shapes(at)
    assert "does not fit in a 3×3 input" in at.warning[0].value
    at.radio(key="conv_padding").set_value("same").run()
    assert _shapes(_ok(at)) == ["3×3×2"] and not at.warning


def test_convolution_rejects_cells_that_are_not_numbers():
    at = _run("convolution")
    kernel_key = "conv_kernel_0_cross (textbook)_3_0_of_1"
    at.session_state[kernel_key] = {"edited_rows": {1: {"3": "two"}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert at.error[0].value.startswith("Filter 1: row 2, column 3: 'two' is not a number")
    assert not _shapes(_ok(at))
    at.session_state[kernel_key] = {"edited_rows": {1: {"3": "1/2"}}, "added_rows": [], "deleted_rows": []}
    at.session_state["conv_grid_5x5_0"] = {"edited_rows": {4: {"5": ""}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert at.error[0].value.startswith("The input grid: row 5, column 5: is empty")


def test_a_cleared_cell_is_said_to_be_empty_and_comes_back_empty():
    # The browser sends a text cell emptied with Delete as null; the grid keeps it as an empty cell.
    at = app_test("convolution")
    at.session_state["conv_grid_5x5_0"] = {"edited_rows": {4: {"5": None}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert at.error[0].value.startswith("The input grid: row 5, column 5: is empty")
    at.switch_page(page_path("padding")).run()
    at.switch_page(page_path("convolution")).run()
    assert at.error and at.error[0].value.startswith("The input grid: row 5, column 5: is empty"), at.error


def test_convolution_edited_kernel_changes_the_numbers():
    at = _run("convolution", **step_view("conv"))
    at.session_state["conv_kernel_0_cross (textbook)_3_0_of_1"] = {
        "edited_rows": {1: {"2": "-1/2"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    # Step 1: the centre of the first patch is 1, so the sum goes from 4 to 4 - 1·1 + 1·(-1/2) = 2.5.
    assert _latex(_ok(at)).rstrip("$\n ").endswith(r"\mathbf{2.5}")


def test_convolution_step_buttons_move_one_frame_and_stop_at_the_ends():
    at = _run("convolution", **step_view("conv"))
    at.button(key="conv_forward").click().run()
    at.button(key="conv_forward").click().run()
    assert at.slider(key="conv_step").value == 3
    assert r"\text{out}[0, 2]" in _latex(_ok(at))
    for _ in range(4):
        at.button(key="conv_back").click().run()
    assert at.slider(key="conv_step").value == 1
    at.slider(key="conv_step").set_value(9).run()
    at.button(key="conv_forward").click().run()
    assert at.slider(key="conv_step").value == 9


def test_convolution_on_mnist_caps_the_animation_but_not_the_result():
    at = _run("convolution", conv_source="mnist", conv_mnist=3)
    assert _shapes(at) == ["26×26×2"]
    assert "676 cells" in at.info[0].value and "first 400 steps" in at.info[0].value
    assert "labelled **0**" in at.caption[0].value  # MNIST test image 3 is a zero
    maps = _chart(at, "conv_maps")
    assert maps["data"][0]["z"]["shape"] == "26, 26"
    player = _chart(at, "conv_player")
    assert len(player["frames"]) == 400


def test_convolution_on_the_colour_photo_sums_three_channels():
    at = _run("convolution", conv_source="photo", conv_channels=3, conv_photo_height=16, conv_strides=2)
    width = round(451 * 16 / 300)  # the photo is 451 x 300, downscaled to 16 pixels tall
    assert _shapes(at) == [f"{conv_output_size(16, 3, 2)}×{conv_output_size(width, 3, 2)}×2"] == ["7×11×2"]
    title = _chart(at, "conv_player")["layout"]["title"]["text"]
    assert "(R) +" in title and "(G) +" in title and "(B) + bias" in title


def test_convolution_upload_rejects_a_corrupt_file_and_uses_a_good_one():
    at = _run("convolution", conv_source="upload", conv_upload_height=8)
    at.get("file_uploader")[0].set_value(("notes.png", b"this is not a picture", "image/png")).run()
    assert "Could not use **notes.png**" in _ok(at).error[0].value
    assert _shapes(at) == ["6×10×2"]  # the sample photo stands in: 8 x 12
    at.get("file_uploader")[0].set_value(("grey.png", _png(40, 80), "image/png")).run()
    assert not _ok(at).error
    assert _shapes(at) == [f"6×{conv_output_size(16, 3)}×2"]  # 40 x 80 downscaled to 8 x 16


@pytest.mark.parametrize("height, width, shape", [(1, 600, "62×254×2"), (600, 1, "62×14×2")])
def test_convolution_upload_of_a_sliver_is_squeezed_to_4_to_1(height, width, shape):
    at = _run("convolution", conv_source="upload", conv_channels=3, conv_upload_height=64)
    at.get("file_uploader")[0].set_value(("sliver.png", _png(height, width), "image/png")).run()
    # Kept at its aspect ratio, a 600 x 1 sliver would be 64 x 38,400 (and st.image would fail).
    assert _shapes(_ok(at)) == [shape]  # 64 x 256 and 64 x 16 inputs, valid 3 x 3 kernels
    assert "squeezed to at most 4:1" in at.info[0].value


# Padding ------------------------------------------------------------------------------------------


def test_padding_formula_and_shapes_follow_the_widgets():
    at = _run("padding")
    assert _shapes(at) == ["5×5"]
    assert r"\left\lceil \frac{5}{1} \right\rceil = 5" in _latex(at)
    at.radio(key="pad_padding").set_value("valid").run()
    assert _shapes(at) == [f"{conv_output_size(5, 3)}×{conv_output_size(5, 3)}"]
    at.radio(key="pad_padding").set_value("explicit p").run()
    at.slider(key="pad_p").set_value(2).run()
    assert _shapes(at) == ["7×7"]
    at.slider(key="pad_strides").set_value(2).run()
    assert _shapes(_ok(at)) == [f"{conv_output_size(5, 3, 2, 2)}×{conv_output_size(5, 3, 2, 2)}"] == ["4×4"]


def test_padding_same_with_an_even_kernel_puts_the_extra_zero_after():
    at = _run("padding", pad_kernel=4)
    assert _shapes(at) == ["5×5"]
    assert "1 on top, 2 at the bottom, 1 on the left, 2 on the right" in at.caption[0].value
    figure = _chart(at, "pad_figure")
    assert figure["layout"]["title"]["text"] == "5×5 input → 8×8 padded"


def test_padding_comparison_table_and_a_window_that_does_not_fit():
    at = _run("padding", pad_size=2, pad_kernel=6, pad_padding="valid")
    assert "does not fit in a 2×2 input" in at.warning[0].value
    table = next(m.value for m in at.markdown if m.value.startswith("| padding"))
    assert "| 'valid' | – | the window does not fit |" in table
    assert "| 'same' | (2, 3) | 2 × 2 |" in table
    assert "| 2 | (2, 2) | 1 × 1 |" in table


def test_padding_border_effect_on_the_photo():
    at = _run("padding")
    photo = _chart(at, "pad_photo")
    assert [a["text"] for a in photo["layout"]["annotations"]] == ["photo 60×90", "valid: 56×86", "same: 60×90"]
    caption = next(c.value for c in at.caption if c.value.startswith("Mean of the top row"))
    top, inner = (float(number) for number in re.findall(r": (\d+\.\d+)", caption)[:2])
    assert top < inner  # the zero border darkens the blurred top row
    at.radio(key="pad_photo_ksize").set_value(3).run()
    assert [a["text"] for a in _chart(_ok(at), "pad_photo")["layout"]["annotations"]][1] == "valid: 58×88"


# Stride -------------------------------------------------------------------------------------------


def _unseen_by_hand(size: int, kernel: int, stride: int) -> int:
    starts = range(0, size - kernel + 1, stride)
    seen = np.zeros(size, dtype=bool)
    for start in starts:
        seen[start : start + kernel] = True
    return size * size - int(seen.sum()) ** 2


def test_stride_classic_example_gives_2x2_and_3x3_not_4x4():
    at = _run("stride")
    assert _shapes(at) == ["2×2"]
    at.button(key="stride_classic_same").click().run()
    assert _shapes(_ok(at)) == [f"{conv_output_size(5, 3, 2, 'same')}×3"] == ["3×3"]
    assert "p = 2" in next(m.value for m in at.markdown if "4×4" in m.value)
    at.button(key="stride_classic_valid").click().run()
    assert _shapes(_ok(at)) == ["2×2"]


@pytest.mark.parametrize(
    "size, kernel, stride, reason",
    [
        (6, 3, 2, "drops the remainder 1"),
        (12, 3, 4, "larger than the window"),
        (7, 2, 3, "larger than the window"),
    ],
)
def test_stride_explains_pixels_that_no_window_visits(size, kernel, stride, reason):
    at = _run("stride", stride_size=size, stride_kernel=kernel, stride_strides=stride)
    o = conv_output_size(size, kernel, stride)
    assert _shapes(at) == [f"{o}×{o}"]
    unseen = _unseen_by_hand(size, kernel, stride)
    assert unseen > 0
    assert at.warning[0].value.startswith(f"{unseen} of the {size * size} input pixels")
    assert reason in at.warning[0].value
    marked = _chart(at, "stride_windows")["data"][3]
    assert sum(cell == "✕" for row in marked["text"] for cell in row) == unseen


def test_stride_extreme_combinations_are_explained():
    at = _run("stride", stride_size=3, stride_kernel=5)
    assert "does not fit in a 3×3 input" in at.warning[0].value and not _shapes(at)
    at = _run("stride", stride_size=3, stride_kernel=3, stride_strides=4)
    assert _shapes(at) == ["1×1"] and at.success


def test_stride_same_padding_visits_every_pixel():
    at = _run("stride", stride_size=6, stride_padding="same")
    assert _shapes(at) == ["3×3"] and not at.warning
    assert "Every one of the 36 input pixels" in at.success[0].value


# Pooling ------------------------------------------------------------------------------------------


def test_pooling_defaults_halve_the_grid_and_the_real_feature_map():
    at = _run("pooling", **step_view("pool"))
    assert _shapes(at) == ["2×2", f"{conv_output_size(148, 2, 2)}×74"] == ["2×2", "74×74"]
    assert r"\max(1, 1, 5, 6) = \mathbf{6}" in _latex(at)
    assert _chart(at, "pool_result")["data"][0]["text"] == [["6", "8"], ["3", "4"]]  # by hand
    photo = _chart(at, "pool_photo")
    assert [a["text"] for a in photo["layout"]["annotations"]] == ["feature map 148×148", "max pooled 74×74"]


def test_pooling_average_mode_shows_the_mean():
    at = _run("pooling", pool_mode="average", **step_view("pool"))
    assert r"\frac{1 + 1 + 5 + 6}{4} = \mathbf{3.25}" in _latex(at)
    assert _chart(at, "pool_result")["data"][0]["text"] == [["3.25", "5.25"], ["2", "2"]]


@pytest.mark.parametrize(
    "state, expected",
    [
        ({"pool_size": 3, "pool_strides": 3}, [f"{conv_output_size(4, 3, 3)}×1", f"{conv_output_size(148, 3, 3)}×49"]),
        ({"pool_size": 3, "pool_strides": 2, "pool_padding": "same"}, ["2×2", "74×74"]),
        ({"pool_size": 2, "pool_strides": 1}, ["3×3", "147×147"]),
    ],
)
def test_pooling_shape_follows_size_stride_and_padding(state, expected):
    assert _shapes(_run("pooling", **state)) == expected


def test_pooling_same_padding_leaves_padded_cells_out():
    at = _run("pooling", pool_size=3, pool_strides=2, pool_padding="same", pool_mode="average", **step_view("pool"))
    # The 4x4 grid gets one zero row and column after it; step 4 is the bottom-right window,
    # rows and columns 2..4, of which only 2..3 are real: (1 + 0 + 3 + 4) / 4.
    at.slider(key="pool_step").set_value(4).run()
    assert r"\frac{1 + 0 + 3 + 4}{4} = \mathbf{2}" in _latex(_ok(at))


def test_pooling_window_bigger_than_input_is_explained():
    at = _run("pooling", pool_rows=2, pool_cols=2, pool_size=3)
    assert "does not fit in a 2×2 input" in at.warning[0].value and not _shapes(at)


def test_pooling_an_mnist_digit():
    assert _shapes(_run("pooling", pool_source="mnist"))[0] == "14×14"
