"""CNN Lab: see and touch every step of a convolutional neural network.

Run with ``streamlit run app.py``. This file sets up each run and runs the page chosen from the menu
(``ui/menu.py`` lists the pages); each page is a short script in pages/ that draws widgets and calls
``cnn_core``, the engine that knows nothing of Streamlit.
"""

import streamlit as st

from ui import menu, resources, sessions, state, turns
from ui.i18n import _, language_switch

# Runs of the light pages take turns in arrival order; a run of any other page lets the next one go
# as soon as its page is chosen (ui/turns.py says why, and what bounds the wait).
with turns.Turn() as turn:
    st.set_page_config(page_title=_("CNN Lab"), page_icon="🧮", layout="wide")
    resources.freeze_after_imports()  # Once per process: keeps Streamlit's per-run collection cheap.
    sessions.track()  # The supervisor frees this session's data and files once the visitor is gone.
    language_switch()  # ?lang=ko, the sidebar switch, or the browser's language; English by default.
    for template, kind in state.budget_notices():
        st.warning(_(template, kind=_(kind)))

    try:
        page = st.navigation(menu.pages())  # The sidebar's sections and pages, in ui/menu.py.
        if page.url_path not in turns.LIGHT_PAGES:
            turn.leave()
        page.run()
    finally:  # also after st.stop() or st.rerun(): big things a page named must not outlive its run
        state.forget_page_names()
