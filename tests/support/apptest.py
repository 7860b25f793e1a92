"""The one way page tests open a page in Streamlit's ``AppTest``: by name, alone or through app.py."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
# Seconds per script run: pages that build or load a Keras model take several on their first run.
TIMEOUT = 90
STEP_VIEW = "🔍 Step by step"  # The players' second tab; only the open tab is drawn (``ui.players``).


def step_view(player: str, lang: str = "en") -> dict[str, str]:
    """Session state that opens the Step by step tab of the player keyed ``player`` ("conv", "pool", ...).

    The tab is kept by its label, so a page in Korean needs the Korean one (``lang="ko"``).
    """
    from cnn_core.i18n import translate

    return {f"{player}_view": translate(STEP_VIEW, lang)}


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


def open_expanders(at: AppTest, labels: tuple[str, ...] | None = None, rounds: int = 3) -> AppTest:
    """Open the page's expanders that run their body only while open (``ui.lazy``) and run again.

    Only those labelled ``labels`` when given; repeated (up to ``rounds`` runs) for such expanders
    that the opened ones hold. A visitor opens one with a click, which reruns the page.
    """
    for _ in range(rounds):
        keys = [key for key in map(lazy_key, at.expander) if key and (labels is None or _label(at, key) in labels)]
        closed = [key for key in keys if not _is_open(at, key)]
        if not closed:
            break
        for key in closed:
            at.session_state[key] = True
        at.run()
    return at


def lazy_key(expander) -> str | None:
    """The key of an expander that tracks whether it is open (its element id ends in it), else None."""
    element_id = expander.proto.id
    return element_id.split("-", 2)[2] if element_id.count("-") >= 2 else None


def _label(at: AppTest, key: str) -> str:
    return next(e.label for e in at.expander if lazy_key(e) == key)


def _is_open(at: AppTest, key: str) -> bool:
    try:
        return bool(at.session_state[key])
    except KeyError:
        return False
