"""Animated players over step frames: the window moves, the arithmetic shows, the output fills in.

``conv_player_figure`` and ``pool_player_figure`` turn step frames from ``cnn_core.ops.steps``
into one figure with plotly animation frames, a slider and Play/Pause buttons, so the browser plays
and scrubs them without asking the server. Each animation frame only moves the window, redraws the
small middle panel and moves a cover that hides the output cells not computed yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from cnn_core.figures.grids import padded_traces
from cnn_core.figures.spec import (
    SpecFigure,
    base_layout,
    box_xy,
    cell_text,
    fit_height,
    grid_axes,
    heatmap,
    lines,
    nan_to_none,
    on_panel,
    scale,
    split_domains,
)
from cnn_core.figures.style import BACKGROUND, CELL_COLOR, DIVERGING, WINDOW_COLOR
from cnn_core.i18n import N_, translate
from cnn_core.ops.formulas import format_value

# The last trace of a player: an invisible marker on each output cell, over the others, so that a
# click on a cell selects it (plotly.js heatmaps cannot be selected) and names its step.
OUTPUT_CELLS_TRACE = 8
TITLE_LINE_CHARS = 80  # A step's written-out sum is wrapped at about this many characters a line.


class _View(NamedTuple):
    """What one player frame shows: the window, the middle panel and the output cell."""

    top: int
    left: int
    height: int
    width: int
    row: int
    col: int
    middle: np.ndarray  # (kh, kw) numbers of the middle panel
    middle_text: list[list[str]]  # (kh, kw) their labels
    title: str


def conv_player_figure(
    frames: Sequence,
    padded: np.ndarray,
    pads: tuple[int, int, int, int],
    channel: int = 0,
    channel_names: Sequence[str] | None = None,
    frame_ms: int = 500,
    decimals: int = 2,
    relu_label: str = "ReLU",
    language: str = "en",
) -> SpecFigure:
    """An animated player over the ``ConvStep`` frames of one filter.

    ``padded`` is the padded (Hp, Wp, C_in) input and ``pads`` its (top, bottom, left, right)
    zeros. The left panel shows ``channel`` with the window, the middle panel that channel's
    patch x kernel products, the right panel the feature map filling in, and the title each
    step's per-channel sums plus the bias, then ``relu_label``: max(0, sum) when the frames have
    a ReLU. Its words are in ``language``.
    """
    frames = _one_output_channel(frames, "filter")
    names = list(
        channel_names or [translate(N_("channel {number}"), language, number=c + 1) for c in range(padded.shape[2])]
    )
    views = [_conv_view(f, channel, names, decimals, relu_label, language) for f in frames]
    spread = max(float(np.abs(f.products[:, :, channel]).max()) for f in frames) or 1.0
    which = names[channel] if padded.shape[2] > 1 else None
    middle_title = (
        translate(N_("patch × kernel ({channel})"), language, channel=which)
        if which
        else translate(N_("patch × kernel"), language)
    )
    middle = dict(colorscale=DIVERGING, zmin=-spread, zmax=spread, title=middle_title)
    output = frames[-1].partial_output[:, :, frames[-1].filter]
    return _player_figure(
        views,
        padded[:, :, channel],
        pads,
        output,
        middle,
        _input_title(pads, which, language),
        translate(N_("feature map"), language),
        frame_ms,
        decimals,
        "0",
        out_scale=DIVERGING,
        language=language,
    )


def pool_player_figure(
    frames: Sequence,
    padded: np.ndarray,
    pads: tuple[int, int, int, int],
    frame_ms: int = 500,
    decimals: int = 2,
    language: str = "en",
) -> SpecFigure:
    """An animated player over the ``PoolStep`` frames of one channel.

    ``padded`` is the (Hp, Wp) channel with NaN where "same" padding added cells. The middle
    panel shows the window's numbers with the maximum in brackets (or their mean in the title),
    the right panel the pooled map filling in, on the input's colour scale.
    """
    frames = _one_output_channel(frames, "channel")
    padded = np.asarray(padded, dtype=float)
    views = [_pool_view(f, decimals, language) for f in frames]
    finite = padded[np.isfinite(padded)]
    low, high = float(finite.min()), float(finite.max())
    middle = dict(colorscale="gray", zmin=low, zmax=high, title=translate(N_("window"), language))
    output = frames[-1].partial_output[:, :, frames[-1].channel]
    return _player_figure(
        views,
        padded,
        pads,
        output,
        middle,
        _input_title(pads, None, language),
        translate(POOLING_TITLES[frames[0].mode], language),
        frame_ms,
        decimals,
        "-",
        out_scale="gray",
        zrange=(low, high),
        language=language,
    )


POOLING_TITLES = {"max": N_("max pooling"), "average": N_("average pooling")}


def _input_title(pads, channel: str | None, language: str) -> str:
    """The left panel's title: the (padded) input, and the channel shown when there are several."""
    if channel is None:
        return translate(N_("padded input") if any(pads) else N_("input"), language)
    template = N_("padded input ({channel})") if any(pads) else N_("input ({channel})")
    return translate(template, language, channel=channel)


