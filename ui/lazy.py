"""Parts of a page that run only while they are shown: a closed expander's or a hidden tab's body is skipped.

Streamlit runs everything on a page at every run, closed expanders and hidden tabs included, and a
class waits in line behind those runs. An expander made here tracks whether it is open (opening or
closing it reruns the page, or only the fragment it is in), so the code under
``if box.open:`` runs only for a visitor who opened it::

    with (box := lazy.expander(_("The numbers in this figure"), key="conv_maps_numbers")):
        if box.open:
            ...

Streamlit forgets the value of a widget that a run does not draw; widgets in such a body keep
theirs with ``ui.settings.session_settings`` (called before they are drawn), or are read without
being drawn (``ui.settings``' widgets with ``where=None``, ``ui.settings.hidden_grid_cells``).
"""

from __future__ import annotations

import streamlit as st


def expander(label: str, key: str, **kwargs):
    """``st.expander`` that knows whether it is open (``.open``); ``key`` must be unique on the page."""
    return st.expander(label, key=key, on_change="rerun", **kwargs)


def tabs(labels: list[str], key: str):
    """``st.tabs`` whose tabs know whether they are the open one (``.open``); the open tab is kept by its label.

    A kept label that is no longer among ``labels`` (the other language's, or a tab that is gone)
    is dropped, so the first tab opens.
    """
    if st.session_state.get(key) not in labels:
        st.session_state.pop(key, None)
    return st.tabs(labels, key=key, on_change="rerun")
