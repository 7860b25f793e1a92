"""The one way page tests open a page in Streamlit's ``AppTest``: by name, alone or through app.py."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
# Seconds per script run: pages that build or load a Keras model take several on their first run.
TIMEOUT = 90


def page_path(name: str) -> str:
    """The absolute path of pages/<name>.py, as ``switch_page`` and ``from_file`` take it."""
    return str(ROOT / "pages" / f"{name}.py")


def page_test(name: str, timeout: float = TIMEOUT, **state) -> AppTest:
    """An AppTest of pages/<name>.py alone, with ``state`` in its session, not run yet."""
    at = AppTest.from_file(page_path(name), default_timeout=timeout)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def app_test(name: str, timeout: float = TIMEOUT) -> AppTest:
    """app.py run once and switched to pages/<name>.py (run), as a visitor reaches it."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout).run()
    return at.switch_page(page_path(name)).run()
