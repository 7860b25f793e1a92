"""Every page in Korean with ``?lang=ko`` and in English without it; the switch, the URL and the browser's language."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.support.apptest import ROOT, TIMEOUT, open_expanders, page_path, page_test
from tests.support.browser import app_pages
from tests.support.languages import english_run, has_hangul, untranslated, visible_texts

PAGES = [Path(script).stem for script, _ in app_pages()]


def _run(name: str, lang: str | None = None, **context) -> AppTest:
    """The page reached through app.py (its links resolve there), in ``lang`` and the browser ``context``."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if lang:
        at.query_params["lang"] = lang
    if context:
        at.context = context
    at.run()
    return at.switch_page(page_path(name)).run()


@pytest.mark.parametrize("name", PAGES)
def test_page_in_korean_shows_no_english_prose(name):
    at = open_expanders(_run(name, "ko"))  # what the expanders that draw only when open hold, too
    assert not at.exception, at.exception
    texts = visible_texts(at)
    assert has_hangul(texts)
    english = [f"{found!r} in {text[:90]!r}" for text in texts if (found := untranslated(text))]
    assert not english, "English on the Korean page:\n" + "\n".join(english)


# The glossary shows the note's Korean terms beside the English ones in both languages.
BILINGUAL = {"glossary"}


@pytest.mark.parametrize("name", PAGES)
def test_page_without_a_language_is_english(name):
    at = open_expanders(_run(name))
    assert not at.exception, at.exception
    texts = [t for t in visible_texts(at) if "한국어" not in t and "언어" not in t]
    assert any(english_run(t) for t in texts), texts[:5]
    if name not in BILINGUAL:
        assert not has_hangul(texts), [t for t in texts if has_hangul([t])]


def test_browser_language_korean_picks_korean():
    at = _run("home", locale="ko-KR")
    assert has_hangul(visible_texts(at))
    at = _run("home", locale="en-GB")
    assert not has_hangul(visible_texts(at))


def test_url_language_wins_over_the_browser():
    at = _run("home", "en", locale="ko-KR")
    assert not has_hangul(visible_texts(at))


def _switch_app(root: str):
    """app.py's switch above two of its pages (AppTest reruns only the page once app.py has run
    beside a pages/ folder, so the switch is tested from a script of its own)."""
    import sys

    import streamlit as st

    sys.path.insert(0, root)
    from ui.i18n import language_switch

    language_switch()
    pages = [st.Page(f"{root}/pages/stride.py", default=True), st.Page(f"{root}/pages/padding.py")]
    st.navigation(pages).run()


def test_switch_keeps_the_choice_and_writes_the_url():
    at = AppTest.from_function(_switch_app, default_timeout=TIMEOUT, args=(str(ROOT),)).run()
    assert "lang" not in at.query_params and not has_hangul(_page_texts(at))
    at.sidebar.radio(key="language_switch").set_value("ko").run()
    assert at.query_params["lang"] in ("ko", ["ko"])
    assert has_hangul(_page_texts(at))
    at.switch_page(page_path("padding")).run()  # The choice stays for the session's other pages.
    assert has_hangul(_page_texts(at))
    at.sidebar.radio(key="language_switch").set_value("en").run()
    assert "lang" not in at.query_params
    assert not has_hangul(_page_texts(at))


def test_the_language_is_decided_once_per_run(monkeypatch):
    """A page asks for the language once per visible text; it is decided once per script run (and
    once per fragment run), the rest of the run reuses it, and the next run decides again."""
    import ui.i18n

    decided = []
    decide = ui.i18n._decide
    monkeypatch.setattr(ui.i18n, "_decide", lambda: decided.append(1) or decide())
    at = _run("convolution", "ko")
    assert has_hangul(_page_texts(at)) and 1 <= len(decided) <= 2  # app.py's run, then the page's
    at.query_params["lang"] = "en"
    decided.clear()
    at.run()
    assert not has_hangul(_page_texts(at)) and len(decided) == 1


def _page_texts(at) -> list[str]:
    return [t for t in visible_texts(at) if "언어" not in t and "한국어" not in t]


def test_an_engine_error_is_shown_in_korean():
    """An empty upload on the Convolution page: cnn_core's refusal, translated at the page."""
    from cnn_core.i18n import translate
    from tests.support.hostile_files import Upload

    at = page_test("convolution", conv_source="upload")
    at.query_params["lang"] = "ko"
    at.run()
    at.file_uploader(key="conv_upload").set_value(tuple(Upload("빈.png", b"", "image/png"))).run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and translate("The file is empty.", "ko") in errors[0], errors
    assert has_hangul(errors) and "The file is empty." not in errors[0]
