"""Keep a first deep link inside the app's navigation (Streamlit's legacy ``pages/`` mode)."""

from __future__ import annotations

import streamlit as st

_left_legacy_mode = False


def leave_legacy_pages_mode() -> None:
    """Make a deep link on a fresh server run through app.py's ``st.navigation``.

    Streamlit keeps a legacy mode for apps with a ``pages/`` folder beside the entry point: until
    some session has run ``st.navigation``, a first visitor who opens ``/stride`` directly gets
    that script alone, with a sidebar listing every file in the folder. Streamlit offers no
    public API or config option to turn that mode off (the only supported way is to name the
    folder otherwise, which would change every page's path). So this one function leaves the mode
    and reruns, and the visitor lands on the same page inside the app.

    It acts once per process: a real server never re-enters the legacy mode, and AppTest, which
    resets Streamlit's flag before every run, keeps its clicks. ``ui`` calls it on import, which
    every page and ``app.py`` do first.
    """
    from streamlit.runtime.pages_manager import PagesManager

    global _left_legacy_mode
    if PagesManager.uses_pages_directory and not _left_legacy_mode:
        _left_legacy_mode = True
        PagesManager.uses_pages_directory = False
        st.rerun()
