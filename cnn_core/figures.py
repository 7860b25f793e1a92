"""Plotly figures of the concept pages: plain functions that take arrays and return a figure.

Grids are drawn as heatmaps with row 0 at the top and square cells. Small grids get their values
written in the cells; above ``TEXT_CELLS_MAX`` cells or ``TEXT_SIDE_MAX`` cells a side only
hovering shows them, which keeps the figures small and the numbers readable. Padding cells are
drawn in their own colour with their value ("0", or "-" for pooling, which leaves them out), and
the real input is outlined with a dashed line.

The players (``conv_player_figure``, ``pool_player_figure``) turn step frames from
``cnn_core.steps`` into one figure with plotly animation frames, a slider and Play/Pause buttons,
so the browser plays and scrubs them without asking the server. Each animation frame only moves
the window, redraws the small middle panel and moves a cover that hides the output cells not
computed yet.

The figures are written as plotly.js specs (dicts of numpy arrays) and wrapped without plotly.py's
validation, which would cost about a millisecond per trace or frame and most of a page's rerun.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

TEXT_CELLS_MAX = 400
TEXT_SIDE_MAX = 18
PLOT_WIDTH = 700  # The width a figure is laid out for (a centred Streamlit page); heights follow it.
BACKGROUND = "#f4f4f4"
PAD_COLOR = "#bcd7f2"
WINDOW_COLOR = "#e4572e"
CELL_COLOR = "#ffb000"
UNVISITED_COLOR = "#d62728"
OUTLINE_COLOR = "#1f4e79"
FONT = dict(family="Source Sans Pro, sans-serif", size=13, color="#31333f")


class PlayerFigure(go.Figure):
    """A figure whose animation frames, buttons and slider stay plain dicts until serialised.

    They are merged in by ``to_dict``, which ``st.plotly_chart``, ``plotly.io.to_json`` and
    pickling all go through; ``frame_count`` says how many frames it plays.
    """

    def __init__(self, data=None, layout=None, raw_frames=(), raw_layout=None):
        super().__init__(data=data, layout=layout, _validate=False)
        self._raw_frames = list(raw_frames)
        self._raw_layout = dict(raw_layout or {})

    @property
    def frame_count(self) -> int:
        """How many animation frames the figure plays."""
        return len(self._raw_frames)

    def to_dict(self) -> dict:
        """The figure as a plotly.js spec, with the animation frames, buttons and slider."""
        spec = super().to_dict()
        spec["layout"].update(self._raw_layout)
        if self._raw_frames:
            spec["frames"] = list(self._raw_frames)
        return spec

    def __reduce__(self):
        static = super().to_dict()
        return (PlayerFigure, (static["data"], static["layout"], self._raw_frames, self._raw_layout))


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


def format_value(value: float, decimals: int = 2) -> str:
    """A number as short text: integers without decimals, others rounded; NaN as an empty string."""
    if value is None:
        return ""
    value = float(value)
    if not math.isfinite(value):
        return ""
    if value.is_integer():
        return str(int(value))
    text = f"{value:.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def cell_text(values: np.ndarray, decimals: int = 2) -> list[list[str]]:
    """A (H, W) array -> rows of cell labels (empty where NaN).

    Plain lists, not object arrays: orjson, which plotly uses when installed, serialises them
    directly instead of falling back to a slow walk over the whole figure.
    """
    return [[format_value(v, decimals) for v in row] for row in np.asarray(values, dtype=float).tolist()]


def window_coverage(padded_shape: tuple[int, int], corners: Sequence[tuple[int, int]], kernel_size) -> np.ndarray:
    """How many windows cover each cell of the padded input: (Hp, Wp) ints; 0 = never seen.

    ``corners`` are the (top, left) of the windows visited, e.g. from the frames of ``conv_steps``.

    >>> window_coverage((3, 4), [(0, 0), (0, 2)], 2).tolist()
    [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0]]
    """
    kh, kw = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
    counts = np.zeros(padded_shape, dtype=int)
    for top, left in corners:
        counts[top:top + kh, left:left + kw] += 1
    return counts


def grid_figure(values: np.ndarray, title: str = "", colorscale="Viridis", zmin=None, zmax=None,
                zmid=None, decimals: int = 2, height: int | None = None) -> go.Figure:
    """A (H, W) array as a heatmap with its values written in the cells (when small enough)."""
    values = _as_2d(values, "values")
    traces = [_heatmap(values, colorscale, zmin, zmax, decimals, zmid=zmid, showscale=values.size > TEXT_CELLS_MAX)]
    layout = _layout(title, height or _grid_height(values.shape), _axes([(0.0, 1.0)], [values.shape]))
    return go.Figure(data=traces, layout=layout, _validate=False)


def padded_figure(padded: np.ndarray, pads: tuple[int, int, int, int], title: str = "",
                  windows: Sequence[tuple[int, int, int, int]] = (), colorscale="gray", zmin=None,
                  zmax=None, decimals: int = 2, pad_label: str = "0", coverage: np.ndarray | None = None,
                  height: int | None = None) -> go.Figure:
    """A padded (Hp, Wp) input with the padding drawn apart and window rectangles on top.

    ``pads`` is (top, bottom, left, right); ``windows`` are (top, left, kh, kw) rectangles, the
    first drawn bold and the others thin, in one trace. With ``coverage`` (Hp, Wp), real cells
    that no window covers are marked.
    """
    padded = _as_2d(padded, "padded")
    traces = _padded_traces(padded, pads, colorscale, zmin, zmax, decimals, pad_label)
    if coverage is not None:
        traces.append(_unvisited_trace(np.asarray(coverage), pads))
    if windows:
        traces.append(_lines(_box_xy(*windows[0]), WINDOW_COLOR, 4, "first window"))
    if len(windows) > 1:  # All the others in one trace, however many there are.
        boxes = [_box_xy(*window) for window in windows[1:]]
        xy = dict(x=[v for b in boxes for v in b["x"] + [None]], y=[v for b in boxes for v in b["y"] + [None]])
        traces.append(_lines(xy, WINDOW_COLOR, 1.5, "windows"))
    layout = _layout(title, height or _grid_height(padded.shape), _axes([(0.0, 1.0)], [padded.shape]))
    return go.Figure(data=traces, layout=layout, _validate=False)


def feature_maps_figure(maps: np.ndarray, titles: Sequence[str], colorscale="RdBu_r", zmid=0.0,
                        decimals: int = 2, columns: int = 4, height: int | None = None) -> go.Figure:
    """All channels of an (H, W, C) array side by side, each on its own colour range."""
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3 or len(titles) != maps.shape[2]:
        raise ValueError(f"maps must be (H, W, C) with one title per channel, "
                         f"got {maps.shape} and {len(titles)} titles")
    count = maps.shape[2]
    cols = min(count, columns)
    rows = math.ceil(count / cols)
    x_domains = _split(1.0, [1.0] * cols, 0.04)
    y_domains = _split(1.0, [1.0] * rows, 0.16 / rows)[::-1]  # Row 0 at the top.
    domains = [(x_domains[i % cols], y_domains[i // cols]) for i in range(count)]
    traces = [dict(_heatmap(maps[:, :, i], colorscale, None, None, decimals, zmid=zmid), **_on(i))
              for i in range(count)]
    axes = _axes([d[0] for d in domains], [maps.shape[:2]] * count, [d[1] for d in domains])
    panel = _fit_height(x_domains[:1], [maps.shape[:2]], 0)
    layout = _layout("", height or min(rows * (panel + 40) + 30, 1400), axes, _titles(titles, domains))
    return go.Figure(data=traces, layout=layout, _validate=False)


def images_figure(images: Sequence[np.ndarray], titles: Sequence[str], colorscale="gray", zmin=None,
                  zmax=None, height: int | None = None) -> go.Figure:
    """Several (H, W) arrays of possibly different sizes side by side, on one colour scale."""
    if len(images) != len(titles) or not images:
        raise ValueError(f"need one title per image, got {len(images)} images and {len(titles)} titles")
    images = [_as_2d(image, "image") for image in images]
    x_domains = _split(1.0, [im.shape[1] for im in images], 0.05)
    traces = [dict(_heatmap(im, colorscale, zmin, zmax, 2, text=False), **_on(i)) for i, im in enumerate(images)]
    axes = _axes(x_domains, [im.shape for im in images], [(0.0, 0.9)] * len(images), ticks=5)
    domains = [(x, (0.0, 0.9)) for x in x_domains]
    fitted = _fit_height(x_domains, [im.shape for im in images], 0) / 0.9
    layout = _layout("", height or int(fitted) + 70, axes, _titles(titles, domains))
    return go.Figure(data=traces, layout=layout, _validate=False)


def conv_player_figure(frames: Sequence, padded: np.ndarray, pads: tuple[int, int, int, int],
                       channel: int = 0, channel_names: Sequence[str] | None = None,
                       frame_ms: int = 500, decimals: int = 2) -> PlayerFigure:
    """An animated player over the ``ConvStep`` frames of one filter.

    ``padded`` is the padded (Hp, Wp, C_in) input and ``pads`` its (top, bottom, left, right)
    zeros. The left panel shows ``channel`` with the window, the middle panel that channel's
    patch x kernel products, the right panel the feature map filling in, and the title each
    step's per-channel sums plus the bias.
    """
    frames = _one_output_channel(frames, "filter")
    names = list(channel_names or [f"channel {c + 1}" for c in range(padded.shape[2])])
    views = [_conv_view(f, channel, names, decimals) for f in frames]
    spread = max(float(np.abs(f.products[:, :, channel]).max()) for f in frames) or 1.0
    which = f" ({names[channel]})" if padded.shape[2] > 1 else ""
    middle = dict(colorscale="RdBu_r", zmin=-spread, zmax=spread, title=f"patch × kernel{which}")
    output = frames[-1].partial_output[:, :, frames[-1].filter]
    left = ("padded input" if any(pads) else "input") + which
    return _player_figure(views, padded[:, :, channel], pads, output, middle, left, "feature map", frame_ms,
                          decimals, "0", out_scale="RdBu_r")


def pool_player_figure(frames: Sequence, padded: np.ndarray, pads: tuple[int, int, int, int],
                       frame_ms: int = 500, decimals: int = 2) -> PlayerFigure:
    """An animated player over the ``PoolStep`` frames of one channel.

    ``padded`` is the (Hp, Wp) channel with NaN where "same" padding added cells. The middle
    panel shows the window's numbers with the maximum in brackets (or their mean in the title),
    the right panel the pooled map filling in, on the input's colour scale.
    """
    frames = _one_output_channel(frames, "channel")
    padded = np.asarray(padded, dtype=float)
    views = [_pool_view(f, decimals) for f in frames]
    finite = padded[np.isfinite(padded)]
    low, high = float(finite.min()), float(finite.max())
    middle = dict(colorscale="gray", zmin=low, zmax=high, title="window")
    output = frames[-1].partial_output[:, :, frames[-1].channel]
    left = "padded input" if any(pads) else "input"
    return _player_figure(views, padded, pads, output, middle, left, f"{frames[0].mode} pooling",
                          frame_ms, decimals, "-", out_scale="gray", zrange=(low, high))


def _conv_view(frame, channel: int, names: list[str], decimals: int) -> _View:
    kh, kw = frame.kernel.shape[:2]
    products = frame.products[:, :, channel]
    cells = zip(frame.patch[:, :, channel].ravel().tolist(), frame.kernel[:, :, channel].ravel().tolist(),
                products.ravel().tolist())
    labels = [f"{format_value(p, decimals)}×{format_value(k, decimals)}<br>={format_value(x, decimals)}"
              for p, k, x in cells]
    text = [labels[i * kw:(i + 1) * kw] for i in range(kh)]
    if len(frame.channel_sums) == 1:
        sums = f"Σ = {format_value(frame.channel_sums[0], decimals)}"
    else:
        sums = " + ".join(f"{format_value(s, decimals)} ({names[c]})" for c, s in enumerate(frame.channel_sums))
    title = (f"step {frame.index + 1} of {frame.total}: out[{frame.row}, {frame.col}] = {sums}"
             f" + bias {format_value(frame.bias, decimals)} = <b>{format_value(frame.value, decimals)}</b>")
    return _View(frame.top, frame.left, kh, kw, frame.row, frame.col, products, text, title)


def _pool_view(frame, decimals: int) -> _View:
    window = frame.window
    text = [[t or "-" for t in row] for row in cell_text(window, decimals)]
    if frame.argmax is not None:
        i, j = frame.argmax
        text[i][j] = f"<b>[{text[i][j]}]</b>"
        how = "max of the window"
    else:
        how = f"sum / {frame.count} = {format_value(np.nansum(window), decimals)} / {frame.count}"
    title = (f"step {frame.index + 1} of {frame.total}: out[{frame.row}, {frame.col}] = {how}"
             f" = <b>{format_value(frame.value, decimals)}</b>")
    return _View(frame.top, frame.left, window.shape[0], window.shape[1], frame.row, frame.col,
                 window, text, title)


def _player_figure(views: list[_View], padded: np.ndarray, pads, output: np.ndarray, middle: dict,
                   left_title: str, out_title: str, frame_ms: int, decimals: int, pad_label: str,
                   out_scale: str, zrange: tuple[float, float] | None = None) -> PlayerFigure:
    """Three panels (padded input with window | middle numbers | output filling in) + animation."""
    first = views[0]
    shapes = [padded.shape, (first.height, first.width), output.shape]
    # Panels as wide as their grids, but the middle one never so narrow that its numbers vanish.
    widest = max(padded.shape[1], output.shape[1])
    x_domains = _split(1.0, [padded.shape[1] + 2, max(first.width + 2, 0.6 * widest), output.shape[1] + 2], 0.06)
    low, high = zrange if zrange else (None, None)
    traces = _padded_traces(padded, pads, "gray", low, high, decimals, pad_label)
    animated = [len(traces), len(traces) + 1, len(traces) + 3, len(traces) + 4]  # Traces the frames replace.
    traces += [
        _lines(_box_xy(first.top, first.left, first.height, first.width), WINDOW_COLOR, 4, "window"),
        dict(type="heatmap", z=first.middle, text=first.middle_text, texttemplate="%{text}", showscale=False,
             colorscale=_scale(middle["colorscale"]), zmin=middle["zmin"], zmax=middle["zmax"], hoverinfo="skip",
             xgap=1, ygap=1, **_on(1)),
        dict(_heatmap(output, out_scale, low, high, decimals, zmid=None if zrange else 0.0), **_on(2)),
        dict(type="scatter", mode="lines", fill="toself", fillcolor=BACKGROUND, line=dict(width=0),
             hoverinfo="skip", name="not computed yet", **_cover_xy(first, output.shape), **_on(2)),
        dict(_lines(_box_xy(first.row, first.col, 1, 1), CELL_COLOR, 4, "current cell"), **_on(2)),
    ]
    axes = _axes(x_domains, shapes, titles=[left_title, middle["title"], out_title])
    height = _fit_height(x_domains, shapes, 90) + (90 if len(views) > 1 else 0)
    layout = _layout(first.title, height, axes)
    if len(views) == 1:
        return PlayerFigure(traces, layout)
    frames = [dict(name=str(i), traces=animated, layout=dict(title=dict(text=view.title)), data=[
        dict(type="scatter", **_box_xy(view.top, view.left, view.height, view.width)),
        dict(type="heatmap", z=_nan_to_none(view.middle), text=view.middle_text),
        dict(type="scatter", **_cover_xy(view, output.shape)),
        dict(type="scatter", **_box_xy(view.row, view.col, 1, 1)),
    ]) for i, view in enumerate(views)]
    return PlayerFigure(traces, layout, frames, _player_controls(len(views), frame_ms))


def _player_controls(count: int, frame_ms: int) -> dict:
    """Play/Pause buttons and a slider over ``count`` animation frames, as layout entries."""
    step_args = dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))
    play = dict(frame=dict(duration=frame_ms, redraw=True), transition=dict(duration=0), fromcurrent=True)
    pause = dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))
    return dict(
        updatemenus=[dict(
            type="buttons", direction="left", x=0, y=0, xanchor="left", yanchor="top", showactive=False,
            pad=dict(t=45, r=8),
            buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                     dict(label="❚❚ Pause", method="animate", args=[[None], pause])],
        )],
        sliders=[dict(
            active=0, x=0.2, len=0.8, y=0, yanchor="top", pad=dict(t=35),
            currentvalue=dict(prefix="step ", font=dict(size=13)),
            font=dict(size=1, color="rgba(0,0,0,0)"), ticklen=0, minorticklen=0,
            steps=[dict(label=str(i + 1), method="animate", args=[[str(i)], step_args]) for i in range(count)],
        )],
        margin=dict(l=30, r=10, t=50, b=110),
    )


def _box_xy(top: int, left: int, height: int, width: int) -> dict:
    """The closed outline of a block of cells, in cell coordinates."""
    x0, x1, y0, y1 = left - 0.5, left + width - 0.5, top - 0.5, top + height - 0.5
    return dict(x=[x0, x1, x1, x0, x0], y=[y0, y0, y1, y1, y0])


def _cover_xy(view: _View, out_shape) -> dict:
    """Outlines of the output cells after ``view``'s (row-by-row order), to be filled over."""
    h, w = out_shape
    xs, ys = [], []
    if view.col + 1 < w:  # The rest of the current row.
        box = _box_xy(view.row, view.col + 1, 1, w - view.col - 1)
        xs, ys = xs + box["x"] + [None], ys + box["y"] + [None]
    if view.row + 1 < h:  # All rows below.
        box = _box_xy(view.row + 1, 0, h - view.row - 1, w)
        xs, ys = xs + box["x"] + [None], ys + box["y"] + [None]
    return dict(x=xs or [None], y=ys or [None])