def _conv_view(frame, channel: int, names: list[str], decimals: int, relu_label: str, language: str) -> _View:
    kh, kw = frame.kernel.shape[:2]
    products = frame.products[:, :, channel]
    cells = zip(
        frame.patch[:, :, channel].ravel().tolist(),
        frame.kernel[:, :, channel].ravel().tolist(),
        products.ravel().tolist(),
    )
    labels = [
        f"{format_value(p, decimals)}×{format_value(k, decimals)}<br>={format_value(x, decimals)}" for p, k, x in cells
    ]
    text = [labels[i * kw : (i + 1) * kw] for i in range(kh)]
    if len(frame.channel_sums) == 1:
        sums = f"Σ = {format_value(frame.channel_sums[0], decimals)}"
    else:
        sums = " + ".join(f"{format_value(s, decimals)} ({names[c]})" for c, s in enumerate(frame.channel_sums))
        sums = _wrapped(sums, " + ")
    total = format_value(frame.pre_activation, decimals)
    if frame.activation == "relu":
        total += f" → {relu_label}: max(0, {total}) = <b>{format_value(frame.value, decimals)}</b>"
    else:
        total = f"<b>{total}</b>"
    title = translate(
        N_("step {step} of {total}: out[{row}, {col}] = {sums} + bias {bias} = {result}"),
        language,
        step=frame.index + 1,
        total=frame.total,
        row=frame.row,
        col=frame.col,
        sums=sums,
        bias=format_value(frame.bias, decimals),
        result=total,
    )
    return _View(frame.top, frame.left, kh, kw, frame.row, frame.col, products, text, title)


def _wrapped(text: str, joint: str, width: int = TITLE_LINE_CHARS) -> str:
    """``text`` with a line break after a ``joint`` wherever a line would pass ``width`` characters.

    Plotly never wraps a title, so a long written-out sum (many channels) ran off the right edge.
    """
    lines, line = [], ""
    for term in text.split(joint):
        if line and len(line) + len(joint) + len(term) > width:
            lines.append(line + joint.rstrip())
            line = term
        else:
            line = f"{line}{joint}{term}" if line else term
    return "<br>".join([*lines, line])


def _pool_view(frame, decimals: int, language: str) -> _View:
    window = frame.window
    text = [[t or "-" for t in row] for row in cell_text(window, decimals)]
    if frame.argmax is not None:
        i, j = frame.argmax
        text[i][j] = f"<b>[{text[i][j]}]</b>"
        how = translate(N_("max of the window"), language)
    else:
        total = format_value(np.nansum(window), decimals)
        how = translate(N_("sum / {count} = {total} / {count}"), language, count=frame.count, total=total)
    title = translate(
        N_("step {step} of {total}: out[{row}, {col}] = {how} = <b>{value}</b>"),
        language,
        step=frame.index + 1,
        total=frame.total,
        row=frame.row,
        col=frame.col,
        how=how,
        value=format_value(frame.value, decimals),
    )
    return _View(frame.top, frame.left, window.shape[0], window.shape[1], frame.row, frame.col, window, text, title)


def _player_figure(
    views: list[_View],
    padded: np.ndarray,
    pads,
    output: np.ndarray,
    middle: dict,
    left_title: str,
    out_title: str,
    frame_ms: int,
    decimals: int,
    pad_label: str,
    out_scale: str,
    zrange: tuple[float, float] | None = None,
    language: str = "en",
) -> SpecFigure:
    """Three panels (padded input with window | middle numbers | output filling in) + animation."""
    first = views[0]
    shapes = [padded.shape, (first.height, first.width), output.shape]
    # Panels as wide as their grids, but the middle one never so narrow that its numbers vanish.
    widest = max(padded.shape[1], output.shape[1])
    x_domains = split_domains(1.0, [padded.shape[1] + 2, max(first.width + 2, 0.6 * widest), output.shape[1] + 2], 0.06)
    low, high = zrange if zrange else (None, None)
    traces = padded_traces(padded, pads, "gray", low, high, decimals, pad_label, language)
    animated = [len(traces), len(traces) + 1, len(traces) + 3, len(traces) + 4]  # Traces the frames replace.
    traces += [
        lines(
            box_xy(first.top, first.left, first.height, first.width), WINDOW_COLOR, 4, translate(N_("window"), language)
        ),
        dict(
            type="heatmap",
            z=first.middle,
            text=first.middle_text,
            texttemplate="%{text}",
            showscale=False,
            colorscale=scale(middle["colorscale"]),
            zmin=middle["zmin"],
            zmax=middle["zmax"],
            hoverinfo="skip",
            xgap=1,
            ygap=1,
            **on_panel(1),
        ),
        dict(
            heatmap(output, out_scale, low, high, decimals, zmid=None if zrange else 0.0, language=language),
            **on_panel(2),
        ),
        dict(
            type="scatter",
            mode="lines",
            fill="toself",
            fillcolor=BACKGROUND,
            line=dict(width=0),
            hoverinfo="skip",
            name=translate(N_("not computed yet"), language),
            **_cover_xy(first, output.shape),
            **on_panel(2),
        ),
        dict(
            lines(box_xy(first.row, first.col, 1, 1), CELL_COLOR, 4, translate(N_("current cell"), language)),
            **on_panel(2),
        ),
        _cells_trace(output, decimals, language),
    ]
    axes = grid_axes(x_domains, shapes, titles=[left_title, middle["title"], out_title])
    title_lines = max(view.title.count("<br>") for view in views) + 1
    height = fit_height(x_domains, shapes, 120) + (110 if len(views) > 1 else 0) + 20 * (title_lines - 1)
    layout = base_layout(first.title, height, axes)
    layout["margin"].update(t=layout["margin"]["t"] + 20 * (title_lines - 1), b=60)  # b: ticks and axis titles
    if len(views) == 1:
        return SpecFigure(traces, layout)
    frames = [
        dict(
            name=str(i),
            traces=animated,
            layout=dict(title=dict(text=view.title)),
            data=[
                dict(type="scatter", **box_xy(view.top, view.left, view.height, view.width)),
                dict(type="heatmap", z=nan_to_none(view.middle), text=view.middle_text),
                dict(type="scatter", **_cover_xy(view, output.shape)),
                dict(type="scatter", **box_xy(view.row, view.col, 1, 1)),
            ],
        )
        for i, view in enumerate(views)
    ]
    controls = _player_controls(len(views), frame_ms, language)
    controls["margin"]["t"] = layout["margin"]["t"]
    return SpecFigure(traces, {**layout, **controls}, frames)


