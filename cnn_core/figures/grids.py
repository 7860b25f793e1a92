"""Grids of numbers as heatmaps: one array, a padded input with its windows, feature maps, pictures.

Grids are drawn with row 0 at the top and square cells. Small grids get their values written in
the cells; larger ones show them on hover. Padding cells are drawn in their own colour with their
value ("0", or "-" for pooling, which leaves them out), and the real input is outlined with a
dashed line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cnn_core.figures.spec import (
    SpecFigure,
    as_2d,
    base_layout,
    box_xy,
    fit_height,
    grid_axes,
    grid_height,
    heatmap,
    lines,
    on_panel,
    panel_titles,
    readable,
    split_domains,
)
from cnn_core.figures.style import DIVERGING, OUTLINE_COLOR, PAD_COLOR, UNVISITED_COLOR, WINDOW_COLOR
from cnn_core.i18n import N_, translate


def grid_figure(
    values: np.ndarray,
    title: str = "",
    colorscale="Viridis",
    zmin=None,
    zmax=None,
    zmid=None,
    decimals: int = 2,
    height: int | None = None,
    language: str = "en",
) -> SpecFigure:
    """A (H, W) array as a heatmap with its values written in the cells (when small enough) and a colour bar."""
    values = as_2d(values, "values")
    # The grid is centred and as wide as its square cells make it, so its bar goes centred below it.
    bar = dict(orientation="h", x=0.5, xanchor="center", y=-0.22, yanchor="top", lenmode="pixels", len=180, thickness=8)
    trace = heatmap(
        values, colorscale, zmin, zmax, decimals, zmid=zmid, showscale=True, colorbar=bar, language=language
    )
    layout = base_layout(title, (height or grid_height(values.shape)) + 40, grid_axes([(0.0, 1.0)], [values.shape]))
    layout["margin"]["b"] += 40
    return SpecFigure([trace], layout)


def padded_figure(
    padded: np.ndarray,
    pads: tuple[int, int, int, int],
    title: str = "",
    windows: Sequence[tuple[int, int, int, int]] = (),
    colorscale="gray",
    zmin=None,
    zmax=None,
    decimals: int = 2,
    pad_label: str = "0",
    coverage: np.ndarray | None = None,
    height: int | None = None,
    language: str = "en",
) -> SpecFigure:
    """A padded (Hp, Wp) input with the padding drawn apart and window rectangles on top.

    ``pads`` is (top, bottom, left, right); ``windows`` are (top, left, kh, kw) rectangles, the
    first drawn bold and the others thin, in one trace. With ``coverage`` (Hp, Wp), real cells
    that no window covers are marked.
    """
    padded = as_2d(padded, "padded")
    traces = padded_traces(padded, pads, colorscale, zmin, zmax, decimals, pad_label, language)
    if coverage is not None:
        traces.append(_unvisited_trace(np.asarray(coverage), pads, language))
    if windows:
        traces.append(lines(box_xy(*windows[0]), WINDOW_COLOR, 4, translate(N_("first window"), language)))
    if len(windows) > 1:  # All the others in one trace, however many there are.
        boxes = [box_xy(*window) for window in windows[1:]]
        xy = dict(x=[v for b in boxes for v in b["x"] + [None]], y=[v for b in boxes for v in b["y"] + [None]])
        traces.append(lines(xy, WINDOW_COLOR, 1.5, translate(N_("windows"), language)))
    layout = base_layout(title, height or grid_height(padded.shape), grid_axes([(0.0, 1.0)], [padded.shape]))
    return SpecFigure(traces, layout)


def feature_maps_figure(
    maps: np.ndarray,
    titles: Sequence[str],
    colorscale=DIVERGING,
    zmid=0.0,
    decimals: int = 2,
    columns: int = 4,
    height: int | None = None,
    language: str = "en",
) -> SpecFigure:
    """All channels of an (H, W, C) array side by side, each on its own colour range with its colour bar."""
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 3 or len(titles) != maps.shape[2]:
        raise ValueError(
            f"maps must be (H, W, C) with one title per channel, got {maps.shape} and {len(titles)} titles"
        )
    count = maps.shape[2]
    cols = min(count, columns)
    rows = math.ceil(count / cols)
    x_domains = split_domains(0.96, [1.0] * cols, 0.1)  # Room on the right of each panel for its bar.
    y_domains = split_domains(1.0, [1.0] * rows, 0.16 / rows)[::-1]  # Row 0 at the top.
    domains = [(x_domains[i % cols], y_domains[i // cols]) for i in range(count)]
    traces = [
        dict(
            heatmap(
                maps[:, :, i],
                colorscale,
                None,
                None,
                decimals,
                zmid=zmid,
                showscale=True,
                colorbar=panel_colorbar(*domains[i]),
                language=language,
            ),
            **on_panel(i),
        )
        for i in range(count)
    ]
    axes = grid_axes([d[0] for d in domains], [maps.shape[:2]] * count, [d[1] for d in domains])
    panel = fit_height(x_domains[:1], [maps.shape[:2]], 0)
    layout = base_layout("", height or min(rows * (panel + 40) + 30, 1400), axes, panel_titles(titles, domains))
    return SpecFigure(traces, layout)


def images_figure(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    colorscale="gray",
    zmin=None,
    zmax=None,
    height: int | None = None,
    language: str = "en",
) -> SpecFigure:
    """Several (H, W) arrays of possibly different sizes side by side, on one colour scale.

    Given ``zmin`` and ``zmax`` they share one colour bar, on the right; without, each image is
    on its own range and has its own bar.
    """
    if len(images) != len(titles) or not images:
        raise ValueError(f"need one title per image, got {len(images)} images and {len(titles)} titles")
    images = [as_2d(image, "image") for image in images]
    shared = zmin is not None and zmax is not None
    x_domains = split_domains(0.93 if shared else 0.96, [im.shape[1] for im in images], 0.05 if shared else 0.1)
    last = len(images) - 1
    traces = [
        dict(
            heatmap(
                im,
                colorscale,
                zmin,
                zmax,
                2,
                text=False,
                showscale=not shared or i == last,
                colorbar=panel_colorbar(x_domains[i], (0.0, 0.9)),
                language=language,
            ),
            **on_panel(i),
        )
        for i, im in enumerate(images)
    ]
    axes = grid_axes(x_domains, [im.shape for im in images], [(0.0, 0.9)] * len(images), ticks=5)
    domains = [(x, (0.0, 0.9)) for x in x_domains]
    fitted = fit_height(x_domains, [im.shape for im in images], 0) / 0.9
    layout = base_layout("", height or int(fitted) + 70, axes, panel_titles(titles, domains))
    return SpecFigure(traces, layout)


def panel_colorbar(x_domain, y_domain) -> dict:
    """A slim colour bar just right of a panel, as tall as it."""
    return dict(
        x=x_domain[1] + 0.005,
        xanchor="left",
        y=sum(y_domain) / 2,
        yanchor="middle",
        len=y_domain[1] - y_domain[0],
        thickness=8,
        tickfont=dict(size=10),
    )


def padded_traces(padded, pads, colorscale, zmin, zmax, decimals, pad_label, language: str = "en") -> list[dict]:
    """The real cells, the padding cells (own colour and label) and a dashed outline of the input."""
    top, bottom, left, right = pads
    hp, wp = padded.shape
    is_pad = np.ones((hp, wp), dtype=bool)
    is_pad[top : hp - bottom, left : wp - right] = False
    real = np.where(is_pad, np.nan, padded)
    finite = real[np.isfinite(real)]
    zmin = float(finite.min()) if zmin is None and finite.size else zmin
    zmax = float(finite.max()) if zmax is None and finite.size else zmax
    show_text = readable(padded.shape)
    pad_cells = dict(
        type="heatmap",
        z=np.where(is_pad, 0.0, np.nan),
        colorscale=[[0, PAD_COLOR], [1, PAD_COLOR]],
        showscale=False,
        xgap=1 if show_text else 0,
        ygap=1 if show_text else 0,
        hovertemplate=translate(N_("padding"), language) + "<extra></extra>",
        name=translate(N_("padding"), language),
    )
    if show_text:
        pad_cells.update(text=np.where(is_pad, pad_label, "").tolist(), texttemplate="%{text}")
    box = box_xy(top, left, hp - top - bottom, wp - left - right)
    outline = lines(box, OUTLINE_COLOR, 2, translate(N_("input"), language))
    outline["line"]["dash"] = "dash"
    if not any(pads):
        outline.update(x=[None], y=[None])
    return [heatmap(real, colorscale, zmin, zmax, decimals, language=language), pad_cells, outline]


def _unvisited_trace(coverage: np.ndarray, pads, language: str) -> dict:
    """Real input cells that no window covers, in red with a cross."""
    top, bottom, left, right = pads
    hp, wp = coverage.shape
    unvisited = coverage == 0
    unvisited[:top] = unvisited[hp - bottom :] = False
    unvisited[:, :left] = unvisited[:, wp - right :] = False
    return dict(
        type="heatmap",
        z=np.where(unvisited, 1.0, np.nan),
        opacity=0.75,
        showscale=False,
        colorscale=[[0, UNVISITED_COLOR], [1, UNVISITED_COLOR]],
        xgap=1,
        ygap=1,
        text=np.where(unvisited, "✕", "").tolist(),
        texttemplate="%{text}",
        hovertemplate=translate(N_("never inside a window"), language) + "<extra></extra>",
        name=translate(N_("never seen"), language),
    )
