"""Helpers shared by the pages: cached bundled resources, per-session models, safe uploads.

Read-only things every visitor shares (the bundled data set and models) are cached with
``st.cache_resource``. Anything a visitor trains lives in ``st.session_state``, so two people on
one deployment never see each other's models.
"""

from __future__ import annotations

import functools
import gc
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import streamlit as st

from cnn_core import images

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
SHIPPED_MODELS = {
    "mnist_convnet": "MNIST convnet (seed recipe, shipped)",
    "mnist_convnet_augmented": "MNIST convnet with augmentation (shipped)",
}
_SESSION_MODELS_KEY = "session_models"


@dataclass
class SessionModel:
    """A model trained in this browser session, with what the other pages need to use it."""

    name: str
    model: object  # A keras.Model; typed loosely so this module never imports Keras.
    task: str  # "mnist" or "folder"
    class_names: list[str]
    input_shape: tuple[int, int, int]
    history: dict = field(default_factory=dict)


@st.cache_resource(show_spinner="Loading MNIST...")
def mnist():
    """The bundled MNIST arrays, loaded once per server and shared read-only."""
    from cnn_core import datasets

    return datasets.load_mnist()


@st.cache_resource(show_spinner="Loading the model (TensorFlow starts on first use)...")
def shipped_model(name: str):
    """A model shipped in models/, loaded once per server and shared read-only."""
    import keras

    if name not in SHIPPED_MODELS:
        raise ValueError(f"unknown shipped model {name!r}; choose one of {sorted(SHIPPED_MODELS)}")
    model = keras.models.load_model(MODELS_DIR / f"{name}.keras", compile=False)
    freeze_long_lived_objects()
    return model


@functools.cache
def freeze_long_lived_objects() -> None:
    """Take the objects alive now (TensorFlow's and Keras's modules, mostly) out of later garbage
    collections; the pages that use Keras call this once Keras is loaded.

    Streamlit runs a full collection after every script run, fragment reruns included, and calls
    ``keras.backend.clear_session()``, which collects again. With TensorFlow loaded each costs
    0.4-0.9 s holding the GIL; a training page polling every half second then starved its training
    thread (5-10x slower, measured). Frozen, a collection takes well under a millisecond. Done once
    per process, after a collection, so only live objects are frozen.
    """
    import keras  # noqa: F401  (imported for its objects, which are what gets frozen)

    gc.collect()
    gc.freeze()


def session_models() -> dict[str, SessionModel]:
    """Models this session trained, by name (empty until the visitor trains one)."""
    return st.session_state.setdefault(_SESSION_MODELS_KEY, {})


def add_session_model(entry: SessionModel) -> None:
    """Make a freshly trained model available to this session's other pages."""
    session_models()[entry.name] = entry


def image_upload(label: str, key: str, mode: str = "RGB", max_side: int = 1024, help: str | None = None):
    """A file uploader that returns a decoded uint8 image, or None with an ``st.error`` shown."""
    uploaded = st.file_uploader(
        label, type=["png", "jpg", "jpeg", "gif", "bmp", "webp", "tif", "tiff"], key=key, help=help
    )
    if uploaded is None:
        return None
    try:
        return _decode_upload(uploaded.getvalue(), mode, max_side)
    except images.ImageError as exc:
        st.error(f"Could not use **{uploaded.name}**: {exc}")
        return None


@st.cache_data(max_entries=32, show_spinner=False)
def _decode_upload(data: bytes, mode: str, max_side: int) -> np.ndarray:
    """Decode an upload once; reruns after a widget change reuse it (errors are not cached)."""
    return images.load_image(data, mode=mode, max_side=max_side)


def show_error(exc: Exception) -> None:
    """Show a ValueError from cnn_core as a page message instead of a traceback."""
    st.error(str(exc))


def as_float01(image: np.ndarray) -> np.ndarray:
    """uint8 image -> float32 in [0, 1]."""
    return image.astype(np.float32) / 255.0


def run_inside_app() -> None:
    """Make a deep link on a fresh server run through app.py's navigation.

    Streamlit keeps a legacy mode for apps with a ``pages/`` folder: until some session has run
    ``st.navigation``, a first visitor who opens ``/stride`` directly gets that script alone, with
    a sidebar listing every file in the folder. Every page calls this first; it leaves that mode
    and reruns, so the visitor lands on the same page inside the app.
    """
    from streamlit.runtime.pages_manager import PagesManager

    global _left_legacy_pages_mode
    # A real server never re-enters the legacy mode, so acting once per process is enough, and
    # it keeps AppTest (which resets Streamlit's flag before every run) from losing clicks.
    if PagesManager.uses_pages_directory and not _left_legacy_pages_mode:
        _left_legacy_pages_mode = True
        PagesManager.uses_pages_directory = False
        st.rerun()


_left_legacy_pages_mode = False
