"""The frame players of the concept pages: Play in the browser, or step through one cell exactly."""

from __future__ import annotations

from itertools import islice

import numpy as np
import streamlit as st

from cnn_core.figures.players import conv_player_figure, pool_player_figure
from cnn_core.ops.formulas import conv_step_latex, pool_step_latex
from cnn_core.ops.steps import conv_steps, pool_steps

MAX_FRAMES = 400


@st.cache_data(show_spinner=False, max_entries=32)
def _conv_frames(image, kernel, bias, strides, padding) -> tuple[list, int]:
    frames = list(islice(conv_steps(image, kernel, bias, strides, padding), MAX_FRAMES))
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
) -> None:
    """Play (in the browser) and step through (exactly) the convolution of one chosen filter."""
    count = kernel_bank.shape[3]
    left, right = st.columns(2)
    f = (
        left.selectbox(
            "Filter to animate", range(count), format_func=lambda i: filter_names[i], key=f"{key}_anim_filter"
        )
        if count > 1
        else 0
    )
    c = (
        right.radio(
            "Input channel shown",
            range(len(channel_names)),
            format_func=lambda i: channel_names[i],
            horizontal=True,
            key=f"{key}_anim_channel",
        )
        if len(channel_names) > 1
        else 0
    )
    frames, total = _conv_frames(image, kernel_bank[..., f : f + 1], bias[f : f + 1], strides, padding)
    padded, pads = frames[0].padded, frames[0].pads
    _frames_note(len(frames), total, "feature map")
    play, step = st.tabs(["▶ Play", "🔍 Step by step"])
    with play:
        st.plotly_chart(conv_player_figure(frames, padded, pads, c, channel_names), theme=None, key=f"{key}_player")
    with step:
        _conv_stepper(frames, padded, pads, c, channel_names, key)


def pool_player(x: np.ndarray, pool_size: int, strides: int, padding: str, mode: str, key: str) -> None:
    """Play (in the browser) and step through (exactly) the pooling of the first channel of x."""
    frames, total = _pool_frames(x[:, :, :1], pool_size, strides, padding, mode)
    padded, pads = frames[0].padded[:, :, 0], frames[0].pads
    _frames_note(len(frames), total, "pooled map")
    play, step = st.tabs(["▶ Play", "🔍 Step by step"])
    with play:
        st.plotly_chart(pool_player_figure(frames, padded, pads), theme=None, key=f"{key}_player")
    with step:
        _pool_stepper(frames, padded, pads, key)


def _frames_note(shown: int, total: int, what: str) -> None:
    if total > shown:
        st.info(
            f"This {what} has {total} cells, one step each; Play and Step by step cover the first "
            f"{shown} steps to stay quick. The full result below is computed in one go."
        )


def _step_index(frames: list, key: str) -> int:
    """A slider with back / forward buttons over the frames -> the chosen frame's index."""
    slider_key = f"{key}_step"
    last = len(frames)
    st.session_state[slider_key] = min(max(st.session_state.get(slider_key, 1), 1), last)
    if last == 1:
        return 0
    back, forward, _ = st.columns([1, 1, 4])
    back.button("◀ Back", key=f"{key}_back", on_click=_move, args=(slider_key, -1, last), width="stretch")
    forward.button("Forward ▶", key=f"{key}_forward", on_click=_move, args=(slider_key, 1, last), width="stretch")
    return st.slider("Step", 1, last, key=slider_key) - 1


def _move(slider_key: str, delta: int, last: int) -> None:
    st.session_state[slider_key] = min(max(st.session_state[slider_key] + delta, 1), last)


@st.fragment
def _conv_stepper(frames, padded, pads, channel, channel_names, key) -> None:
    frame = frames[_step_index(frames, key)]
    st.plotly_chart(conv_player_figure([frame], padded, pads, channel, channel_names), theme=None, key=f"{key}_still")
    for line in conv_step_latex(frame, channel_names):
        st.latex(line)


@st.fragment
def _pool_stepper(frames, padded, pads, key) -> None:
    frame = frames[_step_index(frames, key)]
    st.plotly_chart(pool_player_figure([frame], padded, pads), theme=None, key=f"{key}_still")
    st.latex(pool_step_latex(frame))
