"""A first visitor who opens a page's URL directly gets that page inside the app's navigation.

Streamlit has a legacy mode for apps with a ``pages/`` folder: on a fresh server, before any
session has run ``st.navigation``, ``/pooling`` would run pages/pooling.py alone and list every
file of the folder in the sidebar; ``ui.navigation.leave_legacy_pages_mode`` leaves that mode.
Instructors share deep links, so this runs on a server of its own that no other test has visited.
"""

import pytest

from tests.support.server import launch_server, stop_server

pytestmark = pytest.mark.browser


def test_first_visit_by_deep_link_shows_the_page_inside_the_app(browser):
    process, url, _, _ = launch_server()
    try:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        tab = context.new_page()
        tab.goto(f"{url}/pooling")
        # The app's own navigation (Pooling is in its Concepts section; later ones fold behind "View more").
        tab.locator('[data-testid="stSidebarNavLink"]', has_text="Convolution").wait_for(timeout=60_000)
        tab.locator("h1", has_text="Pooling").wait_for(timeout=60_000)
        links = tab.locator('[data-testid="stSidebarNavLink"]')
        titles = [links.nth(i).inner_text().split("\n")[-1].strip() for i in range(links.count())]
        assert "common" not in titles and "app" not in titles, titles
        current = tab.locator('[data-testid="stSidebarNavLink"][aria-current="page"]').inner_text()
        assert current.split("\n")[-1].strip() == "Pooling"
        context.close()
    finally:
        stop_server(process)
