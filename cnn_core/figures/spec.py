"""Building blocks of plotly.js figure specs: number labels, heatmap traces, panel axes and layouts.

Figures are written as plotly.js specs (dicts of numpy arrays) and wrapped without plotly.py's
validation, which would cost about a millisecond per trace or frame and most of a page's rerun.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import plotly.colors

from cnn_core.figures.style import BACKGROUND, FONT, PLOT_WIDTH, TEXT_CELLS_MAX, TEXT_SIDE_MAX
from cnn_core.i18n import N_, translate
from cnn_core.ops.formulas import format_value


def cell_text(values: np.ndarray, decimals: int = 2) -> list[list[str]]:
    """A (H, W) array -> rows of cell labels (empty where NaN).

    Plain lists, not object arrays: orjson, which plotly uses when installed, serialises them
    directly instead of falling back to a slow walk over the whole figure.
    """
    return [[format_value(v, decimals) for v in row] for row in np.asarray(values, dtype=float).tolist()]


def scale(colorscale):
    """A colour scale as plotly.js reads it: names such as "gray" or "RdBu_r" are plotly.py's only."""
    return plotly.colors.get_colorscale(colorscale) if isinstance(colorscale, str) else colorscale


def heatmap(
    values, colorscale, zmin, zmax, decimals, zmid=None, showscale=False, text=None, language: str = "en"
) -> dict:
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
    if show_text:
        trace.update(text=cell_text(values, decimals), texttemplate="%{text}", xgap=1, ygap=1)
    return {k: v for k, v in trace.items() if v is not None}


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
        if titles:
            axes[f"xaxis{suffix}"]["title"] = dict(text=titles[i], standoff=4)
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
