"""CNN Lab: see and touch every step of a convolutional neural network.

Run with ``streamlit run app.py``. This file only lists the pages; each page is a short script in
pages/ that draws widgets and calls ``cnn_core``, the engine that knows nothing of Streamlit.
"""

import streamlit as st

from ui import resources, sessions, state

st.set_page_config(page_title="CNN Lab", page_icon="🧮", layout="wide")
resources.freeze_after_imports()  # Once per process: keeps Streamlit's per-run collection cheap.
sessions.track()  # The supervisor frees this session's data and files once the visitor is gone.
for template, kind in state.budget_notices():
    st.warning(template.format(kind=kind))

PAGES = {
    "Start": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    ],
    "Concepts": [
        st.Page("pages/convolution.py", title="Convolution", icon="🔲"),
        st.Page("pages/padding.py", title="Padding", icon="🖼️"),
        st.Page("pages/stride.py", title="Stride", icon="👣"),
        st.Page("pages/pooling.py", title="Pooling", icon="🔽"),
    ],
    "Practice": [
        st.Page("pages/augmentation.py", title="Augmentation", icon="🔀"),
        st.Page("pages/training.py", title="Train on MNIST", icon="📈"),
        st.Page("pages/folder_training.py", title="Train on image folders", icon="🗂️"),
        st.Page("pages/overfitting_lab.py", title="Overfitting lab", icon="⚖️"),
    ],
    "Inside the network": [
        st.Page("pages/activations.py", title="Activation maps", icon="🔥"),
        st.Page("pages/digits.py", title="Read my digit", icon="✍️"),
    ],
}

st.navigation(PAGES).run()
