"""The lesson's links open their pages with the setup each step talks about (issue 15, item 3).

Reference: the hand-written table below, read off each step's text. A link's query is parsed
through ``ui.settings.LINKABLE`` (the widgets' own decoders), then the page is opened with it through
app.py's navigation, as a click does, and must hold those values with no "could not be read" notice.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import ROOT, TIMEOUT, page_path
from ui.settings import LINKABLE, preset

GRID_ONE_FILTER = dict(
    conv_source="grid",
    conv_channels=1,
    conv_rows=5,
    conv_cols=5,
    conv_ksize=3,
    conv_filters=1,
    conv_preset_0="cross (textbook)",
    conv_strides=1,
    conv_padding="valid",
)
# Step -> [(linked page, the settings its text names)], and the words of the text that name them.
LINKS = {
    1: [
        (
            "convolution",
            dict(
                conv_source="photo",
                conv_channels=1,
                conv_ksize=3,
                conv_filters=2,
                conv_preset_0="vertical edge",
                conv_preset_1="horizontal edge",
                conv_activation="relu",
                conv_strides=1,
                conv_padding="valid",
            ),
        )
    ],
    2: [("convolution", {**GRID_ONE_FILTER, "conv_bias_0": 0.0, "conv_activation": "none"})],
    3: [
        (
            "convolution",
            dict(
                conv_source="grid",
                conv_channels=3,
                conv_rows=5,
                conv_cols=5,
                conv_ksize=3,
                conv_filters=3,
                conv_activation="relu",
                conv_strides=1,
                conv_padding="valid",
            ),
        )
    ],
    4: [("padding", dict(pad_size=5, pad_kernel=4, pad_strides=1, pad_padding="same"))],
    5: [("stride", dict(stride_size=7, stride_kernel=3, stride_strides=2, stride_padding="valid"))],
    6: [("pooling", dict(pool_source="mnist", pool_mode="max", pool_size=2, pool_strides=2, pool_padding="valid"))],
    7: [("activations", {}), ("convolution", {**GRID_ONE_FILTER, "conv_bias_0": -3.0, "conv_activation": "relu"})],
    8: [("training", {})],
    9: [("training", {})],
    10: [("overfitting_lab", {})],
    11: [
        (
            "augmentation",
            dict(
                aug_rotation=40,
                aug_width_shift=0.1,
                aug_height_shift=0.1,
                aug_shear=0.4,
                aug_zoom=0.5,
                aug_hflip=True,
                aug_vflip=False,
                aug_fill="nearest",
            ),
        )
    ],
    12: [("activations", {})],
}
WORDS = {
    1: (
        "sample photo",
        "one channel",
        "two 3×3 filters",
        "vertical edge",
        "horizontal edge",
        "ReLU",
        "stride 1",
        "no padding",
    ),
    2: (
        "5×5 grid",
        "one channel",
        "one 3×3 filter",
        "textbook cross",
        "bias 0",
        "no activation",
        "stride 1",
        "no padding",
    ),
    3: ("5×5 grid", "three channels", "three 3×3 filters", "ReLU", "stride 1", "no padding"),
    4: ("5×5 input", "4×4 kernel", "stride 1", "'same' padding"),
    5: ("7×7 input", "3×3 window", "stride 2", "no padding"),
    6: ("MNIST digit", "max pooling", "2×2 window", "stride 2", "no padding"),
    7: ("5×5 grid", "one channel", "one 3×3 filter", "textbook cross", "bias −3", "ReLU", "stride 1", "no padding"),
    11: (
        "rotation_range=40",
        "width_shift_range=0.1",
        "height_shift_range=0.1",
        "shear_range=0.4",
        "zoom_range=0.5",
        "horizontal_flip=True",
        "no vertical flip",
        "fill_mode='nearest'",
    ),
}
NOTICES = ("could not be read", "읽을 수 없")


def _app(lang: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def _lesson_step(at: AppTest, number: int) -> AppTest:
    at.switch_page(page_path("lesson"))
    at.query_params.clear()
    at.query_params["step"] = str(number)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _links(at: AppTest) -> list[tuple[str, dict]]:
    """(page, settings) per page link on the page, the query decoded by each setting's widget decoder."""
    found = []
    for link in at.get("page_link"):
        query = parse_qs(link.proto.query_string, keep_blank_values=True)
        assert all(len(values) == 1 for values in query.values()), query
        found.append((link.proto.page, {name: LINKABLE[name].decode(values[0]) for name, values in query.items()}))
    return found


