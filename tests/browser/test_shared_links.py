"""A shared link opens the same setup (issue 14, item 2): settings changed on the Stride page are in
the address bar at once, survive a visit to another page, and the same URL opened by a second
visitor (a second browser context) shows the same widgets and output."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.browser import act, choose_radio, new_tab, open_app, open_page, wait_settled, widget

pytestmark = pytest.mark.browser


def _thumb(tab, label: str):
    return widget(tab, "stSlider", label).locator('input[type="range"]')


def _setup(tab) -> dict:
    """What the visitor sees of the Stride setup: the sliders' values and the output shape."""
    values = {label: _thumb(tab, label).input_value() for label in ("Input size i", "Stride s")}
    shape = tab.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Output shape:").first.inner_text()
    return {**values, "shape": shape.split("(")[0].strip()}


def _query(tab) -> dict:
    return parse_qs(urlparse(tab.url).query)


def test_a_shared_link_opens_the_same_stride_setup(browser, app_url):
    teacher = new_tab(browser)
    open_app(teacher, app_url)
    open_page(teacher, "Stride")
    act(teacher, lambda: _thumb(teacher, "Input size i").press("ArrowRight"))  # 5 -> 6
    act(teacher, lambda: _thumb(teacher, "Stride s").press("ArrowRight"))  # 2 -> 3
    choose_radio(teacher, "Padding", "same")
    wait_settled(teacher)
    assert _query(teacher) == {"stride_size": ["6"], "stride_strides": ["3"], "stride_padding": ["same"]}
    setup = _setup(teacher)
    assert setup == {"Input size i": "6", "Stride s": "3", "shape": "Output shape: 2 × 2"}

    open_page(teacher, "Pooling")
    open_page(teacher, "Stride")
    assert _setup(teacher) == setup and _query(teacher)["stride_size"] == ["6"]
    share = teacher.locator('[data-testid="stExpander"]').filter(has_text="Share this setup")
    act(teacher, share.locator("summary").click)  # opening it reruns the page, which draws the link
    shown = teacher.locator('[data-testid="stCode"]').last.inner_text().strip()
    assert parse_qs(urlparse(shown).query) == _query(teacher)

    student = new_tab(browser)  # a second visitor: another context, another session
    student.goto(shown, wait_until="commit")
    wait_settled(student)
    assert _setup(student) == setup
    assert _query(student) == _query(teacher)
    assert not teacher.js_errors and not student.js_errors
    teacher.context.close()
    student.context.close()
