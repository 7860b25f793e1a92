"""Glossary: the study note's terms in Korean and English, the Keras argument, and where the app shows each."""

import pandas as pd
import streamlit as st

from ui.glossary import TERMS
from ui.i18n import _

st.title(_("Glossary"))
st.markdown(
    _(
        "The words of the study note (Korean) and of the book (English) for the same ideas, with the "
        "Keras argument where there is one. The Korean interface uses exactly these terms."
    )
)
query = st.text_input(_("Find a term"), key="glossary_query", placeholder=_("e.g. 스트라이드 or stride"))
needle = query.strip().lower()
rows = [term for term in TERMS if not needle or needle in f"{term.korean} {term.english} {term.keras}".lower()]
if not rows:
    st.info(_("No term matches {query}.", query=repr(query.strip())))
    st.stop()
table = pd.DataFrame(
    {
        _("Korean"): [term.korean for term in rows],
        _("English"): [term.english for term in rows],
        _("Keras"): [term.keras for term in rows],
        _("Meaning"): [_(term.definition) for term in rows],
    }
)
st.dataframe(table, hide_index=True, width="stretch")
st.subheader(_("Where to see it"))
for term in rows:
    if term.page:
        st.page_link(term.page, label=f"{term.korean} · {term.english}", icon="➡️")
