"""The frame players of the concept pages: Play in the browser, or step through one cell exactly.

Both views live in one fragment, so a speed change, a tab switch or a click on an output cell
reruns only the player, and only the open view is drawn; the step-by-step view is a fragment of its
own inside it, so a step reruns only that view. The player's figure is cached per server for its
inputs (the defaults are the same for every visitor), and the frames the figure plays come from the
same cached steps.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice

import numpy as np
import streamlit as st

from cnn_core.figures.players import OUTPUT_CELLS_TRACE, conv_player_figure, pool_player_figure
from cnn_core.ops.formulas import conv_step_latex, pool_step_latex
from cnn_core.ops.steps import conv_steps, pool_steps
from ui import lazy, settings
from ui.i18n import N_, _, language, number

MAX_FRAMES = 400
SPEEDS = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0)  # Seconds a frame that Play offers; 0.5 s is the default.


@dataclass(frozen=True, eq=False)
class Inputs:
    """A player's inputs (arrays and settings) with their fingerprint, taken once per page run.

    The frames and figures are cached per server by these inputs; Streamlit would hash the arrays
    again at every lookup (five per Convolution run), the fingerprint hashes them once.
    """

    values: tuple
    digest: str

    @classmethod
    def of(cls, *values) -> Inputs:
        fingerprint = hashlib.blake2b(digest_size=16)
        for value in values:
            if isinstance(value, np.ndarray):
                fingerprint.update(f"array{value.shape}{value.dtype.str}".encode())
                fingerprint.update(np.ascontiguousarray(value).tobytes())
            else:
                fingerprint.update(repr(value).encode())
            fingerprint.update(b"|")
        return cls(values, fingerprint.hexdigest())


BY_DIGEST = {Inputs: lambda inputs: inputs.digest}


# Shared, not copied: frames are frozen and their arrays read-only (cache_data unpickled a fresh
# copy of up to MAX_FRAMES frames at every lookup, three lookups a run).
@st.cache_resource(show_spinner=False, max_entries=32, hash_funcs=BY_DIGEST)
def _conv_frames(inputs: Inputs) -> tuple[tuple, int]:
    image, kernel, bias, strides, padding, activation = inputs.values
    frames = tuple(islice(conv_steps(image, kernel, bias, strides, padding, activation), MAX_FRAMES))
    return frames, frames[0].total


@st.cache_resource(show_spinner=False, max_entries=32, hash_funcs=BY_DIGEST)  # Shared, as above.
def _pool_frames(inputs: Inputs) -> tuple[tuple, int]:
    x, pool_size, strides, padding, mode = inputs.values
    frames = tuple(islice(pool_steps(x, pool_size, strides, padding, mode), MAX_FRAMES))
    return frames, frames[0].total


def conv_player(
    image: np.ndarray,
    kernel_bank: np.ndarray,
    bias: np.ndarray,
    strides: int,
    padding,
    channel_names: list[str],
    filter_names: list[str],
    key: str,
    activation: str | None = None,
    predict: Callable | None = None,
) -> None:
    """Play (in the browser) and step through (exactly) the convolution of one chosen filter.

    ``activation`` (None or "relu") follows the sum plus bias, as in ``conv2d``; ``predict(frame)``,
    if given, is called in Step by step before the frame's figure and arithmetic (a prediction box).
    """
    count = kernel_bank.shape[3]
    left, right = st.columns(2)
    f = (
        left.selectbox(
            _("Filter to animate"), range(count), format_func=lambda i: filter_names[i], key=f"{key}_anim_filter"
        )
        if count > 1
        else 0
    )
    c = (
        right.radio(
            _("Input channel shown"),
            range(len(channel_names)),
            format_func=lambda i: channel_names[i],
            horizontal=True,
            key=f"{key}_anim_channel",
        )
        if len(channel_names) > 1
        else 0
    )
    inputs = Inputs.of(image, kernel_bank[..., f : f + 1], bias[f : f + 1], strides, padding, activation)
    frames, total = _conv_frames(inputs)
    _frames_note(len(frames), total, FEATURE_MAP_NOTE)
    _conv_views(inputs, c, tuple(channel_names), key, predict)


@st.fragment
def _conv_views(inputs: Inputs, channel: int, channel_names: tuple, key: str, predict: Callable | None) -> None:
    frames, _total = _conv_frames(inputs)
    play, step = _tabs(key)
    if play.open:  # Only the open view runs; a click on the other tab reruns this fragment.
        with play:
            figure = _conv_figure(inputs, channel, channel_names, _speed(key), language())
            _player_chart(figure, frames, key)
    if step.open:
        with step:
            _conv_stepper(inputs, channel, channel_names, key, predict)


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs=BY_DIGEST)
def _conv_figure(inputs: Inputs, channel: int, channel_names: tuple, frame_ms: int, lang: str):
    frames, _total = _conv_frames(inputs)
    padded, pads = frames[0].padded, frames[0].pads
    return conv_player_figure(frames, padded, pads, channel, list(channel_names), frame_ms=frame_ms, language=lang)


def pool_player(
    x: np.ndarray, pool_size: int, strides: int, padding: str, mode: str, key: str, predict: Callable | None = None
) -> None:
    """Play (in the browser) and step through (exactly) the pooling of the first channel of x.

    ``predict(frame)``, if given, is called in Step by step before the frame's figure and arithmetic.
    """
    inputs = Inputs.of(x[:, :, :1], pool_size, strides, padding, mode)
    frames, total = _pool_frames(inputs)
    _frames_note(len(frames), total, POOLED_MAP_NOTE)
    _pool_views(inputs, key, predict)


@st.fragment
def _pool_views(inputs: Inputs, key: str, predict: Callable | None) -> None:
    frames, _total = _pool_frames(inputs)
    play, step = _tabs(key)
    if play.open:  # Only the open view runs, as in _conv_views.
        with play:
            _player_chart(_pool_figure(inputs, _speed(key), language()), frames, key)
    if step.open:
        with step:
            _pool_stepper(inputs, key, predict)


@st.cache_data(show_spinner=False, max_entries=32, hash_funcs=BY_DIGEST)
def _pool_figure(inputs: Inputs, frame_ms: int, lang: str):
    frames, _total = _pool_frames(inputs)
    return pool_player_figure(frames, frames[0].padded[:, :, 0], frames[0].pads, frame_ms=frame_ms, language=lang)


VIEWS = (N_("▶ Play"), N_("🔍 Step by step"))


def _tabs(key: str):
    """The Play and Step by step tabs; they remember the open one, so a click on a cell can open a step.

    Only the open tab's view is drawn, so the other view's speed and step are kept for the session
    (Streamlit forgets a widget's value on a run that does not draw it).
    """
    settings.session_settings(f"{key}_speed", f"{key}_step")
    return lazy.tabs([_(view) for view in VIEWS], f"{key}_view")


def _speed(key: str) -> int:
    """The speed control of Play -> milliseconds a frame."""
    # Labels made during the run: AppTest calls format_func after it, outside any session.
    labels = {s: _("{seconds} s a frame", seconds=number(s, 1)) for s in SPEEDS}
    seconds = st.select_slider(
        _("Speed of Play"),
        SPEEDS,
        value=0.5,
        key=f"{key}_speed",
        format_func=labels.get,
        help=_("How long each step stays on screen while playing."),
    )
    return int(seconds * 1000)


def _player_chart(figure, frames: list, key: str) -> None:
    """The player; a click on an output cell opens that cell's step in the Step by step tab."""
    if figure.frame_count:
        st.caption(_("Click a cell of the output map to see its step worked out in Step by step."))
    cells = {(f.row, f.col): f.index for f in frames}
    st.plotly_chart(
        figure,
        theme=None,
        key=f"{key}_player",
        on_select=functools.partial(_jump, key, cells),
        selection_mode="points",
        alt=_("Animated player of the steps"),
    )


def _jump(key: str, cells: dict) -> None:
    """The selected output cell -> its step, with the Step by step tab open."""
    step = step_of(st.session_state[f"{key}_player"]["selection"]["points"], cells)
    if step is not None:
        st.session_state[f"{key}_step"] = step + 1
        st.session_state[f"{key}_view"] = _(VIEWS[1])


def step_of(points: list, cells: dict) -> int | None:
    """The step index of the first clicked point that is an output cell of ``cells`` ((row, col) -> index)."""
    for point in points:
        if point.get("curve_number", point.get("curveNumber")) != OUTPUT_CELLS_TRACE:
            continue
        cell = (round(point.get("y", -1)), round(point.get("x", -1)))
        if cell in cells:
            return cells[cell]
    return None


FEATURE_MAP_NOTE = N_(
    "This feature map has {total} cells, one step each; Play and Step by step cover the first "
    "{shown} steps to stay quick. The full result below is computed in one go."
)
POOLED_MAP_NOTE = N_(
    "This pooled map has {total} cells, one step each; Play and Step by step cover the first "
    "{shown} steps to stay quick. The full result below is computed in one go."
)


def _frames_note(shown: int, total: int, note: str) -> None:
    if total > shown:
        st.info(_(note, total=total, shown=shown))


def _step_index(frames: list, key: str) -> int:
    """A slider with back / forward buttons over the frames -> the chosen frame's index."""
    slider_key = f"{key}_step"
    last = len(frames)
    st.session_state[slider_key] = min(max(st.session_state.get(slider_key, 1), 1), last)
    if last == 1:
        return 0
    back, forward, _spare = st.columns([1, 1, 4])
    back.button(_("◀ Back"), key=f"{key}_back", on_click=_move, args=(slider_key, -1, last), width="stretch")
    forward.button(_("Forward ▶"), key=f"{key}_forward", on_click=_move, args=(slider_key, 1, last), width="stretch")
    return st.slider(_("Step"), 1, last, key=slider_key) - 1


def _move(slider_key: str, delta: int, last: int) -> None:
    st.session_state[slider_key] = min(max(st.session_state[slider_key] + delta, 1), last)


@st.fragment
def _conv_stepper(inputs: Inputs, channel: int, channel_names: tuple, key, predict=None) -> None:
    frames, _total = _conv_frames(inputs)
    index = _step_index(frames, key)
    frame = frames[index]
    if predict is not None:
        predict(frame)
    st.plotly_chart(_conv_still(inputs, index, channel, channel_names, language()), theme=None, key=f"{key}_still")
    lines = conv_step_latex(frame, list(channel_names), relu_label=None)
    channels = frame.patch.shape[2]
    per_channel = len(lines) - 1 - (frame.activation == "relu")
    for i, line in enumerate(lines):
        if i == 0:
            st.markdown(_(STEP_WORDS["products"]) if channels == 1 else _(STEP_WORDS["channels"], count=channels))
        elif i == per_channel:
            st.markdown(_(STEP_WORDS["bias"]))
        elif i == per_channel + 1:
            st.markdown(_(STEP_WORDS["relu"]))
        st.latex(line)


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=BY_DIGEST)
def _conv_still(inputs: Inputs, index: int, channel: int, channel_names: tuple, lang: str):
    frames, _total = _conv_frames(inputs)
    padded, pads = frames[0].padded, frames[0].pads
    return conv_player_figure([frames[index]], padded, pads, channel, list(channel_names), language=lang)


