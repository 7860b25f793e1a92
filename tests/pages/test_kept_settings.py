"""Settings that follow the learner (issue 14, items 1-2): each concept page and the augmentation
page keeps its settings when the visitor goes to another page and comes back, writes them to its
URL, and a fresh session opened with that URL shows the same setup. The mechanism is ``ui/settings.py``.
"""

from __future__ import annotations

import io
import json
from urllib.parse import parse_qs

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import STEP_VIEW, app_test, open_expanders, page_path, page_test

# Per page: (widget kind, key, a value that is not the default), set in this order.
CHANGES = {
    "convolution": [
        ("radio", "conv_channels", 3),
        ("number_input", "conv_rows", 4),
        ("radio", "conv_ksize", 5),
        ("slider", "conv_filters", 3),
        ("selectbox", "conv_preset_0", "sharpen"),
        ("number_input", "conv_bias_0", 1.5),
        ("slider", "conv_strides", 2),
        ("radio", "conv_padding", "same"),
    ],
    "padding": [
        ("slider", "pad_size", 7),
        ("slider", "pad_kernel", 4),
        ("slider", "pad_strides", 2),
        ("radio", "pad_padding", "explicit p"),
        ("slider", "pad_p", 2),
        ("selectbox", "pad_photo_kernel", "sharpen"),
        ("radio", "pad_photo_ksize", 3),
    ],
    "stride": [
        ("slider", "stride_size", 6),
        ("slider", "stride_kernel", 2),
        ("slider", "stride_strides", 3),
        ("radio", "stride_padding", "same"),
    ],
    "pooling": [
        ("radio", "pool_source", "mnist"),
        ("number_input", "pool_mnist", 7),
        ("radio", "pool_mode", "average"),
        ("slider", "pool_size", 3),
        ("slider", "pool_strides", 1),
        ("radio", "pool_padding", "same"),
        ("selectbox", "pool_photo_filter", "sharpen"),
    ],
    "augmentation": [
        ("radio", "aug_source", "Upload a photo"),
        ("slider", "aug_rotation", 90),
        ("slider", "aug_zoom", 0.2),
        ("checkbox", "aug_hflip", False),
        ("checkbox", "aug_vflip", True),
        ("selectbox", "aug_fill", "reflect"),
        ("slider", "aug_count", 4),
        ("number_input", "aug_seed", 42),
    ],
}
KERNEL = "conv_kernel_0_cross (textbook)_3_0_of_1"  # filter 1's editor at the page's defaults
EDIT = {"edited_rows": {1: {"2": "-1/2"}}, "added_rows": [], "deleted_rows": []}


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _values(at: AppTest, page: str) -> dict:
    return {key: getattr(at, kind)(key=key).value for kind, key, _value in CHANGES[page]}


def _changed(at: AppTest, page: str) -> AppTest:
    for kind, key, value in CHANGES[page]:
        getattr(at, kind)(key=key).set_value(value).run()
        _ok(at)
    assert _values(at, page) == {key: value for _kind, key, value in CHANGES[page]}
    return at


def _opened_with(page: str, query: dict) -> AppTest:
    at = page_test(page, timeout=60)
    at.query_params.update(query)
    return _ok(at.run())


def _link(at: AppTest) -> str:
    """The link under "Share this setup", opened as a visitor opens it."""
    return open_expanders(at, ("🔗 Share this setup",)).code[-1].value


def _maps(at: AppTest) -> str:
    return next(c.proto.spec for c in at.get("plotly_chart") if c.proto.id.endswith("-conv_maps"))


@pytest.mark.parametrize("page", CHANGES)
def test_settings_survive_a_visit_to_other_pages(page):
    at = _changed(app_test(page), page)
    for elsewhere in ("home", "glossary"):
        _ok(at.switch_page(page_path(elsewhere)).run())
    _ok(at.switch_page(page_path(page)).run())
    assert _values(at, page) == {key: value for _kind, key, value in CHANGES[page]}


@pytest.mark.parametrize("page", CHANGES)
def test_the_url_records_the_settings_and_opens_the_same_setup(page):
    at = _changed(page_test(page, timeout=60).run(), page)
    query = dict(at.query_params)
    assert set(query) == {key for _kind, key, _value in CHANGES[page]}
    assert parse_qs(_link(at).removeprefix("?")) == {k: [v] for k, v in query.items()}
    fresh = _opened_with(page, query)
    assert _values(fresh, page) == _values(at, page)
    assert not fresh.info or all("could not be read" not in i.value for i in fresh.info)


def test_defaults_stay_out_of_the_url():
    at = page_test("stride", timeout=60).run()
    assert dict(at.query_params) == {} and _link(at) == "?"
    at.slider(key="stride_size").set_value(6).run()
    at.slider(key="stride_size").set_value(5).run()
    assert dict(at.query_params) == {}


def test_a_kernel_typed_by_hand_is_kept_linked_and_named_as_edited():
    at = app_test("convolution")
    at.session_state[KERNEL] = EDIT
    _ok(at.run())
    assert "filter 1: edited cross (textbook)" in _maps(at)
    query = dict(at.query_params)
    assert query == {"conv_kernel1": "1,0,1;0,-1/2,0;1,0,1"}  # cells as typed
    _ok(at.switch_page(page_path("stride")).run())
    at.session_state["conv_view"] = STEP_VIEW  # back on Convolution, straight to Step by step
    _ok(at.switch_page(page_path("convolution")).run())
    # Step 1: the centre of the first patch is 1, so the sum is 4 - 1·1 + 1·(-1/2) = 2.5.
    assert any(m.value.rstrip("$\n ").endswith(r"\mathbf{2.5}") for m in at.latex)
    assert "filter 1: edited cross (textbook)" in _maps(at)
    fresh = _opened_with("convolution", query)
    assert "filter 1: edited cross (textbook)" in _maps(fresh)
    assert json.loads(_maps(fresh)) == json.loads(_maps(at))


def test_an_edited_input_grid_is_kept_and_linked():
    at = page_test("convolution", timeout=60).run()
    at.session_state["conv_grid_5x5_0"] = {"edited_rows": {0: {"1": "7"}}, "added_rows": [], "deleted_rows": []}
    _ok(at.run())
    query = dict(at.query_params)
    assert query["conv_grid1"].startswith("7,1,1,0,0;")
    assert json.loads(_maps(_opened_with("convolution", query))) == json.loads(_maps(at))


def test_an_upload_is_kept_when_the_visitor_comes_back():
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((40, 80, 3), 128, dtype=np.uint8)).save(buffer, format="PNG")
    at = app_test("convolution")
    at.radio(key="conv_source").set_value("upload").run()
    at.slider(key="conv_upload_height").set_value(8).run()
    at.get("file_uploader")[0].set_value(("grey.png", buffer.getvalue(), "image/png")).run()
    shapes = [m.value for m in _ok(at).markdown if m.value.startswith("**Output shape")]
    _ok(at.switch_page(page_path("padding")).run())
    _ok(at.switch_page(page_path("convolution")).run())
    assert [m.value for m in at.markdown if m.value.startswith("**Output shape")] == shapes
    assert not any("sample photo stands in" in i.value for i in at.info)
