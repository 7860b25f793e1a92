"""The app's pages, in the sidebar's sections, in the run's language: what ``app.py`` navigates."""

from __future__ import annotations

import copy

import streamlit as st

from cnn_core.i18n import translate
from ui.i18n import language


def pages() -> dict[str, list[st.Page]]:
    """This run's sidebar: copies of the menu in the run's language, for ``st.navigation``.

    Copies, since ``st.navigation`` marks the page it chooses on the very object it is given, and
    the menu is shared by every visitor's runs.
    """
    return {section: [copy.copy(page) for page in listed] for section, listed in menu(language()).items()}


@st.cache_resource(show_spinner=False)
def menu(lang: str) -> dict[str, tuple[st.Page, ...]]:
    """The sidebar's sections and their pages in ``lang`` (the run's language), made once per server.

    ``st.Page`` resolves and checks its script's path when it is made, which every run of every page
    paid for all fourteen pages. The pages made here are shared and never handed out: each run gets
    copies, since ``st.navigation`` marks the page it chooses on the very object it is given.
    """

    def _(text: str) -> str:  # In ``lang``, the cache's key (it is the run's language in the app).
        return translate(text, lang)

    return {
        _("Start"): (
            st.Page("pages/home.py", title=_("Home"), icon="🏠", default=True),
            st.Page("pages/lesson.py", title=_("Lesson: the chapter step by step"), icon="🎓"),
            st.Page("pages/glossary.py", title=_("Glossary"), icon="📖"),
        ),
        _("Concepts"): (
            st.Page("pages/convolution.py", title=_("Convolution"), icon="🔲"),
            st.Page("pages/padding.py", title=_("Padding"), icon="🖼️"),
            st.Page("pages/stride.py", title=_("Stride"), icon="👣"),
            st.Page("pages/pooling.py", title=_("Pooling"), icon="🔽"),
        ),
        _("Practice"): (
            st.Page("pages/augmentation.py", title=_("Augmentation"), icon="🔀"),
            st.Page("pages/training.py", title=_("Train on MNIST"), icon="📈"),
            st.Page("pages/folder_training.py", title=_("Train on image folders"), icon="🗂️"),
            st.Page("pages/overfitting_lab.py", title=_("Overfitting lab"), icon="⚖️"),
        ),
        _("Inside the network"): (
            st.Page("pages/activations.py", title=_("Activation maps"), icon="🔥"),
            st.Page("pages/network.py", title=_("How the network reads a digit"), icon="🧠"),
            st.Page("pages/digits.py", title=_("Read my digit"), icon="✍️"),
        ),
    }
