"""Building blocks of plotly.js figure specs: number labels, heatmap traces, panel axes and layouts.

Figures are written as plotly.js specs (dicts, numpy arrays as plotly.js typed arrays) and wrapped
in ``SpecFigure`` without plotly.py's validation, which would cost about a millisecond per trace
or frame and most of a page's rerun.
"""

from __future__ import annotations

import base64
import functools
import math
from collections.abc import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from cnn_core.figures.style import BACKGROUND, FONT, LEVELS_CELLS_MIN, PLOT_WIDTH, TEXT_CELLS_MAX, TEXT_SIDE_MAX
from cnn_core.i18n import N_, translate
from cnn_core.ops.formulas import format_value


class SpecFigure(go.Figure):
    """A finished plotly.js spec that passes for a plotly ``Figure`` where ``st.plotly_chart`` needs one.

    plotly.py's ``Figure`` validates each property and copies its default template when made and
    again in ``to_dict`` (1.5 ms empty, 5 ms with a photo, per chart and rerun); Streamlit only
    calls ``to_dict``, so this one skips ``Figure.__init__`` and hands over the spec it was given,
    its numpy arrays already base64 typed arrays as plotly.py would write them. ``frame_count``
    says how many animation frames it plays.
    """

    def __init__(self, data=(), layout=None, frames=()):  # plotly.py's __init__ skipped on purpose
        self._spec = dict(data=[_typed(trace) for trace in data], layout=dict(layout or {}))
        if frames:
            self._spec["frames"] = list(frames)

    @property
    def frame_count(self) -> int:
        """How many animation frames the figure plays."""
        return len(self._spec.get("frames", ()))

    @property
    def data(self) -> tuple:
        return tuple(self._spec["data"])

    @property
    def layout(self) -> dict:
        return self._spec["layout"]

    def to_dict(self) -> dict:
        """The plotly.js spec: data, layout and (when it plays) frames."""
        return dict(self._spec)

    to_plotly_json = to_dict

    def __reduce__(self):
        return _restore, (self._spec,)

    def __repr__(self) -> str:
        return f"SpecFigure({len(self._spec['data'])} traces, {self.frame_count} frames)"

    def __eq__(self, other) -> bool:
        return isinstance(other, SpecFigure) and self._spec == other._spec

    __hash__ = None


def _restore(spec: dict) -> SpecFigure:
    figure = SpecFigure.__new__(SpecFigure)
    figure._spec = spec
    return figure


_SHORT_TYPES = {"float64": "f8", "float32": "f4", "uint8": "u1", "int8": "i1", "int16": "i2", "int32": "i4"}


