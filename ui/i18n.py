"""The visitor's language on every page: ``_`` translates, ``language_switch`` chooses.

The language comes from, in order: ``?lang=ko`` / ``?lang=en`` in the URL, the sidebar switch
(kept in the session and written back to the URL, so a copied link opens in the same language),
and the browser's language (``st.context.locale``) when it is Korean. English is the default and
never appears in the URL. Pages call ``_("template {name}", name=...)`` for every visible text and
``error_text(exc)`` for an engine error; numbers go through ``number`` and ``percent``.
"""

from __future__ import annotations

import streamlit as st
from babel.numbers import format_decimal, format_percent
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cnn_core.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, N_, error_message, ntranslate, translate

__all__ = ["N_", "_", "error_text", "language", "language_switch", "ngettext", "number", "percent"]

LANGUAGE_KEY = "language"  # session_state: the language chosen for this session
SWITCH_KEY = "language_switch"
BABEL_LOCALES = {"en": "en_US", "ko": "ko_KR"}
# The run's language, kept on Streamlit's script-run context for the rest of the run: a page asks
# for it once per visible text, and reading the URL's query and the session each time was a tenth
# of a concept page run's server time (py-spy, Convolution).
RUN_MEMO = "_cnn_lab_language"


def _from_url() -> str | None:
    asked = st.query_params.get("lang")
    return asked if asked in LANGUAGES else None


def _from_browser() -> str | None:
    try:
        locale = st.context.locale or ""
    except Exception:  # No browser context (a bare script run): fall back to English.
        return None
    return "ko" if locale.lower().startswith("ko") else None


def language() -> str:
    """The language of this page run: the URL's, else the session's, else the browser's, else English.

    Decided once per script run (the sidebar switch's callback, which runs before the page, starts a
    new decision); outside a run it is decided on every call.
    """
    ctx = get_script_run_ctx()
    memo = getattr(ctx, RUN_MEMO, None)
    if memo is not None and memo[0] is ctx.cursors:  # Streamlit makes a new ``cursors`` every run.
        return memo[1]
    chosen = _decide()
    if ctx is not None:
        setattr(ctx, RUN_MEMO, (ctx.cursors, chosen))
    return chosen


def _decide() -> str:
    asked = _from_url()
    if asked is not None:
        st.session_state[LANGUAGE_KEY] = asked
        return asked
    chosen = st.session_state.get(LANGUAGE_KEY)
    if chosen in LANGUAGES:
        return chosen
    return _from_browser() or DEFAULT_LANGUAGE


def _(template: str, **params) -> str:
    """``template`` in the visitor's language, its ``{fields}`` filled with ``params``."""
    return translate(template, language(), **params)


def ngettext(singular: str, plural: str, n: int, **params) -> str:
    """The plural form for ``n`` in the visitor's language; ``{n}`` is filled in."""
    return ntranslate(singular, plural, n, language(), **params)


def error_text(error: BaseException) -> str:
    """An engine error's message in the visitor's language."""
    return error_message(error, language())


def number(value: float, decimals: int = 0) -> str:
    """``value`` with the language's grouping and ``decimals`` digits after the point."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=BABEL_LOCALES[language()])


def percent(fraction: float, decimals: int = 1) -> str:
    """``fraction`` (0.5 = 50%) as a percentage in the language's style."""
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
    return format_percent(fraction, format=pattern, locale=BABEL_LOCALES[language()])


def _switched() -> None:
    ctx = get_script_run_ctx()
    if ctx is not None:
        setattr(ctx, RUN_MEMO, None)  # This run's language is the one just chosen.
    chosen = st.session_state[SWITCH_KEY]
    st.session_state[LANGUAGE_KEY] = chosen
    if chosen == DEFAULT_LANGUAGE:
        st.query_params.pop("lang", None)
    else:
        st.query_params["lang"] = chosen
    _resend_widget_values()


def _resend_widget_values() -> None:
    """Give every widget its value again, so that the browser shows it in the new language.

    A radio or select box travels to the browser as its option's label. After a switch the browser
    still holds the old language's label, which matches none of the new ones: it showed no option
    chosen (or the old label in a select box), and sent that label back on the next click, which
    Streamlit reads as the default, losing the visitor's choice. A value assigned before its widget
    is drawn is sent with the widget, under its label in the new language. Only plain values are
    assigned again (option keys, numbers, text): buttons (True/False), uploads and table editors
    hold other types, and Streamlit refuses assignments to them.
    """
    for key in list(st.session_state.keys()):
        value = st.session_state[key]
        if key != SWITCH_KEY and type(value) in (str, int, float):
            st.session_state[key] = value


def language_switch() -> str:
    """A sidebar switch between the languages; returns the language of this run."""
    current = language()
    st.session_state[SWITCH_KEY] = current
    st.sidebar.radio(
        "Language / 언어",
        LANGUAGES,
        format_func=LANGUAGE_NAMES.get,
        horizontal=True,
        key=SWITCH_KEY,
        on_change=_switched,
    )
    return current
