"""Issue 14's layout defects, measured in Chromium: what covered or cut off what is now apart.

Each test reads the on-screen boxes of the two things that collided (Playwright's bounding boxes,
or the SVG boxes plotly drew) and checks they no longer overlap, or that a text now fits its
figure. With ``CNN_LAB_LAYOUT_SHOTS=folder`` each test also saves a screenshot of what it measured.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.browser import act, choose_radio, new_tab, open_app, open_page, wait_settled, widget

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("CNN_LAB_LAYOUT_SHOTS")


def _shot(tab, name: str, locator=None) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        (locator or tab).screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def _overlap(a: dict, b: dict) -> bool:
    """True when two boxes ({x, y, width, height}, page pixels) share any area."""
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _text_box(locator) -> dict:
    """The box of an element's text itself (a paragraph's box spans the column, its words do not)."""
    return locator.evaluate(
        """e => { const range = document.createRange(); range.selectNodeContents(e);
                  const r = range.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height}; }"""
    )


def _svg_boxes(chart, selector: str) -> list[dict]:
    """Screen boxes of the SVG elements matching ``selector`` inside one plotly chart."""
    return chart.evaluate(
        """(root, selector) => [...root.querySelectorAll(selector)].map(e => {
             const r = e.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height};
           }).filter(r => r.width > 0 && r.height > 0)""",
        selector,
    )


@pytest.fixture
def tab(browser, app_url):
    page = new_tab(browser)
    open_app(page, app_url)
    yield page
    assert not page.js_errors
    page.context.close()


def test_the_grid_editors_toolbars_leave_the_rows_and_preset_boxes_free(tab):
    """The input grid's and the kernel's editors: hovered, their toolbars cover no number box, select box or label."""
    open_page(tab, "Convolution")
    editors = tab.locator('[data-testid="stDataFrame"]')
    boxes = tab.locator('[data-testid="stNumberInput"], [data-testid="stSelectbox"]')
    labels = tab.locator('[data-testid="stCaptionContainer"] p')
    assert editors.count() >= 2
    for index in range(2):  # the input grid, then the first filter's kernel (its Preset above it)
        editor = editors.nth(index)
        editor.scroll_into_view_if_needed()
        editor.hover()
        toolbar = tab.locator('[data-testid="stElementToolbar"]').filter(has=tab.locator("button")).nth(index)
        toolbar.wait_for(state="visible")
        tab.wait_for_timeout(400)  # the toolbar fades in
        _shot(tab, f"grid_editor_toolbar_{index}")
        bar = toolbar.bounding_box()
        covered = [
            boxes.nth(i).inner_text().split("\n")[0]
            for i in range(boxes.count())
            if boxes.nth(i).is_visible() and _overlap(bar, boxes.nth(i).bounding_box())
        ]
        covered += [
            labels.nth(i).inner_text()
            for i in range(labels.count())
            if labels.nth(i).is_visible() and _overlap(bar, _text_box(labels.nth(i)))
        ]
        assert not covered, (index, covered)


def test_the_drawing_pad_leaves_the_source_choice_free(tab):
    open_page(tab, "Read my digit")
    choose_radio(tab, "Where does the digit come from?", "Draw")
    pad = tab.locator('[data-testid="stBidiComponentIsolated"]').first  # the pad, its toolbar included
    pad.wait_for(state="visible")
    wait_settled(tab)
    pad.hover()  # the toolbar shows on hover
    choices = widget(tab, "stRadio", "Where does the digit come from?")
    _shot(tab, "drawing_pad")
    box = pad.bounding_box()
    assert box["height"] > 200  # the pad itself is in this box
    assert not _overlap(box, choices.bounding_box())


def test_the_digit_chart_labels_every_digit(tab):
    open_page(tab, "Read my digit")
    choose_radio(tab, "Where does the digit come from?", "Sample snapshot")
    chart = tab.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".xtick").first.wait_for()
    ticks = chart.evaluate("root => [...root.querySelectorAll('.xtick text')].map(t => t.textContent)")
    _shot(tab, "digit_chart", chart)
    assert ticks == [str(d) for d in range(10)]


def test_the_step_players_axis_titles_clear_their_ticks_and_a_long_sum_fits(tab, app_url):
    tab.goto(f"{app_url}/convolution?conv_channels=3", wait_until="commit")  # a three-channel sum: the longest
    wait_settled(tab)
    act(tab, tab.get_by_role("tab").filter(has_text="Step by step").first.click, repeatable=True)
    still = tab.locator('[data-testid="stPlotlyChart"]').filter(has=tab.locator(".gtitle")).last
    still.locator(".gtitle").first.wait_for()
    still.scroll_into_view_if_needed()
    _shot(tab, "step_player", still)
    titles = _svg_boxes(still, "[class*='g-x'][class*='title'] text")  # "input (R)", "patch × kernel", ...
    ticks = _svg_boxes(still, ".xtick text")
    assert len(titles) >= 3 and ticks
    assert not any(_overlap(title, tick) for title in titles for tick in ticks)
    figure = still.bounding_box()
    for line in _svg_boxes(still, ".gtitle"):
        assert figure["x"] <= line["x"] and line["x"] + line["width"] <= figure["x"] + figure["width"]