def _padded_traces(padded, pads, colorscale, zmin, zmax, decimals, pad_label) -> list[dict]:
    """The real cells, the padding cells (own colour and label) and a dashed outline of the input."""
    top, bottom, left, right = pads
    hp, wp = padded.shape
    is_pad = np.ones((hp, wp), dtype=bool)
    is_pad[top:hp - bottom, left:wp - right] = False
    real = np.where(is_pad, np.nan, padded)
    finite = real[np.isfinite(real)]
    zmin = float(finite.min()) if zmin is None and finite.size else zmin
    zmax = float(finite.max()) if zmax is None and finite.size else zmax
    show_text = _readable(padded.shape)
    pad_cells = dict(type="heatmap", z=np.where(is_pad, 0.0, np.nan), colorscale=[[0, PAD_COLOR], [1, PAD_COLOR]],
                     showscale=False, xgap=1 if show_text else 0, ygap=1 if show_text else 0,
                     hovertemplate="padding<extra></extra>", name="padding")
    if show_text:
        pad_cells.update(text=np.where(is_pad, pad_label, "").tolist(), texttemplate="%{text}")
    outline = _lines(_box_xy(top, left, hp - top - bottom, wp - left - right), OUTLINE_COLOR, 2, "input")
    outline["line"]["dash"] = "dash"
    if not any(pads):
        outline.update(x=[None], y=[None])
    return [_heatmap(real, colorscale, zmin, zmax, decimals), pad_cells, outline]


