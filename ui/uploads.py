"""Uploads that never raise: decoded images or a message on the page, and engine errors as messages."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnn_core.vision import images
from ui.i18n import _, error_text

IMAGE_TYPES = ["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"]


def image_upload(label: str, key: str, mode: str = "RGB", max_side: int = 1024, help: str | None = None):
    """A file uploader that returns a decoded uint8 image, or None with an ``st.error`` shown."""
    uploaded = st.file_uploader(label, type=IMAGE_TYPES, key=key, help=help)
    if uploaded is None:
        return None
    try:
        return _decode_upload(uploaded.getvalue(), mode, max_side)
    except images.ImageError as exc:
        st.error(_("Could not use **{name}**: {reason}", name=uploaded.name, reason=error_text(exc)))
        return None


@st.cache_data(max_entries=32, show_spinner=False)
def _decode_upload(data: bytes, mode: str, max_side: int) -> np.ndarray:
    """Decode an upload once; reruns after a widget change reuse it (errors are not cached)."""
    return images.load_image(data, mode=mode, max_side=max_side)


def show_error(exc: Exception) -> None:
    """Show a ValueError from cnn_core as a page message instead of a traceback."""
    st.error(error_text(exc))
