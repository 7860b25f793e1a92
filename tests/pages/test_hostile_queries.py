"""Hostile links (issue 14, item 2): a concept or augmentation page opened with invalid, huge,
unknown or mistyped URL values opens its defaults with one short notice, in the visitor's
language, and never a traceback; the unreadable entries leave the URL.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import page_test
from tests.support.languages import has_hangul

BAD_VALUES = {
    "too big": "999",
    "too small": "-3",
    "not a number": "abc",
    "a float for an int": "3.5",
    "infinite": "1e999",
    "nan": "nan",
    "5,000 digits": "9" * 5000,
    "empty": "",
    "emoji": "🐱",
    "markdown": "**bold**`code`<script>",
}
# Per page: a number setting, an option setting, and a grid (where the page has one).
TARGETS = {
    "convolution": ("conv_strides", "conv_padding", "conv_kernel1"),
    "padding": ("pad_size", "pad_padding", None),
    "stride": ("stride_size", "stride_padding", None),
    "pooling": ("pool_size", "pool_mode", "pool_grid1"),
    "augmentation": ("aug_rotation", "aug_fill", None),
}
BAD_GRIDS = {
    "ragged": "1,2;3",
    "wrong shape": "1,2;3,4",
    "not numbers": "a,b,c;d,e,f;g,h,i",
    "nan cells": "nan,1,1;1,1,1;1,1,1",
    "huge": ";".join([",".join(["1e9999999"] * 3)] * 3),
    "10 KB": "1," * 5000,
}


def _open(page: str, query: dict) -> AppTest:
    at = page_test(page, timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _defaults(page: str) -> AppTest:
    return _open(page, {})


def _state(at: AppTest) -> list:
    """What a visitor sees: every widget's value and every text element, notices aside."""
    values = [(w.key, w.value) for kind in ("slider", "radio", "selectbox", "number_input") for w in getattr(at, kind)]
    return values + [m.value for m in at.markdown] + [m.value for m in at.latex]


def _notice(at: AppTest) -> str:
    notices = [i.value for i in at.info if "could not be read" in i.value or "읽을 수 없" in i.value]
    assert len(notices) == 1, [i.value for i in at.info]
    return notices[0]


@pytest.mark.parametrize("page", TARGETS)
@pytest.mark.parametrize("case", BAD_VALUES)
def test_bad_values_open_the_defaults_with_a_notice(page, case):
    number, option, _grid = TARGETS[page]
    at = _open(page, {number: BAD_VALUES[case], option: BAD_VALUES[case]})
    assert _state(at) == _state(_defaults(page))
    notice = _notice(at)
    assert number in notice and option in notice and len(notice) < 300
    assert dict(at.query_params) == {}


@pytest.mark.parametrize("page", [p for p, targets in TARGETS.items() if targets[2]])
@pytest.mark.parametrize("case", BAD_GRIDS)
def test_bad_grids_open_the_defaults_with_a_notice(page, case):
    grid = TARGETS[page][2]
    at = _open(page, {grid: BAD_GRIDS[case]})
    assert _state(at) == _state(_defaults(page)) and not at.error
    assert grid in _notice(at) and dict(at.query_params) == {}


@pytest.mark.parametrize("page", TARGETS)
def test_unknown_and_mistyped_names_are_named_and_dropped(page):
    number = TARGETS[page][0]
    at = _open(page, {number[:-1] + "x": "2", "utm_source": "mail", "lang": "en"})
    assert _state(at) == _state(_defaults(page))
    assert number[:-1] + "x" in _notice(at) and "utm_source" in _notice(at)
    assert dict(at.query_params) == {"lang": "en"}


@pytest.mark.parametrize("page", TARGETS)
def test_a_10_kb_query_opens_the_defaults(page):
    query = {f"setting{i}": "x" * 20 for i in range(400)}  # 400 names, about 12 KB
    query[TARGETS[page][0]] = "1" * 2000
    assert len("&".join(f"{k}={v}" for k, v in query.items())) > 10_000
    at = _open(page, query)
    assert _state(at) == _state(_defaults(page))
    assert len(_notice(at)) < 40_000 and dict(at.query_params) == {}


def test_one_good_value_among_bad_ones_is_kept():
    at = _open("stride", {"stride_size": "7", "stride_kernel": "99", "stride_strides": "two"})
    assert at.slider(key="stride_size").value == 7 and at.slider(key="stride_kernel").value == 3
    assert dict(at.query_params) == {"stride_size": "7"}
    assert "stride_kernel" in _notice(at) and "stride_size" not in _notice(at)


def test_the_notice_is_in_korean_and_goes_after_one_run():
    at = _open("stride", {"stride_size": "abc", "lang": "ko"})
    assert has_hangul([_notice(at)])
    at.slider(key="stride_strides").set_value(3).run()
    assert not [i.value for i in at.info if "읽을 수 없" in i.value]