def _unvisited_trace(coverage: np.ndarray, pads) -> dict:
    """Real input cells that no window covers, in red with a cross."""
    top, bottom, left, right = pads
    hp, wp = coverage.shape
    unvisited = coverage == 0
    unvisited[:top] = unvisited[hp - bottom:] = False
    unvisited[:, :left] = unvisited[:, wp - right:] = False
    return dict(type="heatmap", z=np.where(unvisited, 1.0, np.nan), opacity=0.75, showscale=False,
                colorscale=[[0, UNVISITED_COLOR], [1, UNVISITED_COLOR]], xgap=1, ygap=1,
                text=np.where(unvisited, "✕", "").tolist(), texttemplate="%{text}",
                hovertemplate="never inside a window<extra></extra>", name="never seen")


def _scale(colorscale):
    """A colour scale as plotly.js reads it: names such as "gray" or "RdBu_r" are plotly.py's only."""
    return plotly.colors.get_colorscale(colorscale) if isinstance(colorscale, str) else colorscale


def _heatmap(values, colorscale, zmin, zmax, decimals, zmid=None, showscale=False, text=None) -> dict:
    values = np.asarray(values, dtype=float)
    show_text = _readable(values.shape) if text is None else text
    finite = values[np.isfinite(values)]
    if zmid is not None and zmin is None and zmax is None and finite.size:
        spread = float(np.abs(finite - zmid).max()) or 1.0
        zmin, zmax = zmid - spread, zmid + spread
    trace = dict(type="heatmap", z=values, colorscale=_scale(colorscale), zmin=zmin, zmax=zmax, showscale=showscale,
                 hovertemplate="row %{y}, column %{x}: %{z}<extra></extra>")
    if show_text:
        trace.update(text=cell_text(values, decimals), texttemplate="%{text}", xgap=1, ygap=1)
    return {k: v for k, v in trace.items() if v is not None}


