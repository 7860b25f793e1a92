"""Convolution: a window slides over the input; each patch times the kernel, summed, is one output."""

import streamlit as st

from cnn_core.figures.grids import feature_maps_figure
from ui import concept as ui
from ui.charts import value_chart
from ui.i18n import _, language
from ui.players import conv_player

st.title(_("Convolution"))
st.markdown(
    _(
        "A convolution layer slides a small **window** (3×3 or 5×5) over its input. At every position "
        "it takes the **patch** under the window, multiplies it cell by cell with the **kernel** (the "
        "filter's weights), and adds the products up. With several input channels (R, G, B) each "
        "channel has its own slice of the kernel; the per-channel sums are added together with the "
        "filter's **bias**. That one number is one cell of the **feature map**, which says how strongly "
        "the filter's pattern appears at that spot. A layer with several filters makes one feature map "
        "per filter."
    )
)

st.subheader(_("1. Input"))
picked = ui.pick_input("conv")
if picked is None:
    st.stop()
image, channel_names = picked
if image.shape[2] == 3 and image.shape[0] > 12:
    caption = _("{height}×{width}×3 input", height=image.shape[0], width=image.shape[1])
    st.image(image, caption=caption, width=220, clamp=True)

st.subheader(_("2. Filters"))
bank = ui.kernel_bank("conv", channel_names)
if bank is None:
    st.stop()
kernel_bank, bias, filter_names = bank

st.subheader(_("3. Stride, padding and the output size"))
left, right = st.columns(2)
strides = left.slider(_("Stride"), 1, 4, 1, key="conv_strides", help=_("How many cells the window jumps."))
with right:
    padding = ui.padding_picker("conv")
shape = ui.show_output_size(
    image.shape[:2], kernel_bank.shape[0], strides, padding, channels=kernel_bank.shape[3], what="kernel"
)
if shape is None:
    st.stop()

st.subheader(_("4. Watch it compute"))
st.markdown(
    _(
        "**Play** runs in your browser; drag its slider to scrub. **Step by step** shows one output cell "
        "exactly: the patch, the kernel, their products, the sum per channel, and the bias."
    )
)
conv_player(image, kernel_bank, bias, strides, padding, channel_names, filter_names, key="conv")

st.subheader(_("5. All feature maps"))
output = ui.conv2d(image, kernel_bank, bias, strides, padding)
value_chart(
    feature_maps_figure(output, filter_names, language=language()),
    "conv_maps",
    [(name, output[:, :, i]) for i, name in enumerate(filter_names)],
    alt=_("The feature maps, one per filter"),
)
st.caption(
    _(
        "{height}×{width}×{filters}: one map per filter, computed at once by `cnn_core.conv2d` (the same "
        "numbers as `tf.nn.conv2d` plus the bias). Orange is positive, purple negative; each map has its own colour bar.",
        height=output.shape[0],
        width=output.shape[1],
        filters=output.shape[2],
    )
)
