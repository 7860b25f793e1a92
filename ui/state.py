"""This session's own things, under keys that only this module writes: models, data, settings, counters.

Anything a visitor changes or trains lives in ``st.session_state``, so two people on one deployment
never see each other's work. Pages reach it through these accessors, never by a key string.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import streamlit as st

from cnn_core.i18n import N_
from ui import sessions

SESSION_MODELS = "session_models"
FOLDER_DATA = "folder_data"  # The ImageFolderData loaded on the folder page; the overfitting lab trains on it.
AUGMENTATION = "augmentation_settings"  # The Augmentation page's settings, offered to the folder page.
MNIST_RUN = "mnist_training_run"
FOLDER_RUN = "folder_training_run"
COUNTS = "run_counts"
PAGE_NAMES = "page_names_to_forget"  # (page globals, names) to drop when this run ends: forget_after_run
TICKETS = "training_tickets"  # run key -> the queue ticket of the run under that key
# What the memory budget's notices call the things it releases (app.py translates them).
MODEL_KIND = N_("trained model")
FOLDER_DATA_KIND = N_("folder data")


class SessionModel:
    """A model trained in this browser session, with what the other pages need to use it.

    A trained model comes back from its worker process as a ``.keras`` file (``path``) and is
    loaded into this process only when a page uses ``model``; while loaded it counts against the
    server's memory budget, which may unload it again (it then reloads from the file).
    """

    def __init__(
        self,
        name: str,
        model=None,
        task: str = "mnist",
        class_names=(),
        input_shape=(28, 28, 1),
        history: dict | None = None,
        path: str | None = None,
        caveat: str = "",
    ):
        self.name, self.task, self.path = name, task, path
        self.class_names, self.input_shape = list(class_names), tuple(input_shape)
        self.history = dict(history or {})
        self.caveat = caveat  # "tiny data" or "near chance": said wherever the model is offered
        self._model, self._lock = model, threading.Lock()
        self._owner = sessions.session_id()

    @property
    def model(self):
        """The Keras model, loaded from ``path`` on first use."""
        with self._lock:
            if self._model is None:
                import keras

                self._model = keras.models.load_model(self.path, compile=False)
                params = self._model.count_params()
                # Weights in float32, and about as much again for Keras's and TensorFlow's own structures.
                sessions.supervisor().budget.register(self._owner, MODEL_KIND, 8 * params, self._unload)
            return self._model

    def _unload(self) -> None:
        if self.path is not None:  # A model without a file cannot be reloaded, so it stays.
            with self._lock:
                self._model = None


class Held:
    """Something large this session keeps (a decoded data set), released when the budget needs room."""

    def __init__(self, value, kind: str, nbytes: int, folder: Path | None = None):
        self.value, self.folder = value, folder
        self.handle = sessions.supervisor().budget.register(sessions.session_id(), kind, nbytes, self.release)

    def release(self) -> None:
        """Drop the reference (the page then asks the visitor to load it again)."""
        self.value = None

    def get(self):
        """The value, marked as used now; None once it was released."""
        if self.value is not None:
            sessions.supervisor().budget.touch(self.handle)
        return self.value


def forget_after_run(namespace: dict, *names: str) -> None:
    """Drop ``names`` from a page's globals (``namespace``) when this script run ends.

    A page's functions that outlive its run (a widget's callback, its arguments, a format_func, a
    fragment) keep the page's globals alive until they are replaced, and with them whatever a
    global names: a data set the memory budget released, or a model it unloaded, would stay in the
    server. Callbacks must therefore fetch such things when called (``folder_data()``), not read a
    page global. ``app.py`` calls ``forget_page_names`` once the page has run; a page run on its own
    (AppTest after ``switch_page``) has the last run's names dropped when it registers again.
    """
    pending = st.session_state.get(PAGE_NAMES) or []
    if any(earlier is not namespace for earlier, _names in pending):  # A new run: the earlier one is over.
        forget_page_names()
        pending = []
    st.session_state[PAGE_NAMES] = [*pending, (namespace, names)]


def forget_page_names() -> None:
    """Drop the names ``forget_after_run`` listed in this session's run (``app.py``, after the page ran or stopped)."""
    for namespace, names in st.session_state.get(PAGE_NAMES) or ():
        for name in names:
            namespace.pop(name, None)
    st.session_state[PAGE_NAMES] = []


def session_models() -> dict[str, SessionModel]:
    """Models this session trained, by name (empty until the visitor trains one)."""
    return st.session_state.setdefault(SESSION_MODELS, {})


def add_session_model(entry: SessionModel) -> None:
    """Make a freshly trained model available to this session's other pages."""
    session_models()[entry.name] = entry


def folder_data():
    """The image-folder data set this session loaded, or None (also once the budget released it)."""
    held = st.session_state.get(FOLDER_DATA)
    return held.get() if isinstance(held, Held) else held


def set_folder_data(data, folder: Path | None = None) -> None:
    """Keep a loaded image-folder data set (decoded into ``folder``) for the folder page and the lab.

    The data set it replaces is dropped from the memory budget, and its folder deleted unless a
    training of this session may still read it (then it goes when the session ends).
    """
    previous = st.session_state.get(FOLDER_DATA)
    if isinstance(previous, Held):
        sessions.supervisor().budget.release(previous.handle)
        if previous.folder is not None and not any_training():
            shutil.rmtree(previous.folder, ignore_errors=True)
    nbytes = data.x_train.nbytes + data.x_val.nbytes
    st.session_state[FOLDER_DATA] = Held(data, FOLDER_DATA_KIND, nbytes, folder)


def data_folder() -> Path:
    """A new folder for this session's decoded data, deleted when the session ends."""
    folder = Path(tempfile.mkdtemp(prefix="cnn-lab-data-"))
    sessions.track(cleanup=lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


def any_training() -> bool:
    """True while a run of this session waits for a slot or trains."""
    runs = (st.session_state.get(key) for key in st.session_state.get(TICKETS, {}))
    return any(run is not None and not run.done for run in runs)


def budget_notices() -> list[tuple[str, str]]:
    """(template, kind) notices about this session's things the memory budget released, once."""
    return sessions.supervisor().budget.pop_notices(sessions.session_id())


def training_ticket(run_key: str):
    """The queue ticket of the run kept under ``run_key``, or None."""
    return st.session_state.get(TICKETS, {}).get(run_key)


def set_training(run_key: str, run, ticket) -> None:
    """Keep a submitted run and its queue ticket under ``run_key``."""
    st.session_state[run_key] = run
    st.session_state.setdefault(TICKETS, {})[run_key] = ticket


def augmentation_settings():
    """The settings last chosen on the Augmentation page, or None."""
    return st.session_state.get(AUGMENTATION)


def set_augmentation_settings(settings) -> None:
    """Remember the Augmentation page's settings for the folder page."""
    st.session_state[AUGMENTATION] = settings


def next_count(kind: str) -> int:
    """1, 2, 3, ... per ``kind`` of run in this session, to name runs in order."""
    counts = st.session_state.setdefault(COUNTS, {})
    counts[kind] = counts.get(kind, 0) + 1
    return counts[kind]
