"""Pictures for display: colour maps, enlarged grids and Grad-CAM overlays (uint8 arrays in and out)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    pass


def colorize(values: np.ndarray, colorscale: str = "viridis") -> np.ndarray:
    """Map a uint8 (H, W) array through a plotly colorscale: (H, W, 3) uint8 RGB."""
    values = np.asarray(values)
    if values.ndim != 2 or values.dtype != np.uint8:
        raise ValueError(f"values must be a 2-D uint8 array, got {values.dtype} of shape {values.shape}")
    return _lookup_table(colorscale)[values]


def colour_strip(colorscale: str = "viridis", width: int = 256, height: int = 12) -> np.ndarray:
    """A colour bar for a picture drawn with ``colorize``: the scale from its lowest value (left) to
    its highest (right), (height, width, 3) uint8.

    >>> strip = colour_strip("viridis", 256, 2)
    >>> strip.shape, (strip[0, 0] == colorize(np.zeros((1, 1), np.uint8))[0, 0]).all()
    ((2, 256, 3), np.True_)
    """
    if width < 2 or height < 1:
        raise ValueError(f"a colour strip needs a width of 2 or more and a height of 1 or more, got {width}x{height}")
    ramp = np.rint(np.linspace(0, 255, width)).astype(np.uint8)
    return colorize(np.repeat(ramp[None, :], height, axis=0), colorscale)


def grid_picture(grid: np.ndarray, cell_shape: tuple[int, int], scale: int = 1) -> np.ndarray:
    """A coloured activation grid for display: viridis, enlarged ``scale`` times, cells split by white lines."""
    if scale < 1:
        raise ValueError(f"scale must be a positive int, got {scale}")
    picture = repeat_pixels(colorize(grid), scale)  # (rows*H*s, cols*W*s, 3)
    cell_h, cell_w = cell_shape[0] * scale, cell_shape[1] * scale
    if scale > 1:  # Lines at scale 1 would hide a whole row of a small map's pixels.
        picture[cell_h::cell_h] = 255
        picture[:, cell_w::cell_w] = 255
    return picture


def display_scale(width: int, target_width: int = 960, max_scale: int = 16) -> int:
    """Integer enlargement that brings ``width`` pixels close to ``target_width`` without passing it.

    >>> display_scale(48), display_scale(416), display_scale(2368)
    (16, 2, 1)
    """
    return int(np.clip(target_width // max(width, 1), 1, max_scale))


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """Grad-CAM overlay: the heatmap in jet, resized to the image and blended in: (H, W, 3) uint8.

    ``image`` is float in [0, 1] or uint8, (H, W), (H, W, 1) or (H, W, 3); ``heatmap`` is (h, w)
    in [0, 1]. Each output pixel is ``(1 - alpha) * image + alpha * jet(heatmap)``.
    """
    from cnn_core.vision import images

    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    rgb = _as_rgb_uint8(image)
    heat = np.asarray(heatmap, dtype=np.float64)
    if heat.ndim != 2:
        raise ValueError(f"heatmap must be (h, w), got shape {heat.shape}")
    heat8 = np.uint8(np.rint(255 * np.clip(heat, 0, 1)))
    heat8 = images.resize(heat8, rgb.shape[:2])  # (H, W)
    blended = (1 - alpha) * rgb + alpha * colorize(heat8, "jet")
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def _as_rgb_uint8(image) -> np.ndarray:
    pixels = np.asarray(image)
    if pixels.dtype != np.uint8:
        pixels = np.rint(np.clip(pixels.astype(np.float64), 0, 1) * 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    if pixels.ndim != 3 or pixels.shape[-1] != 3:
        raise ValueError(f"image must be (H, W), (H, W, 1) or (H, W, 3), got shape {np.shape(image)}")
    return pixels


@functools.lru_cache(maxsize=8)
def _lookup_table(colorscale: str) -> np.ndarray:
    """A 256-entry RGB table interpolated from a plotly colorscale's stops."""
    from plotly.colors import get_colorscale, hex_to_rgb, unlabel_rgb

    stops = get_colorscale(colorscale)
    positions = np.array([position for position, _ in stops])
    colors = np.array(
        [hex_to_rgb(color) if color.startswith("#") else unlabel_rgb(color) for _, color in stops], dtype=np.float64
    )
    levels = np.linspace(0, 1, 256)
    table = np.stack([np.interp(levels, positions, colors[:, i]) for i in range(3)], axis=-1)
    return np.rint(table).astype(np.uint8)


def enlarge(image: np.ndarray, target_width: int, max_scale: int = 16) -> np.ndarray:
    """Repeat pixels so a small (H, W[, C]) image shows about ``target_width`` wide without blur.

    >>> enlarge(np.eye(2, dtype=np.uint8), 5).shape
    (4, 4)
    """
    return repeat_pixels(image, display_scale(np.shape(image)[1], target_width, max_scale))


