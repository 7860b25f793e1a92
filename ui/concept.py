"""Widgets shared by the concept pages: inputs, kernel editors, padding and the output-size formula."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import streamlit as st

from cnn_core.ops import sliding
from cnn_core.ops.formulas import output_size_lines
from cnn_core.ops.kernels import KERNEL_SIZES, PRESETS, GridError, format_grid, parse_grid, preset_kernel
from cnn_core.ops.shapes import output_shape
from cnn_core.vision.images import load_sample_photo, resize
from ui import lazy, settings
from ui.i18n import N_, _, error_text, language
from ui.players import BY_DIGEST, Inputs
from ui.resources import mnist
from ui.uploads import image_upload

PHOTO_SIZES = (8, 64)
UPLOAD_HEIGHT = 32  # An upload's first height: 16 pixels hid most of a photo's detail.


# A photo keeps its aspect ratio up to 4:1; a sliver 2000 pixels wide and 1 tall would otherwise
# become a 64 x 32,768 input: 200 MB of figures for the browser, and an error in st.image.
MAX_ASPECT = 4


# The 5x5 grid and 3x3 "cross" kernel of the classic worked example; their valid convolution is
# [[4, 3, 4], [2, 4, 3], [2, 3, 4]].
CLASSIC_GRID = np.array(
    [
        [1, 1, 1, 0, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 1, 1, 1],
        [0, 0, 1, 1, 0],
        [0, 1, 1, 0, 0],
    ]
)
SOURCES = {
    "grid": N_("Small grid (editable)"),
    "mnist": N_("MNIST digit"),
    "photo": N_("Sample photo (Chelsea the cat)"),
    "upload": N_("Upload an image"),
}
RGB = ["R", "G", "B"]
DEFAULT_FILTERS = ("cross (textbook)", "vertical edge", "horizontal edge", "sharpen")


def labels(templates) -> Callable[[object], str]:
    """A ``format_func`` showing each option as its template (a mapping, or the options themselves)
    in this run's language.

    The labels are translated now, not when called: AppTest calls a ``format_func`` after the run,
    where no session (and so no language) is at hand.
    """
    pairs = templates.items() if isinstance(templates, dict) else ((option, option) for option in templates)
    return {option: _(template) for option, template in pairs}.get


def pick_input(
    key: str, sources=tuple(SOURCES), default_grid: np.ndarray = CLASSIC_GRID, allow_color: bool = True
) -> tuple[np.ndarray, list[str]] | None:
    """Radio of input sources and its settings -> (image (H, W, C) float, channel names), or None."""
    left, right = st.columns([2, 1])
    source = settings.radio(
        _("Input"), sources, format_func=labels(SOURCES), horizontal=True, key=f"{key}_source", where=left
    )
    if source == "mnist":
        return _mnist_input(key)
    channels = 1
    if allow_color:
        channels = settings.radio(
            _("Channels"),
            (1, 3),
            horizontal=True,
            key=f"{key}_channels",
            format_func=labels({1: N_("1 (grayscale)"), 3: N_("3 (R, G, B)")}),
            where=right,
        )
    if source == "grid":
        image = _grid_input(key, default_grid, channels)
        return None if image is None else (image, RGB if channels == 3 else [_("input")])
    names = RGB if channels == 3 else [_("gray")]
    # An upload is usually a photo with detail worth seeing; the sample animates best when small.
    height = settings.slider(
        _("Downscale to this many pixels tall"),
        *PHOTO_SIZES,
        16 if source == "photo" else UPLOAD_HEIGHT,
        key=f"{key}_photo_height" if source == "photo" else f"{key}_upload_height",
        help=_("Every output cell is one animation step, so small inputs animate best."),
    )
    mode = "L" if channels == 1 else "RGB"
    if source == "photo":
        return _preview(_photo(height, mode)), names
    label = _("An image (PNG, JPEG, GIF, BMP, WebP, TIFF)")
    # A file uploader cannot be set again when the visitor comes back, so the decoded picture is kept;
    # while the uploader is on the page, what it holds (or that it was emptied) counts.
    alive = f"{key}_upload" in st.session_state
    uploaded = image_upload(label, key=f"{key}_upload", mode=mode, max_side=512)
    if alive:
        settings.keep_value(f"{key}_upload_{mode}", uploaded)
    else:
        uploaded = settings.kept_value(f"{key}_upload_{mode}") if uploaded is None else uploaded
        settings.keep_value(f"{key}_upload_{mode}", uploaded)
    if uploaded is None:
        st.info(_("Until a readable image is uploaded, the sample photo stands in."))
        return _preview(_photo(height, mode)), names
    if max(uploaded.shape[:2]) > MAX_ASPECT * min(uploaded.shape[:2]):
        st.info(
            _(
                "This picture is more than {aspect} times as wide as tall (or as tall as wide); it is "
                "squeezed to at most {aspect}:1 so that the input stays small.",
                aspect=MAX_ASPECT,
            )
        )
    return _preview(_scaled(uploaded, height)), names


def _preview(image: np.ndarray) -> np.ndarray:
    """Show a photo input (H, W, C) as the layers see it, in one channel or three; return it."""
    shown = image[:, :, 0] if image.shape[2] == 1 else image
    caption = _(
        "{height}×{width}×{channels} input", height=image.shape[0], width=image.shape[1], channels=image.shape[2]
    )
    st.image(shown, caption=caption, width=220, clamp=True)
    return image


EDITOR_MIN_WIDTH = 280  # px: a label such as "Filter 1's kernel" plus the editor's toolbar (about 100 px)


def grid_editor(label: str, values: np.ndarray, key: str, link: str | None = None) -> np.ndarray | None:
    """An editable grid of numbers -> the parsed (rows, cols) array, or None with an error shown.

    Its cells are kept for the session and, under the URL name ``link``, written to the page's link.
    """
    default = format_grid(values)
    cells = settings.grid_cells(key, default, link)
    # Plain Python strings (object columns), not pandas 3's Arrow-backed ``str``: Streamlit's editor
    # reads those column by column, element by element, and took a third longer per editor.
    columns = pd.Index([str(c + 1) for c in range(values.shape[1])], dtype=object)
    frame = pd.DataFrame(cells, columns=columns, dtype=object)
    config = {c: st.column_config.TextColumn(c, width=40) for c in frame.columns}
    # The label above the table keeps the editor's hover toolbar off the controls above it, and the
    # editor is at least EDITOR_MIN_WIDTH wide so that toolbar (at its right end) leaves the label free.
    st.caption(label)
    width = max(EDITOR_MIN_WIDTH, 40 * values.shape[1] + 2)
    edited = st.data_editor(frame, key=key, column_config=config, num_rows="fixed", hide_index=True, width=width)
    cells = edited.to_numpy().tolist()
    settings.keep_grid(key, cells, default, link)
    try:
        return parse_grid(cells)
    except GridError as exc:
        st.error(_("{grid}: {reason}. Type a number such as 2, -0.5 or 1/9.", grid=label, reason=error_text(exc)))
        return None


def _grid_input(key: str, default_grid: np.ndarray, channels: int) -> np.ndarray | None:
    left, right, _spare = st.columns([1, 1, 2])
    rows = settings.number_input(_("Rows"), 2, 12, default_grid.shape[0], key=f"{key}_rows", where=left)
    cols = settings.number_input(_("Columns"), 2, 12, default_grid.shape[1], key=f"{key}_cols", where=right)
    grids = []
    for c, column in enumerate(st.columns(channels)):
        with column:
            if channels == 3:
                label = _("The channel {channel} grid", channel=RGB[c])
            else:
                label = _("The input grid")
            default = example_grid(rows, cols, c, default_grid)
            grids.append(grid_editor(label, default, f"{key}_grid_{rows}x{cols}_{c}", link=f"{key}_grid{c + 1}"))
    if any(g is None for g in grids):
        return None
    return np.stack(grids, axis=-1)  # (H, W, C)


def example_grid(rows: int, cols: int, channel: int = 0, base: np.ndarray = CLASSIC_GRID) -> np.ndarray:
    """``base`` when the size matches (channel 0), else small seeded integers 0..3."""
    if base.shape == (rows, cols) and channel == 0:
        return base
    return np.random.default_rng(rows * 100 + cols * 10 + channel).integers(0, 4, (rows, cols))


def _mnist_input(key: str) -> tuple[np.ndarray, list[str]]:
    index = settings.number_input(
        _("MNIST test image number"),
        0,
        9999,
        0,
        key=f"{key}_mnist",
        help=_("From the bundled MNIST test set (28 x 28, one channel)."),
    )
    digit, label = _mnist_digit(index)
    st.caption(
        _(
            "Test image {index}, labelled **{label}**, scaled to [0, 1]; MNIST has one channel.",
            index=index,
            label=label,
        )
    )
    return digit, [_("gray")]


@st.cache_data(show_spinner=False, max_entries=64)
def _mnist_digit(index: int) -> tuple[np.ndarray, int]:
    _train, (x_test, y_test) = mnist()
    return x_test[index, :, :, None] / 255.0, int(y_test[index])  # (28, 28, 1)


@st.cache_data(show_spinner=False, max_entries=32)
def _photo(height: int, mode: str) -> np.ndarray:
    return _scaled(load_sample_photo(mode=mode, max_side=512), height)


# Shared read-only by every visitor (st.cache_data unpickled a fresh copy at every run).
@st.cache_resource(show_spinner=False, max_entries=8)
def sample_photo(size: tuple[int, int], mode: str = "RGB") -> np.ndarray:
    """The sample photo resized to (height, width), float in [0, 1], (H, W, C); read-only."""
    photo = resize(load_sample_photo(mode=mode, max_side=512), size)
    return _read_only(photo.reshape(*size, -1) / 255.0)


def _scaled(image: np.ndarray, height: int) -> np.ndarray:
    """uint8 (H, W[, C]) -> float (height, width, C) in [0, 1], keeping the aspect ratio up to 4:1."""
    width = round(image.shape[1] * height / image.shape[0])
    width = min(max(width, -(-height // MAX_ASPECT)), MAX_ASPECT * height)
    small = resize(image, (height, width))
    return small.reshape(height, width, -1) / 255.0


def kernel_bank(key: str, channel_names: list[str], max_filters: int = 4):
    """Kernel size, number of filters, and per filter a preset, a bias and editable numbers.

    Returns (kernels (k, k, C_in, F), bias (F,), filter names), or None when a cell is not a number.
    """
    left, right, _spare = st.columns([1, 1, 1])
    size = settings.radio(
        _("Kernel size"),
        KERNEL_SIZES,
        horizontal=True,
        key=f"{key}_ksize",
        format_func=lambda k: f"{k}×{k}",
        where=left,
    )
    count = settings.slider(
        _("Number of filters"),
        1,
        max_filters,
        2,
        key=f"{key}_filters",
        help=_("Each filter gives one feature map (one output channel)."),
        where=right,
    )
    bank, biases, names = [], [], []
    tabs = lazy.tabs([_("Filter {number}", number=f + 1) for f in range(count)], f"{key}_filter_tab")
    for f, tab in enumerate(tabs):
        # Only the open tab's filter is drawn; the others are read from what the visitor set (or the
        # link, or their defaults), so every filter still counts. A hidden filter's error goes below
        # the tabs, where it is seen.
        if tab.open:
            with tab:
                kernel, preset, bias, default = _filter(key, f, size, channel_names, shown=True)
        else:
            kernel, preset, bias, default = _filter(key, f, size, channel_names, shown=False)
        if kernel is None:
            return None
        bank.append(kernel)
        biases.append(bias)
        if np.array_equal(kernel, default):
            names.append(_("filter {number}: {preset}", number=f + 1, preset=_(preset)))
        else:  # Typed by hand: no longer the preset, so not named as it.
            names.append(_("filter {number}: edited {preset}", number=f + 1, preset=_(preset)))
    return np.stack(bank, axis=-1), np.array(biases), names  # (k, k, C_in, F), (F,)


def _filter(key: str, f: int, size: int, channel_names: list[str], shown: bool):
    """Filter ``f``'s preset, bias and kernel (k, k, C_in): drawn when ``shown``, else only read.

    Returns (kernel or None when a cell is not a number, preset, bias, the preset's own kernel).
    """
    left, right = (st.columns([2, 1, 1])[:2]) if shown else (None, None)
    preset = settings.selectbox(
        _("Preset"),
        PRESETS,
        key=f"{key}_preset_{f}",
        index=PRESETS.index(DEFAULT_FILTERS[f % len(DEFAULT_FILTERS)]),
        format_func=labels(PRESETS),
        where=left,
    )
    bias = settings.number_input(_("Bias"), -10.0, 10.0, 0.0, step=0.5, key=f"{key}_bias_{f}", where=right)
    default = preset_kernel(preset, size, len(channel_names), seed=f)
    slices = []
    for c, column in enumerate(st.columns(len(channel_names)) if shown else [None] * len(channel_names)):
        editor_key = f"{key}_kernel_{f}_{preset}_{size}_{c}_of_{len(channel_names)}"
        if len(channel_names) > 1:
            label = _("Filter {number}, weights for channel {channel}", number=f + 1, channel=channel_names[c])
        else:
            label = _("Filter {number}", number=f + 1)
        link = f"{key}_kernel{f + 1}" + (f"_{channel_names[c]}" if len(channel_names) > 1 else "")
        if shown:
            with column:
                slices.append(grid_editor(label, default[:, :, c], editor_key, link=link))
        else:
            slices.append(_hidden_grid(label, default[:, :, c], editor_key, link))
    if any(s is None for s in slices):
        return None, preset, bias, default
    return np.stack(slices, axis=-1), preset, bias, default


def _hidden_grid(label: str, values: np.ndarray, key: str, link: str) -> np.ndarray | None:
    """``grid_editor``'s numbers for a run that does not draw it; a cell that is not a number is
    said below the tabs (its own tab is closed), naming the grid."""
    try:
        return parse_grid(settings.hidden_grid_cells(key, format_grid(values), link))
    except GridError as exc:
        st.error(_("{grid}: {reason}. Type a number such as 2, -0.5 or 1/9.", grid=label, reason=error_text(exc)))
        return None


def conv2d(image: np.ndarray, kernel_bank: np.ndarray, bias: np.ndarray, strides: int, padding) -> np.ndarray:
    """Cached ``cnn_core.conv2d``: (H, W, C_in) x (k, k, C_in, F) -> (H_out, W_out, F), read-only."""
    return _conv2d(Inputs.of(image, kernel_bank, bias, strides, padding))


def pool2d(x: np.ndarray, pool_size: int, strides: int, padding: str, mode: str) -> np.ndarray:
    """Cached ``cnn_core.pool2d``, read-only."""
    return _pool2d(Inputs.of(x, pool_size, strides, padding, mode))


def photo_conv2d(size: tuple[int, int], mode: str, kernel_bank: np.ndarray, padding) -> np.ndarray:
    """The sample photo (``sample_photo(size, mode)``) convolved with ``kernel_bank``, no bias, stride 1.

    Keyed by the photo's size and mode rather than its pixels, so a run does not hash the photo.
    """
    return _photo_conv2d(Inputs.of(size, mode, kernel_bank, padding))


# The results are shared read-only by every visitor with the same inputs; the arrays are hashed
# once per call (``Inputs``), where st.cache_data hashed them and unpickled a copy at every run.
@st.cache_resource(show_spinner=False, max_entries=32, hash_funcs=BY_DIGEST)
def _conv2d(inputs: Inputs) -> np.ndarray:
    return _read_only(sliding.conv2d(*inputs.values))


@st.cache_resource(show_spinner=False, max_entries=32, hash_funcs=BY_DIGEST)
def _pool2d(inputs: Inputs) -> np.ndarray:
    return _read_only(sliding.pool2d(*inputs.values))


@st.cache_resource(show_spinner=False, max_entries=16, hash_funcs=BY_DIGEST)
def _photo_conv2d(inputs: Inputs) -> np.ndarray:
    size, mode, kernel_bank, padding = inputs.values
    bias = np.zeros(kernel_bank.shape[-1])
    return _read_only(sliding.conv2d(sample_photo(size, mode), kernel_bank, bias, 1, padding))


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def padding_picker(key: str, default: str = "valid", max_explicit: int = 3):
    """ "valid", "same" or an explicit int p, chosen with a radio (and a slider for p)."""
    options = ("valid", "same", "explicit p")
    choice = settings.radio(
        _("Padding"),
        options,
        index=options.index(default),
        horizontal=True,
        key=f"{key}_padding",
        format_func=labels({"valid": "valid", "same": "same", "explicit p": N_("explicit p")}),
        help=_(
            "valid: no padding. same: Keras pads so that output = ceil(input / stride). "
            "explicit p: p zeros on every side."
        ),
    )
    if choice != "explicit p":
        return choice
    return settings.slider(_("p (zeros on every side)"), 0, max_explicit, 1, key=f"{key}_p")


def show_output_size(
    input_shape: tuple[int, int],
    kernel_size: int,
    strides: int,
    padding,
    channels: int | None = None,
    what: str = "window",
) -> tuple[int, int] | None:
    """Show o = floor((i + 2p - k) / s) + 1 with the user's numbers; None with a warning if no fit.

    ``what`` names the sliding thing in the warning: "kernel", "window" or "pooling window".
    """
    try:
        rows = output_size_lines(input_shape[0], kernel_size, strides, padding, language())
        cols = output_size_lines(input_shape[1], kernel_size, strides, padding, language())
        shape = output_shape(input_shape, kernel_size, strides, padding)
    except ValueError:
        p = 0 if padding == "valid" else padding
        st.warning(
            _(
                NO_FIT[what],
                k=kernel_size,
                height=input_shape[0],
                width=input_shape[1],
                p=p,
                smallest=min(input_shape),
            )
        )
        return None
    square = input_shape[0] == input_shape[1]
    for axis, lines in ((_("**Output size:**") if square else _("**Rows:**"), rows), (_("**Columns:**"), cols)):
        st.markdown(axis)
        for words, math in lines:
            if words:
                st.markdown(words)
            st.latex(math)
        if square:
            break
    extra = f" × {channels}" if channels is not None else ""
    st.markdown(
        _(
            "**Output shape: {rows} × {cols}{extra}** (input {height} × {width}, window {k}, stride {s}, "
            "padding {padding})",
            rows=shape[0],
            cols=shape[1],
            extra=extra,
            height=input_shape[0],
            width=input_shape[1],
            k=kernel_size,
            s=strides,
            padding=repr(padding),
        )
    )
    return shape


# One whole sentence per thing that slides, so each language can decline the noun as it needs.
NO_FIT = {
    "kernel": N_(
        "A {k}×{k} kernel does not fit in a {height}×{width} input with padding p = {p}: the formula needs "
        "i + 2p ≥ k, and here {smallest} + 2·{p} < {k}. Choose a smaller kernel, a bigger input, or padding "
        "('same' always fits)."
    ),
    "window": N_(
        "A {k}×{k} window does not fit in a {height}×{width} input with padding p = {p}: the formula needs "
        "i + 2p ≥ k, and here {smallest} + 2·{p} < {k}. Choose a smaller window, a bigger input, or padding "
        "('same' always fits)."
    ),
    "pooling window": N_(
        "A {k}×{k} pooling window does not fit in a {height}×{width} input with padding p = {p}: the formula "
        "needs i + 2p ≥ k, and here {smallest} + 2·{p} < {k}. Choose a smaller pooling window, a bigger input, "
        "or padding ('same' always fits)."
    ),
}
