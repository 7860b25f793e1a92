"""Every page of app.py, opened in headless Chromium, finishes running without an error on screen.

The page list comes from the ``st.Page(...)`` calls of the app's menu (ui/menu.py), so new pages are covered without
editing this file, and the sidebar must link to exactly those pages. One screenshot per page goes
to a temporary folder (printed in failures) or to ``$CNN_LAB_SCREENSHOTS`` when that is set.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.support.browser import app_pages

ROOT = Path(__file__).resolve().parents[2]
SETTLE_TIMEOUT_S = 120  # pages that load Keras take 10-20 s on a first visit to a cold server
QUIET_S = 1.0  # the script must stay finished this long (a page may rerun itself once)
# Uncaught browser messages that are noise rather than a broken page.
BENIGN_PAGE_ERRORS = ("ResizeObserver loop",)

pytestmark = pytest.mark.browser


PAGES = app_pages()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = os.environ.get("CNN_LAB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("browser_pages")


@pytest.fixture(scope="module")
def tab(browser):
    """One browser tab for the module; it records uncaught JavaScript errors per page."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    context.close()


def _wait_until_settled(tab) -> None:
    """Wait until the script has finished, stayed finished for QUIET_S s, and every element is drawn."""
    finished = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        remaining_ms = max(1000, (deadline - time.monotonic()) * 1000)
        tab.wait_for_selector(finished, state="attached", timeout=remaining_ms)
        time.sleep(QUIET_S)
        if tab.locator(finished).count() and not tab.locator('[data-testid="stStatusWidgetRunningIcon"]').count():
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page kept running for more than {SETTLE_TIMEOUT_S} s")
    # Widgets and charts load their code lazily and show a grey skeleton until it arrives.
    tab.wait_for_selector(
        '[data-testid="stMain"] [data-testid="stSkeleton"]',
        state="detached",
        timeout=max(1000, (deadline - time.monotonic()) * 1000),
    )


@pytest.fixture(scope="module")
def sidebar_links(app_url, tab) -> dict[str, str]:
    """Sidebar link text -> href, read from the running app's navigation."""
    tab.goto(app_url)
    _wait_until_settled(tab)
    more = tab.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.inner_text().lower():
        more.click()  # the sidebar folds long page lists behind "View N more"
    links = tab.locator('[data-testid="stSidebarNavLink"]')
    return {
        links.nth(i).inner_text().split("\n")[-1].strip(): links.nth(i).get_attribute("href")
        for i in range(links.count())
    }


def test_sidebar_links_every_page_of_app_py(sidebar_links):
    assert sorted(sidebar_links) == sorted(title for _, title in PAGES)


def _problems(tab, title: str) -> list[str]:
    """What on the current page looks broken, in words; empty when it looks fine."""
    problems = []
    for box in tab.locator('[data-testid="stException"]').all():
        problems.append(f"exception box: {box.inner_text()[:600]}")
    for box in tab.locator('[data-testid="stAlertContentError"]').all():
        if not box.locator('xpath=ancestor::*[@data-testid="stException"]').count():
            problems.append(f"st.error: {box.inner_text()[:300]}")
    for dialog in tab.locator('[role="dialog"]').all():
        if dialog.is_visible():
            problems.append(f"dialog: {dialog.inner_text()[:300]}")
    main_text = tab.locator('[data-testid="stMain"]').inner_text()
    if "Traceback (most recent call last)" in main_text:
        problems.append("a traceback is printed on the page")
    if not tab.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').count():
        problems.append("the page shows nothing")
    connection = tab.locator('[data-testid="stApp"]').get_attribute("data-test-connection-state")
    if connection != "CONNECTED":
        problems.append(f"the connection to the server is {connection}")
    active = tab.locator('[data-testid="stSidebarNavLink"][aria-current="page"]')
    active_title = active.first.inner_text().split("\n")[-1].strip() if active.count() else None
    if active_title != title:
        problems.append(f"the sidebar marks {active_title!r} as the current page, not {title!r}")
    problems += [
        f"JavaScript error: {error}"
        for error in tab.js_errors
        if not any(benign in error for benign in BENIGN_PAGE_ERRORS)
    ]
    return problems


@pytest.mark.parametrize("script, title", PAGES, ids=[Path(script).stem for script, _ in PAGES])
def test_page_runs_without_an_error_on_screen(app_url, tab, sidebar_links, screenshots, script, title):
    assert title in sidebar_links, f"{script} ({title!r}) has no sidebar link; links: {sorted(sidebar_links)}"
    tab.js_errors.clear()
    tab.goto(sidebar_links[title])
    _wait_until_settled(tab)
    shot = screenshots / f"{Path(script).stem}.png"
    tab.screenshot(path=str(shot), full_page=True)
    problems = _problems(tab, title)
    assert not problems, f"{script} (screenshot {shot}):\n" + "\n".join(problems)
