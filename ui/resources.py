"""Read-only things every visitor shares, loaded once per server: the bundled MNIST and shipped models.

They are cached with ``st.cache_resource``; nothing a visitor changes or trains lives here (that is
``ui.state``).
"""

from __future__ import annotations

import functools
import gc
from pathlib import Path

import streamlit as st

from cnn_core.i18n import N_
from cnn_core.vision.reader import DEFAULT_MODEL
from ui.i18n import _

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
SHIPPED_MODELS = {
    "mnist_convnet": N_("MNIST convnet (seed recipe, shipped)"),
    "mnist_convnet_augmented": N_("MNIST convnet with augmentation (shipped)"),
}
# cnn_core.DEFAULT_MODEL's file, kept out of SHIPPED_MODELS: its eleventh class ("not a digit")
# fits only the page that reads digits, not the pages that list every shipped MNIST model.
DIGIT_READER_FILE = Path(DEFAULT_MODEL).name


def mnist():
    """The bundled MNIST arrays, mapped once per server from files its training workers map too."""
    with st.spinner(_("Loading MNIST...")):
        return _mnist()


@st.cache_resource(show_spinner=False)
def _mnist():
    from cnn_core.data.mnist import load_mnist

    return load_mnist(mapped=True)


def shipped_model(name: str):
    """A model shipped in models/, loaded once per server and shared read-only."""
    if name not in SHIPPED_MODELS:
        raise ValueError(f"unknown shipped model {name!r}; choose one of {sorted(SHIPPED_MODELS)}")
    with st.spinner(_("Loading the model (TensorFlow starts on first use)...")):
        return _shipped_model(name)


@st.cache_resource(show_spinner=False)
def _shipped_model(name: str):
    import keras

    model = keras.models.load_model(MODELS_DIR / f"{name}.keras", compile=False)
    freeze_long_lived_objects()
    return model


def digit_reader():
    """The default model of ``cnn_core.read_digit`` (``cnn_core.DEFAULT_MODEL``), shared read-only."""
    with st.spinner(_("Loading the model (TensorFlow starts on first use)...")):
        return _digit_reader(str(MODELS_DIR / DIGIT_READER_FILE))


@st.cache_resource(show_spinner=False)
def _digit_reader(path: str):
    import keras

    model = keras.models.load_model(path, compile=False)
    freeze_long_lived_objects()
    return model


@st.cache_resource(show_spinner=False)
def shipped_history(name: str):
    """A shipped model's epoch snapshots and probe images (``models/<name>_epochs.npz``), shared read-only."""
    from cnn_core.learning.snapshots import load_epoch_snapshots

    return load_epoch_snapshots(name, MODELS_DIR)


@functools.cache
def freeze_after_imports() -> None:
    """Import what every page run needs, then take those objects out of later garbage collections.

    Streamlit runs a full collection (``gc.collect(2)``) after every script run of every
    session. With numpy, pandas, plotly and Streamlit loaded there are some half a million objects
    to walk, and that walk was most of a concept page run's server time (70 of 90 ms, measured
    with ``benchmarks/classroom.py``), all of it holding the interpreter a whole class shares.
    Frozen, a collection walks only what the run itself made. ``app.py`` calls this once per
    process, before the first page; ``freeze_long_lived_objects`` does the same for Keras later.
    """
    import numpy  # noqa: F401  (imported for its objects, which are what gets frozen)
    import pandas  # noqa: F401  (the grid editors' data frames)
    import plotly.graph_objects
    import plotly.io  # noqa: F401  (st.plotly_chart serialises through it)

    import cnn_core.figures.grids
    import cnn_core.figures.players  # noqa: F401
    import ui.concept
    import ui.players  # noqa: F401

    gc.collect()
    gc.freeze()


@functools.cache
def freeze_long_lived_objects() -> None:
    """Take the objects alive now (TensorFlow's and Keras's modules, mostly) out of later garbage
    collections; the pages that use Keras call this once Keras is loaded.

    Streamlit ran a full collection after every script run (now off in the project's config), and
    calls ``keras.backend.clear_session()``, which collected again (now without its collection:
    ``_no_collection_in_clear_session``). With TensorFlow loaded each costs
    0.4-0.9 s holding the GIL; a training page polling every half second then starved its training
    thread (5-10x slower, measured). Frozen, a collection takes well under a millisecond. Done once
    per process, after a collection, so only live objects are frozen.
    """
    import keras

    _no_collection_in_clear_session(keras)
    gc.collect()
    gc.freeze()


def _no_collection_in_clear_session(keras) -> None:
    """Make Keras's ``clear_session`` skip its full collection in this server.

    Once Keras is imported, Streamlit calls ``keras.backend.clear_session()`` after every script run
    of every session (``_clean_problem_modules``), and Keras 3's ``clear_session`` then runs
    ``gc.collect()`` (its ``free_memory=True``): the very full collection ``runner.postScriptGC =
    false`` turns off, paid on every concept page run once anyone has opened a Keras page (9-23 ms a
    run with 30-60 visitors, ``benchmarks/classroom.py``). Keras documents ``free_memory=False`` for
    callers that clear sessions often; the rest of ``clear_session`` still runs. The worker processes,
    which never run this, keep Keras's default.
    """
    original = keras.backend.clear_session
    if getattr(original, "without_collection", False):
        return

    def clear_session(free_memory: bool = False):
        return original(free_memory=free_memory)

    clear_session.without_collection = True
    keras.backend.clear_session = clear_session
