"""A first visitor who opens a page's URL directly gets that page inside the app's navigation.

Streamlit has a legacy mode for apps with a ``pages/`` folder: on a fresh server, before any
session has run ``st.navigation``, ``/pooling`` would run pages/pooling.py alone and list every
file of the folder (helper modules included) in the sidebar. Instructors share deep links, so
this runs on a server of its own that no other test has visited.
"""

import ast
from pathlib import Path

import pytest

from browser_helpers import app_pages
from conftest import start_app_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent


def _page_calls_run_inside_app(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    calls = [stmt.value for stmt in tree.body if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)]
    names = [getattr(call.func, "id", None) or getattr(call.func, "attr", None) for call in calls]
    return "run_inside_app" in names


@pytest.mark.parametrize("page", [ROOT / script for script, _ in app_pages()], ids=lambda p: p.stem)
def test_every_page_routes_a_deep_link_through_the_app(page):
    assert _page_calls_run_inside_app(page), f"{page.name} must call run_inside_app() at module level"


def test_first_visit_by_deep_link_shows_the_page_inside_the_app(browser):
    process, url = start_app_server()
    try:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        tab = context.new_page()
        tab.goto(f"{url}/pooling")
        tab.locator('[data-testid="stSidebarNavLink"]', has_text="Read my digit").wait_for(timeout=60_000)
        tab.locator("h1", has_text="Pooling").wait_for(timeout=60_000)
        links = tab.locator('[data-testid="stSidebarNavLink"]')
        titles = [links.nth(i).inner_text().split("\n")[-1].strip() for i in range(links.count())]
        assert "common" not in titles and "app" not in titles, titles
        current = tab.locator('[data-testid="stSidebarNavLink"][aria-current="page"]').inner_text()
        assert current.split("\n")[-1].strip() == "Pooling"
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