def repeat_pixels(image: np.ndarray, scale: int) -> np.ndarray:
    """Each pixel of an (H, W[, C]) image as a ``scale`` x ``scale`` block: (H*s, W*s[, C]).

    >>> repeat_pixels(np.array([[1, 2]]), 2).tolist()
    [[1, 1, 2, 2], [1, 1, 2, 2]]
    """
    return np.asarray(image).repeat(scale, axis=0).repeat(scale, axis=1)


def kernels_picture(kernels: np.ndarray, limit: float | None = None, columns: int = 8, cell: int = 48) -> np.ndarray:
    """A conv layer's kernels (kh, kw, C, F) as one RGB picture: F cells on a red-blue scale around 0.

    Each cell shows one filter's kernel averaged over its input channels, on the diverging scale
    RdBu_r from ``-limit`` (blue) to ``+limit`` (red); give two epochs the same ``limit`` to compare
    them. Cells are ``cell`` pixels wide with grey lines between them: (rows*(cell+2), cols*(cell+2), 3).
    """
    kernels = np.asarray(kernels, dtype=np.float64)
    if kernels.ndim != 4:
        raise ValueError(f"kernels must be (kh, kw, C, F), got shape {kernels.shape}")
    maps = kernels.mean(axis=2)  # (kh, kw, F)
    limit = float(np.abs(maps).max()) if limit is None else float(limit)
    levels = np.uint8(np.rint(255 * (np.clip(maps / (limit or 1.0), -1, 1) + 1) / 2))  # (kh, kw, F)
    kh, kw, filters = levels.shape
    scale = max(1, cell // max(kh, kw))
    columns = max(1, min(columns, filters))
    rows = -(-filters // columns)
    side_h, side_w = kh * scale + 2, kw * scale + 2
    picture = np.full((rows * side_h, columns * side_w, 3), 160, np.uint8)  # grey lines between cells
    for f in range(filters):
        r, c = divmod(f, columns)
        picture[r * side_h + 1 : r * side_h + 1 + kh * scale, c * side_w + 1 : c * side_w + 1 + kw * scale] = (
            repeat_pixels(colorize(levels[:, :, f], "RdBu_r"), scale)
        )
    return picture


def field_picture(
    image: np.ndarray,
    box: tuple[int, int, int, int] | None,
    target_width: int = 224,
    color: tuple[int, int, int] = (255, 80, 40),
    dim: float = 0.4,
) -> np.ndarray:
    """An input picture enlarged with square pixels, a receptive field outlined and the rest dimmed.

    ``image`` is float in [0, 1] or uint8, (H, W), (H, W, 1) or (H, W, 3); ``box`` is (top, left,
    bottom, right), inclusive, in input pixels (``ReceptiveField.box``), or None for the whole
    picture unmarked. Pixels outside the box keep ``dim`` of their brightness; the outline is drawn
    on the box's border pixels. Returns (H*s, W*s, 3) uint8.

    >>> picture = field_picture(np.ones((4, 4)), (1, 1, 2, 2), target_width=8)
    >>> picture.shape, picture[0, 0].tolist(), picture[2, 2].tolist(), picture[3, 3].tolist()
    ((8, 8, 3), [102, 102, 102], [255, 80, 40], [255, 255, 255])
    """
    rgb = _as_rgb_uint8(image)
    scale = display_scale(rgb.shape[1], target_width)
    if box is None:
        return repeat_pixels(rgb, scale)
    top, left, bottom, right = box
    if not (0 <= top <= bottom < rgb.shape[0] and 0 <= left <= right < rgb.shape[1]):
        raise ValueError(f"box {tuple(box)} must be (top, left, bottom, right) inside a {rgb.shape[:2]} picture")
    inside = np.zeros(rgb.shape[:2], dtype=bool)
    inside[top : bottom + 1, left : right + 1] = True
    shaded = np.where(inside[..., None], rgb, np.rint(rgb * dim).astype(np.uint8))
    picture = repeat_pixels(shaded, scale)  # (H*s, W*s, 3)
    width = max(1, scale // 3)  # the outline's thickness, inside the box's border pixels
    y0, x0, y1, x1 = top * scale, left * scale, (bottom + 1) * scale, (right + 1) * scale
    for rows, cols in (
        (slice(y0, y0 + width), slice(x0, x1)),
        (slice(y1 - width, y1), slice(x0, x1)),
        (slice(y0, y1), slice(x0, x0 + width)),
        (slice(y0, y1), slice(x1 - width, x1)),
    ):
        picture[rows, cols] = color
    return picture