def typed_array(values: np.ndarray) -> dict:
    """A numpy array as a plotly.js base64 typed array, the form plotly.py writes (done once, cheaply)."""
    array = np.asarray(values)
    if array.dtype == bool:
        array = array.astype(np.uint8)
    elif array.dtype.kind in "iu" and str(array.dtype) not in _SHORT_TYPES:
        array = array.astype(np.int32)
    elif str(array.dtype) not in _SHORT_TYPES:
        array = array.astype(np.float64)
    array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    spec = {"dtype": _SHORT_TYPES[str(array.dtype)], "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
    if array.ndim > 1:
        spec["shape"] = ", ".join(str(n) for n in array.shape)
    return spec


def _typed(trace: dict) -> dict:
    return {k: typed_array(v) if isinstance(v, np.ndarray) else v for k, v in trace.items()}


def cell_text(values: np.ndarray, decimals: int = 2) -> list[list[str]]:
    """A (H, W) array -> rows of cell labels (empty where NaN).

    Plain lists, not object arrays: orjson, which plotly uses when installed, serialises them
    directly instead of falling back to a slow walk over the whole figure.
    """
    return [[format_value(v, decimals) for v in row] for row in np.asarray(values, dtype=float).tolist()]


def scale(colorscale):
    """A colour scale as plotly.js reads it: names such as "gray" or "PuOr_r" are plotly.py's only."""
    return _named_scale(colorscale) if isinstance(colorscale, str) else colorscale


@functools.lru_cache(maxsize=32)
def _named_scale(name: str) -> list:
    # plotly.py rebuilds its table of every named scale on each look-up (about 0.5 ms).
    return plotly.colors.get_colorscale(name)


def heatmap(
    values,
    colorscale,
    zmin,
    zmax,
    decimals,
    zmid=None,
    showscale=False,
    text=None,
    colorbar: dict | None = None,
    language: str = "en",
) -> dict:
    """A heatmap trace of a (H, W) array, its numbers written in when small, with an optional colour bar.

    A large map without NaN (``LEVELS_CELLS_MIN`` cells or more) is sent as 256 levels, one byte
    a cell instead of eight, which no screen tells apart; its colour bar is labelled in the real
    values, and its hover gives the position (the values are in the figure's table twin).
    """
    values = np.asarray(values, dtype=float)
    show_text = readable(values.shape) if text is None else text
    finite = values[np.isfinite(values)]
    if zmid is not None and zmin is None and zmax is None and finite.size:
        spread = float(np.abs(finite - zmid).max()) or 1.0
        zmin, zmax = zmid - spread, zmid + spread
    trace = dict(
        type="heatmap",
        z=values,
        colorscale=scale(colorscale),
        zmin=zmin,
        zmax=zmax,
        showscale=showscale,
        hovertemplate=translate(N_("row %{y}, column %{x}: %{z}"), language) + "<extra></extra>",
    )
    if showscale:
        trace["colorbar"] = {**dict(thickness=12, len=0.9, outlinewidth=0), **(colorbar or {})}
    if show_text:
        trace.update(text=cell_text(values, decimals), texttemplate="%{text}", xgap=1, ygap=1)
    elif values.size >= LEVELS_CELLS_MIN and finite.size == values.size:
        low = float(finite.min()) if zmin is None else float(zmin)
        high = float(finite.max()) if zmax is None else float(zmax)
        span = (high - low) or 1.0
        trace.update(
            z=np.clip(np.rint((values - low) * (255 / span)), 0, 255).astype(np.uint8),
            zmin=0,
            zmax=255,
            hovertemplate=translate(N_("row %{y}, column %{x}"), language) + "<extra></extra>",
        )
        if showscale:
            ticks = nice_ticks(low, high)
            trace["colorbar"].update(
                tickvals=[(t - low) * 255 / span for t in ticks], ticktext=[format_value(t, decimals) for t in ticks]
            )
    return {k: v for k, v in trace.items() if v is not None}


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round numbers (steps of 1, 2 or 5 times a power of ten) from low to high.

    >>> nice_ticks(0.0, 2.37)
    [0.0, 0.5, 1.0, 1.5, 2.0]
    """
    span = high - low
    if span <= 0:
        return [low]
    step = 10 ** math.floor(math.log10(span / count))
    step *= next(m for m in (1, 2, 5, 10) if span / (m * step) <= count)
    first = math.ceil(low / step - 1e-9)
    return [round(k * step, 12) for k in range(first, math.floor(high / step + 1e-9) + 1)]


def readable(shape) -> bool:
    """Whether a grid of this shape is small enough to have its numbers written in."""
    return shape[0] * shape[1] <= TEXT_CELLS_MAX and max(shape) <= TEXT_SIDE_MAX


def lines(xy: dict, color: str, width: float, name: str) -> dict:
    return dict(type="scatter", mode="lines", line=dict(color=color, width=width), hoverinfo="skip", name=name, **xy)


def box_xy(top: int, left: int, height: int, width: int) -> dict:
    """The closed outline of a block of cells, in cell coordinates."""
    x0, x1, y0, y1 = left - 0.5, left + width - 0.5, top - 0.5, top + height - 0.5
    return dict(x=[x0, x1, x1, x0, x0], y=[y0, y0, y1, y1, y0])


def on_panel(index: int) -> dict:
    """Trace keys that put a trace on subplot ``index`` (0-based)."""
    suffix = "" if index == 0 else str(index + 1)
    return dict(xaxis=f"x{suffix}", yaxis=f"y{suffix}")


def split_domains(total: float, weights: Sequence[float], gap: float) -> list[tuple[float, float]]:
    """Cut [0, total] into consecutive domains proportional to ``weights``, with ``gap`` between."""
    usable = total - gap * (len(weights) - 1)
    domains, start = [], 0.0
    for weight in weights:
        end = start + usable * weight / sum(weights)
        domains.append((start, min(end, total)))
        start = end + gap
    return domains


def grid_axes(x_domains, shapes, y_domains=None, titles=None, ticks: int = 12) -> dict:
    """Layout axes for one heatmap panel per shape: row 0 at the top, square cells, exact ranges."""
    axes = {}
    for i, ((h, w), x_domain) in enumerate(zip(shapes, x_domains)):
        suffix = "" if i == 0 else str(i + 1)
        y_domain = y_domains[i] if y_domains else (0.0, 1.0)
        axes[f"xaxis{suffix}"] = dict(
            domain=list(x_domain),
            anchor=f"y{suffix}",
            range=[-0.5, w - 0.5],
            showgrid=False,
            zeroline=False,
            constrain="domain",
            nticks=min(w, ticks),
        )
        axes[f"yaxis{suffix}"] = dict(
            domain=list(y_domain),
            anchor=f"x{suffix}",
            range=[h - 0.5, -0.5],
            showgrid=False,
            zeroline=False,
            constrain="domain",
            nticks=min(h, ticks),
            scaleanchor=f"x{suffix}",
        )
        if titles:  # Below the tick labels, with the margin grown to fit (never over the labels).
            axes[f"xaxis{suffix}"].update(title=dict(text=titles[i], standoff=8), automargin=True)
    return axes


def panel_titles(titles: Sequence[str], domains) -> list[dict]:
    """Panel titles as annotations centred above each panel."""
    return [
        dict(
            text=title,
            x=sum(xd) / 2,
            y=yd[1],
            xref="paper",
            yref="paper",
            xanchor="center",
            yanchor="bottom",
            showarrow=False,
            font=dict(size=13),
        )
        for title, (xd, yd) in zip(titles, domains)
    ]


def base_layout(title: str, height: int, axes: dict, annotations: list | None = None) -> dict:
    return dict(
        title=dict(text=title, x=0, font=dict(size=15)),
        height=height,
        font=FONT,
        showlegend=False,
        margin=dict(l=30, r=10, t=50 if title else 30, b=30),
        plot_bgcolor=BACKGROUND,
        paper_bgcolor="white",
        annotations=annotations or [],
        **axes,
    )


def grid_height(shape) -> int:
    return int(max(220, min(520, 34 * shape[0] + 90)))


def fit_height(x_domains, shapes, margins: int) -> int:
    """The height in pixels at which square cells fill the panels' widths (for ``PLOT_WIDTH``)."""
    tallest = max((x1 - x0) * PLOT_WIDTH / w * h for (x0, x1), (h, w) in zip(x_domains, shapes))
    return int(max(160, min(560, tallest)) + margins)


def nan_to_none(values: np.ndarray) -> list:
    """Numbers rounded for a compact spec, with NaN as None (JSON null, a gap for plotly)."""
    rows = np.round(np.asarray(values, dtype=float), 6).tolist()
    return [[v if math.isfinite(v) else None for v in row] for row in rows]


def as_2d(values, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or 0 in values.shape:
        raise ValueError(f"{name} must be a non-empty 2-D array (rows, columns), got shape {values.shape}")
    return values
