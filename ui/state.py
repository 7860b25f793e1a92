"""This session's own things, under keys that only this module writes: models, data, settings, counters.

Anything a visitor changes or trains lives in ``st.session_state``, so two people on one deployment
never see each other's work. Pages reach it through these accessors, never by a key string.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

SESSION_MODELS = "session_models"
FOLDER_DATA = "folder_data"  # The ImageFolderData loaded on the folder page; the overfitting lab trains on it.
AUGMENTATION = "augmentation_settings"  # The Augmentation page's settings, offered to the folder page.
MNIST_RUN = "mnist_training_run"
FOLDER_RUN = "folder_training_run"
COUNTS = "run_counts"


@dataclass
class SessionModel:
    """A model trained in this browser session, with what the other pages need to use it."""

    name: str
    model: object  # A keras.Model; typed loosely so this module never imports Keras.
    task: str  # "mnist" or "folder"
    class_names: list[str]
    input_shape: tuple[int, int, int]
    history: dict = field(default_factory=dict)


def session_models() -> dict[str, SessionModel]:
    """Models this session trained, by name (empty until the visitor trains one)."""
    return st.session_state.setdefault(SESSION_MODELS, {})


def add_session_model(entry: SessionModel) -> None:
    """Make a freshly trained model available to this session's other pages."""
    session_models()[entry.name] = entry


def folder_data():
    """The image-folder data set this session loaded, or None."""
    return st.session_state.get(FOLDER_DATA)


def set_folder_data(data) -> None:
    """Keep a loaded image-folder data set for this session's folder page and overfitting lab."""
    st.session_state[FOLDER_DATA] = data


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
