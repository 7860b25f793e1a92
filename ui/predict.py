"""Predict first, on a concept page: the page's own numbers as a question, checked before the result shows.

``predict_box(exercise, key, kind)`` asks ``exercise`` (built by ``cnn_core.exercise_for`` from
what the page shows: its output size, the cell of the current step), takes a prediction, says
right or wrong and shows the engine's working, with the look and words of ``ui.lesson``'s box.
"New numbers" switches the box to drawn exercises of the same kind (``ui.lesson.exercise_box``,
which draws again on each click) until "Back to this page's numbers". When the page's numbers
make no question (``exercise`` is None: not whole numbers, several channels), the box shows a
drawn one. Everything is optional: a page runs the same for a visitor who never types. Each box
sits in an expander whose body (the question included) runs only while it is open (``ui.lazy``);
a prediction typed there is kept for the session when it is closed.
Session state keys start with ``predict_<key>``; the drawn exercises' with ``exercise_box_<key>``.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable

import numpy as np
import streamlit as st

from cnn_core.i18n import LabError
from cnn_core.ops.exercises import MAX_SEED, Exercise, check_answer, exercise_for, make_exercise, read_answer
from ui import lazy, settings
from ui.i18n import _, language
from ui.lesson import _show_grids, _verdict, exercise_box, set_exercise

PREFIX = "predict_"


def _key(key: str, name: str) -> str:
    return f"{PREFIX}{key}_{name}"


def fingerprint(exercise: Exercise) -> str:
    """A short code of an exercise's kind and numbers: a changed slider makes a new question (and a new field)."""
    return f"{zlib.crc32(repr((exercise.kind, exercise.params)).encode()):08x}"


def _check(key: str, mark: str) -> None:
    text = st.session_state.get(_key(key, f"answer_{mark}"), "") or ""
    st.session_state[_key(key, "result")] = {"mark": mark, "text": text.strip(), "verdict": None}


def _reveal(key: str, mark: str) -> None:
    st.session_state[_key(key, "result")] = {"mark": mark, "text": "", "verdict": "revealed"}


def _draw(key: str, kind: str) -> None:
    """ "New numbers": from now on the box asks drawn exercises of ``kind``."""
    st.session_state[_key(key, "drawn")] = True
    set_exercise(key, make_exercise(kind, secrets.randbelow(MAX_SEED + 1)))


def _back(key: str) -> None:
    st.session_state[_key(key, "drawn")] = False


def verdict(exercise: Exercise, result: dict) -> str:
    """ "right", "wrong", "unreadable" or "revealed" for a kept check of ``exercise``."""
    if result["verdict"] == "revealed":
        return "revealed"
    if check_answer(exercise, result["text"]):
        return "right"
    return "unreadable" if read_answer(exercise, result["text"]) is None else "wrong"


def predict_box(exercise: Exercise | None, key: str, kind: str) -> bool:
    """The question of ``exercise`` (or a drawn one of ``kind``), a field for a prediction, and the verdict.

    Returns whether the question shown has been checked or revealed (its answer is on the page).
    """
    if exercise is None or st.session_state.get(_key(key, "drawn")):
        if exercise is not None:
            st.button(_("Back to this page's numbers"), key=_key(key, "back"), on_click=_back, args=(key,))
        else:
            st.caption(
                _("These numbers are not a small question to work out by hand, so here is one of the same kind.")
            )
        default = make_exercise(kind, zlib.crc32(key.encode()) % (MAX_SEED + 1))
        exercise_box(default, key, teacher_link=False)
        return False
    mark = fingerprint(exercise)
    with st.container(border=True):
        st.markdown(_("**Predict, then check.**"))
        st.markdown(exercise.prompt)
        _show_grids(exercise)
        example = _("two numbers, such as 1, 2") if isinstance(exercise.answer, tuple) else _("a number, such as 4")
        settings.session_settings(_key(key, f"answer_{mark}"))  # Typed, then the box closed: kept.
        st.text_input(_("Your prediction"), key=_key(key, f"answer_{mark}"), placeholder=example, max_chars=64)
        check, reveal, new, _rest = st.columns([1, 1, 1, 2])
        check.button(_("Check"), key=_key(key, "check"), on_click=_check, args=(key, mark), type="primary")
        reveal.button(_("Show the answer"), key=_key(key, "reveal"), on_click=_reveal, args=(key, mark))
        new.button(_("New numbers"), key=_key(key, "new"), on_click=_draw, args=(key, kind))
        result = st.session_state.get(_key(key, "result"))
        if not result or result["mark"] != mark:
            return False
        shown = verdict(exercise, result)
        _verdict(exercise, {**result, "verdict": shown})
        return shown in ("right", "wrong", "revealed")


def _page_exercise(kind: str, **params) -> Exercise | None:
    """``exercise_for`` with the page's numbers, in the visitor's language; None when they make no question."""
    try:
        return exercise_for(kind, language(), **params)
    except LabError:
        return None


def predict_output_size(key: str, input_shape, kernel_size: int, strides: int, padding) -> None:
    """ "Predict first" before an output size: the page's input, window, stride and padding as the question.

    A non-square input makes no one-number question, so a drawn one stands in; a window that does
    not fit shows nothing (the page explains why).
    """
    height, width = int(input_shape[0]), int(input_shape[1])
    exercise = _page_exercise(
        "output_size", input_size=height, kernel_size=kernel_size, strides=strides, padding=padding
    )
    if exercise is None:
        return  # The window does not fit: the page says why.
    with (box := lazy.expander(_("Predict first: the output size"), key=_key(key, "open"))):
        if box.open:
            predict_box(exercise if height == width else None, key, "output_size")


def predict_same_padding(key: str, input_size: int, kernel_size: int, strides: int) -> None:
    """ "Predict first" before the zeros 'same' padding adds along one axis."""
    with (box := lazy.expander(_("Predict first: the zeros before and after"), key=_key(key, "open"))):
        if box.open:  # The question is made only for a visitor who opened the box.
            exercise = _page_exercise("same_padding", input_size=input_size, kernel_size=kernel_size, strides=strides)
            predict_box(exercise, key, "same_padding")


def conv_cell_predictor(key: str, activation: str | None) -> Callable:
    """A ``predict`` for ``conv_player``: the current step's patch, kernel, bias and activation as the question."""

    def predict(frame) -> None:
        with (box := lazy.expander(_("Predict first: this output cell"), key=_key(key, "open"))):
            if not box.open:
                return  # The question is made only for a visitor who opened the box.
            exercise = None
            if frame.patch.shape[2] == 1:
                exercise = _page_exercise(
                    "conv_cell",
                    patch=frame.patch[:, :, 0],
                    kernel=frame.kernel[:, :, 0],
                    bias=frame.bias,
                    activation=activation,
                )
            predict_box(exercise, key, "conv_cell")

    return predict


def pool_cell_predictor(key: str) -> Callable:
    """A ``predict`` for ``pool_player``: the current step's window (when it has no padded cell) as the question."""

    def predict(frame) -> None:
        with (box := lazy.expander(_("Predict first: this output cell"), key=_key(key, "open"))):
            if not box.open:
                return  # As in conv_cell_predictor.
            exercise = None
            if not np.isnan(frame.window).any():
                exercise = _page_exercise("pool_cell", window=frame.window, mode=frame.mode)
            predict_box(exercise, key, "pool_cell")

    return predict
