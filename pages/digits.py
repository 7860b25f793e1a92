"""Placeholder while this page is being built (replaced before it lands)."""

import streamlit as st

st.title("digits")
st.info("This page is being built.")