def _readable(shape) -> bool:
    """Whether a grid of this shape is small enough to have its numbers written in."""
    return shape[0] * shape[1] <= TEXT_CELLS_MAX and max(shape) <= TEXT_SIDE_MAX


def _lines(xy: dict, color: str, width: float, name: str) -> dict:
    return dict(type="scatter", mode="lines", line=dict(color=color, width=width), hoverinfo="skip", name=name, **xy)


def _on(index: int) -> dict:
    """Trace keys that put a trace on subplot ``index`` (0-based)."""
    suffix = "" if index == 0 else str(index + 1)
    return dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")


def _split(total: float, weights: Sequence[float], gap: float) -> list[tuple[float, float]]:
    """Cut [0, total] into consecutive domains proportional to ``weights``, with ``gap`` between."""
    usable = total - gap * (len(weights) - 1)
    domains, start = [], 0.0
    for weight in weights:
        end = start + usable * weight / sum(weights)
        domains.append((start, min(end, total)))
        start = end + gap
    return domains


def _axes(x_domains, shapes, y_domains=None, titles=None, ticks: int = 12) -> dict:
    """Layout axes for one heatmap panel per shape: row 0 at the top, square cells, exact ranges."""
    axes = {}
    for i, ((h, w), x_domain) in enumerate(zip(shapes, x_domains)):
        suffix = "" if i == 0 else str(i + 1)
        y_domain = y_domains[i] if y_domains else (0.0, 1.0)
        axes[f"xaxis{suffix}"] = dict(domain=list(x_domain), anchor=f"y{suffix}", range=[-0.5, w - 0.5],
                                      showgrid=False, zeroline=False, constrain="domain", nticks=min(w, ticks))
        axes[f"yaxis{suffix}"] = dict(domain=list(y_domain), anchor=f"x{suffix}", range=[h - 0.5, -0.5],
                                      showgrid=False, zeroline=False, constrain="domain", nticks=min(h, ticks),
                                      scaleanchor=f"x{suffix}")
        if titles:
            axes[f"xaxis{suffix}"]["title"] = dict(text=titles[i], standoff=4)
    return axes


