"""The digit page in headless Chromium: its fake camera takes a photo and the page answers."""

from __future__ import annotations

import pytest

from tests.support.browser import DIGIT_ANSWERS, act, new_tab, open_app, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A sure reading's metric, or the reader's "not a digit" (warning) / "not sure" (info) with its reason.
ANSWER = "[data-testid='stMetric'], [data-testid='stAlertContentWarning'], [data-testid='stAlertContentInfo']"


def test_fake_camera_photo_gets_an_answer_without_an_exception(browser, app_url):
    page = new_tab(browser, height=1600)
    try:
        open_app(page, app_url)
        open_page(page, "Read my digit")
        shutter = page.get_by_role("button", name="Take Photo")
        shutter.wait_for(timeout=60_000)
        page.locator("[data-testid='stCameraInput'] video").wait_for(timeout=60_000)
        page.wait_for_timeout(1000)  # Let Chromium's fake camera deliver a few frames first.
        act(page, shutter.click)
        answer = page.locator(ANSWER).first
        answer.wait_for(timeout=60_000)
        text = answer.inner_text()
        assert any(words in text for words in DIGIT_ANSWERS), text
        assert page.locator("[data-testid='stException']").count() == 0
        assert not page.js_errors
    finally:
        page.context.close()
