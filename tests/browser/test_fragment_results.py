"""Convolution's and Pooling's settings rerun only the results below the inputs (a fragment): what
they change still reaches the results, the address bar and the open share link, and a change of the
input above still reruns everything."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.browser import act, new_tab, open_app, open_page, wait_settled, widget

pytestmark = pytest.mark.browser


def _thumb(tab, label: str):
    return widget(tab, "stSlider", label).locator('input[type="range"]')


def _text(tab, has_text: str) -> str:
    return tab.get_by_text(re.compile(re.escape(has_text))).first.inner_text()


def _shared(tab) -> dict:
    return parse_qs(urlparse(tab.locator('[data-testid="stCode"]').last.inner_text().strip()).query)


def test_a_stride_change_reruns_the_results_and_the_link_follows(browser, app_url):
    tab = new_tab(browser)
    open_app(tab, app_url)
    open_page(tab, "Convolution")
    assert _text(tab, "one map per filter").startswith("3×3×2")
    share = tab.locator('[data-testid="stExpander"]').filter(has_text="Share this setup")
    act(tab, share.locator("summary").click)
    act(tab, lambda: _thumb(tab, "Stride").press("ArrowRight"))  # 1 -> 2, inside the results' fragment
    wait_settled(tab)
    assert _text(tab, "one map per filter").startswith("2×2×2")
    assert parse_qs(urlparse(tab.url).query).get("conv_strides") == ["2"]
    assert _shared(tab).get("conv_strides") == ["2"]

    rows = widget(tab, "stNumberInput", "Rows").locator("input")  # above the fragment: a full run
    act(tab, lambda: (rows.fill("7"), rows.press("Enter")))
    wait_settled(tab)
    assert _text(tab, "one map per filter").startswith("3×2×2")  # (7 - 3) // 2 + 1 = 3 rows, stride kept
    assert _shared(tab).get("conv_strides") == ["2"] and _shared(tab).get("conv_rows") == ["7"]

    open_page(tab, "Pooling")
    act(tab, lambda: _thumb(tab, "Stride").press("ArrowRight"))  # 2 -> 3
    wait_settled(tab)
    assert parse_qs(urlparse(tab.url).query).get("pool_strides") == ["3"]
    assert not tab.js_errors
    tab.context.close()
