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