def _titles(titles: Sequence[str], domains) -> list[dict]:
    """Panel titles as annotations centred above each panel."""
    return [dict(text=title, x=sum(xd) / 2, y=yd[1], xref="paper", yref="paper", xanchor="center",
                 yanchor="bottom", showarrow=False, font=dict(size=13)) for title, (xd, yd) in zip(titles, domains)]


def _layout(title: str, height: int, axes: dict, annotations: list | None = None) -> dict:
    return dict(title=dict(text=title, x=0, font=dict(size=15)), height=height, font=FONT, showlegend=False,
                margin=dict(l=30, r=10, t=50 if title else 30, b=30), plot_bgcolor=BACKGROUND,
                paper_bgcolor="white", annotations=annotations or [], **axes)


def _grid_height(shape) -> int:
    return int(max(220, min(520, 34 * shape[0] + 90)))


def _fit_height(x_domains, shapes, margins: int) -> int:
    """The height in pixels at which square cells fill the panels' widths (for ``PLOT_WIDTH``)."""
    tallest = max((x1 - x0) * PLOT_WIDTH / w * h for (x0, x1), (h, w) in zip(x_domains, shapes))
    return int(max(160, min(560, tallest)) + margins)


def _nan_to_none(values: np.ndarray) -> list:
    """Numbers rounded for a compact spec, with NaN as None (JSON null, a gap for plotly)."""
    rows = np.round(np.asarray(values, dtype=float), 6).tolist()
    return [[v if math.isfinite(v) else None for v in row] for row in rows]


def _one_output_channel(frames: Sequence, attribute: str) -> list:
    frames = list(frames)
    if not frames:
        raise ValueError("the player needs at least one frame")
    channels = {getattr(f, attribute) for f in frames}
    if len(channels) != 1:
        raise ValueError(f"a player shows one output {attribute} at a time, got frames of {sorted(channels)}; "
                         f"slice the kernels or the input to one {attribute} before making the steps")
    return frames


def _as_2d(values, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or 0 in values.shape:
        raise ValueError(f"{name} must be a non-empty 2-D array (rows, columns), got shape {values.shape}")
    return values
