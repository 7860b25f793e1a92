"""Every page of app.py opened in Chromium in Korean (``?lang=ko``): no error on screen, Korean text,
Korean page titles in the sidebar, and Hangul drawn with a CJK font (Debian's fonts-noto-cjk)."""

from __future__ import annotations

import re

import pytest

from tests.support import browser as bh

pytestmark = pytest.mark.browser

PAGES = bh.app_pages()
HANGUL = re.compile(r"[\uac00-\ud7a3]")
FONT_JS = "() => document.fonts.check('16px \"Noto Sans CJK KR\"', '합성곱')"


@pytest.fixture(scope="module")
def tab(browser):
    page = bh.new_tab(browser, locale="en-US")
    yield page
    page.context.close()


@pytest.mark.parametrize("script", [script for script, _ in PAGES], ids=lambda s: s.split("/")[-1][:-3])
def test_page_in_korean_runs_without_errors(app_url, tab, script):
    tab.goto(f"{bh.page_url(app_url, script)}?lang=ko", wait_until="commit")
    bh.wait_settled(tab)
    assert not bh.problems(tab), bh.problems(tab)
    text = bh.main_text(tab)
    assert len(HANGUL.findall(text)) > 20, text[:400]
    sidebar = tab.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "합성곱" in sidebar and "Convolution" not in sidebar, sidebar
    assert "lang=ko" in tab.url


def test_hangul_has_a_font(app_url, tab):
    tab.goto(f"{app_url}/?lang=ko", wait_until="commit")
    bh.wait_settled(tab)
    assert tab.evaluate(FONT_JS), "no CJK font: install fonts-noto-cjk"


def _checked(page, label: str) -> list[str]:
    """The options of the radio labelled ``label`` that the browser shows chosen."""
    options = bh.widget(page, "stRadio", label).locator("label").filter(has=page.locator("input"))
    return [
        options.nth(i).inner_text().strip()
        for i in range(options.count())
        if options.nth(i).locator("input").is_checked()
    ]


def test_choices_show_and_stay_after_switching_language(app_url, browser):
    """Radios and select boxes travel as their labels: after a switch the browser must show the
    visitor's choices under the new language's labels, and the next click must keep them (the old
    labels matched nothing: no option shown chosen, the select box kept its Korean label, and the next
    click reset the radios to their defaults)."""
    page = bh.new_tab(browser, locale="en-US")
    try:
        page.goto(f"{app_url}/convolution?lang=ko", wait_until="commit")
        bh.wait_settled(page)
        bh.choose_radio(page, "채널", "3 (R, G, B)")
        bh.choose_radio(page, "활성화 함수", "없음 (합에 편향을 더한 값 그대로)")
        bh.choose_radio(page, "Language / 언어", "English")
        assert "lang=ko" not in page.url
        assert _checked(page, "Channels") == ["3 (R, G, B)"]
        assert _checked(page, "Activation") == ["None (the sum plus bias as it is)"]
        assert bh.selected_option(page, "Preset") == "cross (textbook)"
        bh.choose_radio(page, "Kernel size", "5×5")  # the next click sends every widget's value back
        assert _checked(page, "Channels") == ["3 (R, G, B)"]
        assert _checked(page, "Activation") == ["None (the sum plus bias as it is)"]
        assert not bh.problems(page), bh.problems(page)
    finally:
        page.context.close()
