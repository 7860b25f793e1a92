"""Every page goes through ``ui`` first, where a first deep link on a fresh server is kept inside the app.

The browser test ``tests/browser/test_deep_links.py`` proves the mechanism on a fresh server; this
checks, without a browser, that no page can bypass it.
"""

import ast
from pathlib import Path

import pytest

from tests.support.browser import app_pages

ROOT = Path(__file__).resolve().parents[2]


def _imports_ui(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules = [n.module for n in tree.body if isinstance(n, ast.ImportFrom)]
    modules += [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names]
    return any(m == "ui" or m.startswith("ui.") for m in modules if m)


@pytest.mark.parametrize("script", [script for script, _ in app_pages()], ids=lambda s: Path(s).stem)
def test_every_page_imports_ui_at_module_level(script):
    assert _imports_ui(ROOT / script), f"{script} must import from ui at module level"


def test_pages_folder_holds_only_the_pages_app_py_lists():
    listed = {Path(script).name for script, _ in app_pages()}
    present = {path.name for path in (ROOT / "pages").glob("*.py")}
    assert present == listed


MENU_SCRIPT = """
import streamlit as st

from ui import menu

english, again, korean = menu.menu("en"), menu.menu("en"), menu.menu("ko")
first, second = menu.pages(), menu.pages()
st.session_state["made_once"] = english is again and korean is not english
st.session_state["titles"] = [[page.title for page in listed] for listed in (english, korean)[0].values()]
st.session_state["korean"] = [page.title for listed in korean.values() for page in listed]
shared = [page for listed in english.values() for page in listed]
handed = [page for run in (first, second) for listed in run.values() for page in listed]
st.session_state["copies"] = not any(page is original for page in handed for original in shared)
st.session_state["distinct_runs"] = all(a is not b for a, b in zip(*(sum(r.values(), []) for r in (first, second))))
st.session_state["same_pages"] = [(p.title, p.url_path) for p in sum(first.values(), [])] == [
    (p.title, p.url_path) for p in shared
]"""


def test_the_menu_is_made_once_per_language_and_every_run_gets_its_own_copies():
    from streamlit.testing.v1 import AppTest

    # A script beside app.py, so that the menu's page paths resolve as in the app.
    script = ROOT / "_menu_check_app.py"
    script.write_text(MENU_SCRIPT, encoding="utf-8")
    try:
        at = AppTest.from_file(str(script), default_timeout=60).run()
    finally:
        script.unlink()
    assert not at.exception
    assert at.session_state["made_once"]
    assert at.session_state["copies"] and at.session_state["distinct_runs"] and at.session_state["same_pages"]
    korean = at.session_state["korean"]
    assert "합성곱" in korean and "Convolution" not in korean
    assert [title for titles in at.session_state["titles"] for title in titles] == [t for _, t in app_pages()]
