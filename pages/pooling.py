"""Pooling: keep the largest (or the mean) value of each window to shrink a feature map."""

import numpy as np
import streamlit as st

from cnn_core.figures.grids import grid_figure, images_figure
from cnn_core.ops.kernels import preset_kernel
from cnn_core.ops.sliding import relu
from ui import concept as ui
from ui import settings, turns
from ui.charts import value_chart
from ui.i18n import N_, _, language, number
from ui.players import pool_player
from ui.predict import pool_cell_predictor, predict_output_size

# The classic 4x4 example: 2x2 max pooling with stride 2 gives [[6, 8], [3, 4]].
POOL_GRID = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]])
PHOTO_FILTERS = ("vertical edge", "horizontal edge", "sharpen", "random")
MODES = {"max": N_("max"), "average": N_("average")}
POOLED = {"max": N_("max pooled: {height}×{width}"), "average": N_("average pooled: {height}×{width}")}
PHOTO_POOLED = {"max": N_("max pooled {height}×{width}"), "average": N_("average pooled {height}×{width}")}

st.title(_("Pooling"))
settings.begin("pooling")
st.markdown(
    _(
        "A pooling layer slides a window over each feature map, like a convolution, but it has **no "
        "weights**: **max pooling** keeps the largest value in the window, **average pooling** the mean. "
        "The usual choice, and the seed's `MaxPooling2D((2, 2))`, is a 2×2 window with stride 2, which "
        "halves the height and the width. Fewer numbers make the next layers cheaper, each of their "
        "windows then covers a larger part of the image (the spatial hierarchy), and a feature that "
        "moves by a pixel often still wins the same max. Each channel is pooled on its own."
    )
)

st.subheader(_("1. Input"))
picked = ui.pick_input("pool", sources=("grid", "mnist"), default_grid=POOL_GRID, allow_color=False)
if picked is None:
    st.stop()
x = picked[0]


@st.fragment
@turns.in_turn
def results(x) -> None:
    """The pooling window and all it changes: a change here reruns only this part, not the input grid.

    The share link is at the end of this part, so it follows every change.
    """
    st.subheader(_("2. Pooling window"))
    cols = st.columns(4)
    mode = settings.radio(_("Mode"), tuple(MODES), key="pool_mode", format_func=ui.labels(MODES), where=cols[0])
    pool_size = settings.slider(_("Pool size"), 1, 4, 2, key="pool_size", where=cols[1])
    strides = settings.slider(
        _("Stride"), 1, 4, 2, key="pool_strides", help=_("Keras's default stride is the pool size."), where=cols[2]
    )
    padding = settings.radio(
        _("Padding"),
        ("valid", "same"),
        key="pool_padding",
        help=_("With 'same', padded cells are left out: never the max, not counted in the mean."),
        where=cols[3],
    )
    predict_output_size("pool_output_size", x.shape[:2], pool_size, strides, padding)
    shape = ui.show_output_size(x.shape[:2], pool_size, strides, padding, what="pooling window")
    if shape is None:
        return
    pool_player(x, pool_size, strides, padding, mode, key="pool", predict=pool_cell_predictor("pool_cell"))
    pooled = ui.pool2d(x, pool_size, strides, padding, mode)
    pooled_title = _(POOLED[mode], height=pooled.shape[0], width=pooled.shape[1])
    value_chart(
        grid_figure(
            pooled[:, :, 0],
            title=pooled_title,
            colorscale="gray",
            zmin=float(x.min()),
            zmax=float(x.max()),
            language=language(),
        ),
        "pool_result",
        [(pooled_title, pooled[:, :, 0])],
        alt=pooled_title,
    )

    st.subheader(_("3. Downsampling a real feature map"))
    st.markdown(
        _(
            "The seed's cats-vs-dogs convnet starts with `Conv2D(32, (3, 3), activation='relu')` on a "
            "150×150×3 photo, which gives 148×148 feature maps, then `MaxPooling2D((2, 2))`, which gives "
            "74×74. Here is one such feature map of the cat photo (one filter, after ReLU), pooled with the "
            "settings above."
        )
    )
    preset = settings.selectbox(
        _("Filter of the feature map"),
        PHOTO_FILTERS,
        key="pool_photo_filter",
        format_func=ui.labels(PHOTO_FILTERS),
    )
    kernel = preset_kernel(preset, 3, channels=3)[:, :, :, None]  # (3, 3, 3, 1)
    # The 150x150 sample photo through it: (148, 148, 1), and Conv2D's ReLU.
    feature_map = relu(ui.photo_conv2d((150, 150), "RGB", kernel, "valid"))
    small = ui.show_output_size(feature_map.shape[:2], pool_size, strides, padding, what="pooling window")
    if small is not None:
        downsampled = ui.pool2d(feature_map, pool_size, strides, padding, mode)
        photo_titles = [
            _("feature map {height}×{width}", height=feature_map.shape[0], width=feature_map.shape[1]),
            _(PHOTO_POOLED[mode], height=downsampled.shape[0], width=downsampled.shape[1]),
        ]
        value_chart(
            images_figure(
                [feature_map[:, :, 0], downsampled[:, :, 0]],
                photo_titles,
                colorscale="Viridis",
                zmin=0.0,
                zmax=float(feature_map.max()) or 1.0,
                language=language(),
            ),
            "pool_photo",
            list(zip(photo_titles, [feature_map[:, :, 0], downsampled[:, :, 0]])),
            alt=_("The feature map and its pooled map"),
        )
        st.caption(
            _(
                "{before} numbers become {after}. Both are computed in one go by `cnn_core.conv2d` and "
                "`cnn_core.pool2d`, which match Keras's `Conv2D` and pooling layers.",
                before=number(feature_map.size),
                after=number(downsampled.size),
            )
        )
    settings.share_link()


results(x)