def _follow(at: AppTest, page: str, query: str) -> AppTest:
    """Open ``page`` with ``query`` through app.py's navigation, as clicking the link does."""
    at.switch_page(page_path(page))
    at.query_params.clear()
    at.query_params.update({name: values[0] for name, values in parse_qs(query).items()})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _notices(at: AppTest) -> list[str]:
    return [i.value for i in at.info if any(n in i.value for n in NOTICES)]


@pytest.mark.parametrize("lang", [None, "ko"])
@pytest.mark.parametrize("number", sorted(LINKS))
def test_each_steps_links_open_the_setup_its_text_names(number, lang):
    at = _lesson_step(_app(lang), number)
    links = _links(at)
    assert [(page.rsplit("/", 1)[-1], values) for page, values in links] == LINKS[number]
    if lang is None:
        text = " ".join(m.value for m in at.markdown)
        missing = [words for words in WORDS.get(number, ()) if words not in text]
        assert not missing, missing
    queries = [link.proto.query_string for link in at.get("page_link")]
    for (page, values), query in zip(LINKS[number], queries):
        opened = _follow(at, page, query)
        assert {name: opened.session_state[name] for name in values} == values, page
        assert not _notices(opened), _notices(opened)
        _lesson_step(opened, number)


def test_a_link_wins_over_the_settings_a_visitor_left_on_the_page():
    at = _app()
    _follow(at, "stride", "")
    at.slider(key="stride_strides").set_value(3).run()
    at.slider(key="stride_size").set_value(12).run()
    at = _lesson_step(at, 5)
    opened = _follow(at, "stride", at.get("page_link")[0].proto.query_string)
    assert [opened.session_state[k] for k in ("stride_size", "stride_strides")] == [7, 2]
    assert dict(opened.query_params) == {"stride_size": "7"}  # The other values are the page's defaults.
    # ⌊(7 − 3) / 2⌋ + 1 = 3, as the step says.
    assert any("3 × 3" in m.value or "3×3" in m.value for m in [*opened.markdown, *opened.latex])


@pytest.mark.parametrize(
    "values",
    [dict(stride_size=13), dict(stride_size=2.5), dict(stride_sizes=5), dict(aug_hflip=1), dict(conv_padding="full")],
)
def test_a_preset_the_widget_would_refuse_is_refused_when_the_link_is_made(values):
    with pytest.raises(ValueError):
        preset(**values)


# Settings that a page draws only in some setups, and that setup.
CONTEXT = {
    "conv_preset_1": {"conv_filters": "4"},
    "conv_preset_2": {"conv_filters": "4"},
    "conv_preset_3": {"conv_filters": "4"},
    "conv_bias_1": {"conv_filters": "4"},
    "conv_bias_2": {"conv_filters": "4"},
    "conv_bias_3": {"conv_filters": "4"},
}
PAGES = {"conv": "convolution", "pad": "padding", "stride": "stride", "pool": "pooling", "aug": "augmentation"}


def _extremes(spec) -> list:
    if hasattr(spec, "options"):
        return list(spec.options)
    if hasattr(spec, "min_value"):
        return [spec.kind(spec.min_value), spec.kind(spec.max_value)]
    return [True, False]


CASES = [(name, value) for name, spec in LINKABLE.items() for value in _extremes(spec)]


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v}" for n, v in CASES])
def test_every_linkable_value_is_one_its_page_takes(name, value):
    """LINKABLE against the pages: each bound and option opens its page holding it, without a notice."""
    at = AppTest.from_file(page_path(PAGES[name.split("_")[0]]), default_timeout=TIMEOUT)
    at.query_params.update({**CONTEXT.get(name, {}), **preset(**{name: value})})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[name] == value
    assert not _notices(at), _notices(at)