def _player_controls(count: int, frame_ms: int, language: str = "en") -> dict:
    """Play/Pause buttons and a slider over ``count`` animation frames, as layout entries."""
    step_args = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    play = dict(frame=dict(duration=frame_ms, redraw=True), transition=dict(duration=0), fromcurrent=True)
    pause = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    return dict(
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                x=0,
                y=0,
                xanchor="left",
                yanchor="top",
                showactive=False,
                pad=dict(t=70, r=8),
                buttons=[
                    dict(label=translate(N_("▶ Play"), language), method="animate", args=[None, play]),
                    dict(label=translate(N_("❚❚ Pause"), language), method="animate", args=[[None], pause]),
                ],
            )
        ],
        sliders=[
            dict(
                active=0,
                x=0.2,
                len=0.8,
                y=0,
                yanchor="top",
                pad=dict(t=60),
                currentvalue=dict(prefix=translate(N_("step "), language), font=dict(size=13)),
                font=dict(size=1, color="rgba(0,0,0,0)"),
                ticklen=0,
                minorticklen=0,
                steps=[dict(label=str(i + 1), method="animate", args=[[str(i)], step_args]) for i in range(count)],
            )
        ],
        margin=dict(l=30, r=10, t=50, b=140),
    )


def _cells_trace(output: np.ndarray, decimals: int, language: str) -> dict:
    """Transparent markers on the output cells' centres, for clicks; their hover gives the cell's value."""
    rows, cols = np.indices(output.shape)
    return dict(
        type="scatter",
        mode="markers",
        x=cols.ravel().astype(np.int32),
        y=rows.ravel().astype(np.int32),
        marker=dict(size=14, color="rgba(0,0,0,0)"),
        selected=dict(marker=dict(opacity=1)),
        unselected=dict(marker=dict(opacity=1)),
        customdata=[format_value(v, decimals) for v in output.ravel().tolist()],
        hovertemplate=translate(N_("out[%{y}, %{x}] = %{customdata}: click to open its step"), language)
        + "<extra></extra>",
        name=translate(N_("output cells"), language),
        **on_panel(2),
    )


def _cover_xy(view: _View, out_shape) -> dict:
    """Outlines of the output cells after ``view``'s (row-by-row order), to be filled over."""
    h, w = out_shape
    xs, ys = [], []
    if view.col + 1 < w:  # The rest of the current row.
        box = box_xy(view.row, view.col + 1, 1, w - view.col - 1)
        xs, ys = xs + box["x"] + [None], ys + box["y"] + [None]
    if view.row + 1 < h:  # All rows below.
        box = box_xy(view.row + 1, 0, h - view.row - 1, w)
        xs, ys = xs + box["x"] + [None], ys + box["y"] + [None]
    return dict(x=xs or [None], y=ys or [None])


def _one_output_channel(frames: Sequence, attribute: str) -> list:
    frames = list(frames)
    if not frames:
        raise ValueError("the player needs at least one frame")
    channels = {getattr(f, attribute) for f in frames}
    if len(channels) != 1:
        raise ValueError(
            f"a player shows one output {attribute} at a time, got frames of {sorted(channels)}; "
            f"slice the kernels or the input to one {attribute} before making the steps"
        )
    return frames
