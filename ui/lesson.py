"""Predict, then reveal: an exercise box any page can show, and a teacher's link to one exercise.

``exercise_box(exercise, key)`` asks the exercise's question, takes a prediction, says right or
wrong and shows the engine's working; "New numbers" draws another seed of the same kind. What a
box shows lives in ``st.session_state`` under keys that start with ``exercise_box_<key>``: the
exercise as its token (plain state, so it survives a visit to another page), the result of the
last check, and the answer field. ``exercise_url`` is the lesson page's address with the
exercise's token in the query, so a whole class opens the same numbers.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from cnn_core.i18n import DEFAULT_LANGUAGE
from cnn_core.ops.exercises import (
    MAX_SEED,
    Exercise,
    check_answer,
    exercise_from_token,
    exercise_token,
    make_exercise,
    read_answer,
)
from ui import settings
from ui.i18n import N_, _, language

PREFIX = "exercise_box_"
ROOT = Path(__file__).resolve().parents[1]
LESSON_PATH = "lesson"  # Streamlit names a page's URL after its file: pages/lesson.py -> /lesson
# "New numbers" tries this many random seeds for one that fits the box's ``prefer`` and differs
# from the numbers shown; every kind has thousands of distinct questions, so a few suffice.
MAX_TRIES = 200
GRID_LABELS = {"patch": N_("Input patch"), "kernel": N_("Kernel"), "window": N_("Window")}


def _key(key: str, name: str = "") -> str:
    return f"{PREFIX}{key}" + (f"_{name}" if name else "")


def set_exercise(key: str, exercise: Exercise) -> None:
    """Show ``exercise`` in the box ``key`` from now on (a teacher's link), with no answer checked yet."""
    st.session_state[_key(key)] = exercise_token(exercise)
    st.session_state.pop(_key(key, "result"), None)


def current_exercise(key: str, default: Exercise) -> Exercise:
    """The exercise the box ``key`` shows, in the visitor's language: the last drawn or set one, else ``default``."""
    token = st.session_state.get(_key(key))
    if token is None:
        return make_exercise(default.kind, default.seed, language())
    return exercise_from_token(token, language())


def answered_right(key: str) -> bool:
    """Whether the exercise the box ``key`` shows now has been answered right (checks run before the page)."""
    result = st.session_state.get(_key(key, "result"))
    return bool(result) and result["token"] == st.session_state.get(_key(key)) and result["verdict"] == "right"


def _check(key: str, token: str) -> None:
    """The Check button: read the typed answer and keep the verdict for this exercise."""
    text = st.session_state.get(_key(key, f"answer_{token}"), "") or ""
    exercise = exercise_from_token(token)
    if check_answer(exercise, text):
        verdict = "right"
    elif read_answer(exercise, text) is None:
        verdict = "unreadable"
    else:
        verdict = "wrong"
    st.session_state[_key(key)] = token  # The default exercise too is now the one this verdict is about.
    st.session_state[_key(key, "result")] = {"token": token, "text": text.strip(), "verdict": verdict}


def _reveal(key: str, token: str) -> None:
    st.session_state[_key(key)] = token
    st.session_state[_key(key, "result")] = {"token": token, "text": "", "verdict": "revealed"}


def _new_numbers(key: str, token: str, prefer: Callable[[Mapping], bool] | None) -> None:
    """Draw a random seed of the same kind whose numbers differ from those shown (and fit ``prefer``)."""
    shown = exercise_from_token(token)
    for _try in range(MAX_TRIES):
        candidate = make_exercise(shown.kind, secrets.randbelow(MAX_SEED + 1))
        if candidate.params != shown.params and (prefer is None or prefer(candidate.params)):
            break
    st.session_state[_key(key)] = exercise_token(candidate)
    st.session_state.pop(_key(key, "result"), None)


def _grid_latex(grid) -> str:
    """An int grid as a LaTeX matrix: ((1, -2), (0, 3)) -> \\begin{bmatrix} 1 & -2 \\\\ 0 & 3 \\end{bmatrix}."""
    rows = r" \\ ".join(" & ".join(str(v) for v in row) for row in grid)
    return rf"\begin{{bmatrix}} {rows} \end{{bmatrix}}"


def _show_grids(exercise: Exercise) -> None:
    """The grids of a cell exercise (patch and kernel, or the pooling window) as matrices, labelled beside."""
    grids = [name for name in GRID_LABELS if name in exercise.params]
    if not grids:
        return
    for column, name in zip(st.columns(len(grids) + 1), grids):
        column.caption(_(GRID_LABELS[name]))
        column.latex(_grid_latex(exercise.params[name]))


def show_working(exercise: Exercise) -> None:
    """The engine's working, a line of words (markdown) above each line of arithmetic (KaTeX, no words)."""
    for step in exercise.worked:
        st.markdown(step.text)
        st.latex(step.latex)


def _verdict(exercise: Exercise, result: dict) -> None:
    answer = exercise.answer_text
    if result["verdict"] == "right":
        st.success(_("Right: the answer is {answer}.", answer=answer))
        with st.expander(_("How it is worked out")):
            show_working(exercise)
    elif result["verdict"] == "unreadable":
        if isinstance(exercise.answer, tuple):
            st.warning(_("Type two numbers separated by a comma, such as 1, 2."))
        else:
            st.warning(_("Type one number, such as 4."))
    else:
        if result["verdict"] == "wrong":
            st.error(
                _("Not quite: you predicted {typed}, the answer is {answer}.", typed=result["text"], answer=answer)
            )
        else:
            st.info(_("The answer is {answer}.", answer=answer))
        st.markdown(_("**How it is worked out:**"))
        show_working(exercise)


def exercise_box(
    exercise: Exercise, key: str, prefer: Callable[[Mapping], bool] | None = None, teacher_link: bool = True
) -> bool:
    """Ask ``exercise`` (until "New numbers" draws another of its kind), check a prediction, reveal the working.

    ``key`` names the box's session state (``exercise_box_<key>...``), so a page may show several;
    ``prefer`` limits what "New numbers" draws (e.g. only ReLU cells). Returns whether the exercise
    shown has been answered right.
    """
    exercise = current_exercise(key, exercise)
    token = exercise_token(exercise)
    with st.container(border=True):
        st.markdown(_("**Predict, then check.**"))
        st.markdown(exercise.prompt)
        _show_grids(exercise)
        example = _("two numbers, such as 1, 2") if isinstance(exercise.answer, tuple) else _("a number, such as 4")
        settings.session_settings(_key(key, f"answer_{token}"))  # Kept when the box is not drawn for a run.
        st.text_input(_("Your prediction"), key=_key(key, f"answer_{token}"), placeholder=example, max_chars=64)
        check, reveal, new, _rest = st.columns([1, 1, 1, 2])
        check.button(_("Check"), key=_key(key, "check"), on_click=_check, args=(key, token), type="primary")
        reveal.button(_("Show the answer"), key=_key(key, "reveal"), on_click=_reveal, args=(key, token))
        new.button(_("New numbers"), key=_key(key, "new"), on_click=_new_numbers, args=(key, token, prefer))
        result = st.session_state.get(_key(key, "result"))
        if result and result["token"] == token:
            _verdict(exercise, result)
        if teacher_link:
            with st.expander(_("For teachers: the same numbers for the whole class")):
                exercise_link(exercise)
    return answered_right(key)


def exercise_url(exercise: Exercise, step: int | None = None) -> str:
    """The lesson page's address that opens ``exercise`` (at lesson ``step``, if given), in the visitor's language.

    Absolute when the browser's address is known (``st.context.url``), else from the site's root.
    """
    query = {"step": step} if step is not None else {}
    query["exercise"] = exercise_token(exercise)
    if language() != DEFAULT_LANGUAGE:
        query["lang"] = language()
    return f"{_lesson_address()}?{urlencode(query)}"


def _lesson_address() -> str:
    """This app's lesson page: the current address with its last path segment replaced by ``lesson``."""
    try:
        current = urlsplit(st.context.url or "")
    except Exception:  # No browser context (a bare script run): an address from the site's root.
        current = urlsplit("")
    base = current.path.rsplit("/", 1)[0] if current.path else ""
    origin = f"{current.scheme}://{current.netloc}" if current.scheme and current.netloc else ""
    return f"{origin}{base}/{LESSON_PATH}"


def exercise_link(exercise: Exercise, step: int | None = None) -> str:
    """Show a teacher the link to ``exercise`` (copy button included) and what it does; returns the link."""
    url = exercise_url(exercise, step)
    st.code(url, language=None)
    st.caption(
        _(
            "Share this link with a class: everyone who opens it gets this exercise with exactly these "
            "numbers (code {token}), on the lesson page, and can check their own prediction.",
            token=exercise_token(exercise),
        )
    )
    return url


def page_link(script: str, label: str, icon: str, query: Mapping[str, str] | None = None) -> None:
    """``st.page_link`` to ``script`` with ``query`` (``ui.settings.preset``) inside app.py's navigation;
    a plain link when a page runs alone.

    Streamlit refuses a page link outside ``st.navigation`` (a page opened by itself in a test or
    by ``streamlit run pages/lesson.py``), so there the same page is linked by its address.
    """
    try:  # An absolute path matches the page whatever the entry script's folder (app.py's, or a test's).
        st.page_link(str(ROOT / script), label=label, icon=icon, query_params=dict(query or {}))
    except StreamlitPageNotFoundError:
        address = f"./{Path(script).stem}" + (f"?{urlencode(query)}" if query else "")
        st.markdown(f"{icon} [{label}]({address})")
