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
