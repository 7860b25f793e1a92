"""CNN Lab: see and touch every step of a convolutional neural network.

Run with ``streamlit run app.py``. This file only lists the pages; each page is a short script in
pages/ that draws widgets and calls ``cnn_core``, the engine that knows nothing of Streamlit.
"""

import streamlit as st

from ui import resources, sessions, state, turns
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

    PAGES = {
        _("Start"): [
            st.Page("pages/home.py", title=_("Home"), icon="🏠", default=True),
            st.Page("pages/lesson.py", title=_("Lesson: the chapter step by step"), icon="🎓"),
            st.Page("pages/glossary.py", title=_("Glossary"), icon="📖"),
        ],
        _("Concepts"): [
            st.Page("pages/convolution.py", title=_("Convolution"), icon="🔲"),
            st.Page("pages/padding.py", title=_("Padding"), icon="🖼️"),
            st.Page("pages/stride.py", title=_("Stride"), icon="👣"),
            st.Page("pages/pooling.py", title=_("Pooling"), icon="🔽"),
        ],
        _("Practice"): [
            st.Page("pages/augmentation.py", title=_("Augmentation"), icon="🔀"),
            st.Page("pages/training.py", title=_("Train on MNIST"), icon="📈"),
            st.Page("pages/folder_training.py", title=_("Train on image folders"), icon="🗂️"),
            st.Page("pages/overfitting_lab.py", title=_("Overfitting lab"), icon="⚖️"),
        ],
        _("Inside the network"): [
            st.Page("pages/activations.py", title=_("Activation maps"), icon="🔥"),
            st.Page("pages/network.py", title=_("How the network reads a digit"), icon="🧠"),
            st.Page("pages/digits.py", title=_("Read my digit"), icon="✍️"),
        ],
    }

    try:
        page = st.navigation(PAGES)
        if page.url_path not in turns.LIGHT_PAGES:
            turn.leave()
        page.run()
    finally:  # also after st.stop() or st.rerun(): big things a page named must not outlive its run
        state.forget_page_names()