@st.fragment
def _pool_stepper(inputs: Inputs, key, predict=None) -> None:
    frames, _total = _pool_frames(inputs)
    index = _step_index(frames, key)
    frame = frames[index]
    if predict is not None:
        predict(frame)
    st.plotly_chart(_pool_still(inputs, index, language()), theme=None, key=f"{key}_still")
    st.markdown(_(POOL_WORDS[frame.mode]))
    st.latex(pool_step_latex(frame))


@st.cache_data(show_spinner=False, max_entries=64, hash_funcs=BY_DIGEST)
def _pool_still(inputs: Inputs, index: int, lang: str):
    frames, _total = _pool_frames(inputs)
    return pool_player_figure([frames[index]], frames[0].padded[:, :, 0], frames[0].pads, language=lang)


# The words beside the step-by-step LaTeX (KaTeX shows no Hangul, so they stay outside the math).
STEP_WORDS = {
    "products": N_("The patch times the kernel, cell by cell, and the sum of the products:"),
    "channels": N_("Per input channel ({count} of them): the patch times that channel's kernel slice, and the sum:"),
    "bias": N_("The sum (over all channels) plus the filter's bias gives the output cell:"),
    "relu": N_("ReLU keeps a positive sum and turns a negative one into 0:"),
}
POOL_WORDS = {
    "max": N_("Max pooling keeps the largest value of the window (padded cells, shown as dots, are left out):"),
    "average": N_(
        "Average pooling takes the mean of the window's real cells (padded cells, shown as dots, are left out):"
    ),
}
