"""The frame players of the concept pages: Play in the browser, or step through one cell exactly."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice

import numpy as np
import streamlit as st

from cnn_core.figures.players import conv_player_figure, pool_player_figure
from cnn_core.ops.formulas import conv_step_latex, pool_step_latex
from cnn_core.ops.steps import conv_steps, pool_steps
from ui.i18n import N_, _, language

MAX_FRAMES = 400


@st.cache_data(show_spinner=False, max_entries=32)
def _conv_frames(image, kernel, bias, strides, padding, activation=None) -> tuple[list, int]:
    frames = list(islice(conv_steps(image, kernel, bias, strides, padding, activation), MAX_FRAMES))
    return frames, frames[0].total


@st.cache_data(show_spinner=False, max_entries=32)
def _pool_frames(x, pool_size, strides, padding, mode) -> tuple[list, int]:
    frames = list(islice(pool_steps(x, pool_size, strides, padding, mode), MAX_FRAMES))
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
    frames, total = _conv_frames(image, kernel_bank[..., f : f + 1], bias[f : f + 1], strides, padding, activation)
    padded, pads = frames[0].padded, frames[0].pads
    _frames_note(len(frames), total, FEATURE_MAP_NOTE)
    play, step = st.tabs([_("▶ Play"), _("🔍 Step by step")])
    with play:
        figure = conv_player_figure(frames, padded, pads, c, channel_names, language=language())
        st.plotly_chart(figure, theme=None, key=f"{key}_player")
    with step:
        _conv_stepper(frames, padded, pads, c, channel_names, key, predict)


def pool_player(
    x: np.ndarray, pool_size: int, strides: int, padding: str, mode: str, key: str, predict: Callable | None = None
) -> None:
    """Play (in the browser) and step through (exactly) the pooling of the first channel of x.

    ``predict(frame)``, if given, is called in Step by step before the frame's figure and arithmetic.
    """
    frames, total = _pool_frames(x[:, :, :1], pool_size, strides, padding, mode)
    padded, pads = frames[0].padded[:, :, 0], frames[0].pads
    _frames_note(len(frames), total, POOLED_MAP_NOTE)
    play, step = st.tabs([_("▶ Play"), _("🔍 Step by step")])
    with play:
        st.plotly_chart(pool_player_figure(frames, padded, pads, language=language()), theme=None, key=f"{key}_player")
    with step:
        _pool_stepper(frames, padded, pads, key, predict)


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
def _conv_stepper(frames, padded, pads, channel, channel_names, key, predict=None) -> None:
    frame = frames[_step_index(frames, key)]
    if predict is not None:
        predict(frame)
    figure = conv_player_figure([frame], padded, pads, channel, channel_names, language=language())
    st.plotly_chart(figure, theme=None, key=f"{key}_still")
    lines = conv_step_latex(frame, channel_names, relu_label=None)
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


@st.fragment
def _pool_stepper(frames, padded, pads, key, predict=None) -> None:
    frame = frames[_step_index(frames, key)]
    if predict is not None:
        predict(frame)
    st.plotly_chart(pool_player_figure([frame], padded, pads, language=language()), theme=None, key=f"{key}_still")
    st.markdown(_(POOL_WORDS[frame.mode]))
    st.latex(pool_step_latex(frame))


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
