"""Convolution: a window slides over the input; each patch times the kernel, summed, is one output."""

import streamlit as st

from cnn_core.figures.grids import feature_maps_figure
from cnn_core.ops.sliding import relu
from ui import concept as ui
from ui import settings, turns
from ui.charts import value_chart
from ui.i18n import N_, _, language
from ui.players import conv_player
from ui.predict import conv_cell_predictor, predict_output_size

# Widget values stay English keys; "none" is Keras's activation=None (the sum plus bias as it is).
ACTIVATIONS = {"relu": N_("ReLU (the note's activation='relu')"), "none": N_("None (the sum plus bias as it is)")}

st.title(_("Convolution"))
settings.begin("convolution")
st.markdown(
    _(
        "A convolution layer slides a small **window** (3×3 or 5×5) over its input. At every position "
        "it takes the **patch** under the window, multiplies it cell by cell with the **kernel** (the "
        "filter's weights), and adds the products up. With several input channels (R, G, B) each "
        "channel has its own slice of the kernel; the per-channel sums are added together with the "
        "filter's **bias**. The note's `Conv2D(32, (3, 3), activation='relu')` then applies **ReLU**, "
        "max(0, x): a negative sum becomes 0. That number is one cell of the **feature map**, which says "
        "how strongly the filter's pattern appears at that spot. A layer with several filters makes one "
        "feature map per filter."
    )
)

st.subheader(_("1. Input"))
picked = ui.pick_input("conv")
if picked is None:
    st.stop()
image, channel_names = picked

st.subheader(_("2. Filters"))
bank = ui.kernel_bank("conv", channel_names)
if bank is None:
    st.stop()
kernel_bank, bias, filter_names = bank


@st.fragment
@turns.in_turn
def results(image, kernel_bank, bias, channel_names, filter_names) -> None:
    """Activation, stride and padding and all they change: a change here reruns only this part.

    The input grid and the filters above (two data editors, the page's costliest widgets) are drawn
    again only when they change; the share link is at the end of this part, so it follows every change.
    """
    choice = settings.radio(
        _("Activation"),
        tuple(ACTIVATIONS),
        horizontal=True,
        key="conv_activation",
        format_func=ui.labels(ACTIVATIONS),
        help=_("Keras's Conv2D applies no activation unless asked; the note's layers all ask for 'relu'."),
    )
    activation = "relu" if choice == "relu" else None
    st.markdown(
        _(
            "**Activation**: the note calls the result of applying the activation function, element "
            "by element, to a convolution layer's output its *activation*, and a feature map after ReLU an "
            "*activation map*. ReLU keeps positive values and turns negative ones into 0, so an activation "
            "map shows only where the filter's pattern is present."
        )
    )

    st.subheader(_("3. Stride, padding and the output size"))
    left, right = st.columns(2)
    strides = settings.slider(
        _("Stride"), 1, 4, 1, key="conv_strides", help=_("How many cells the window jumps."), where=left
    )
    with right:
        padding = ui.padding_picker("conv")
    predict_output_size("conv_output_size", image.shape[:2], kernel_bank.shape[0], strides, padding)
    shape = ui.show_output_size(
        image.shape[:2], kernel_bank.shape[0], strides, padding, channels=kernel_bank.shape[3], what="kernel"
    )
    if shape is None:
        return

    st.subheader(_("4. Watch it compute"))
    st.markdown(
        _(
            "**Play** runs in your browser; drag its slider to scrub. **Step by step** shows one output cell "
            "exactly: the patch, the kernel, their products, the sum per channel, the bias and the ReLU. "
            "Open **Predict first** there to work a cell out before you see it."
        )
    )
    conv_player(
        image,
        kernel_bank,
        bias,
        strides,
        padding,
        channel_names,
        filter_names,
        key="conv",
        activation=activation,
        predict=conv_cell_predictor("conv_cell", activation),
    )

    st.subheader(_("5. All feature maps"))
    pre_activation = ui.conv2d(image, kernel_bank, bias, strides, padding)  # the sums plus bias
    if activation == "relu":
        st.markdown(_("**Before ReLU:** the sum plus bias, negative where the pattern is absent."))
        value_chart(
            feature_maps_figure(pre_activation, filter_names, language=language()),
            "conv_maps_before",
            [(name, pre_activation[:, :, i]) for i, name in enumerate(filter_names)],
            alt=_("The feature maps before ReLU, one per filter"),
        )
        output = relu(pre_activation)
        negative = int((pre_activation < 0).sum())
        st.markdown(_("**After ReLU:** the feature maps the layer outputs, every negative cell now 0."))
    else:
        output = pre_activation
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
    if activation == "relu":
        st.caption(
            _(
                "ReLU set {negative} of the {cells} cells to 0, as `tf.nn.relu(tf.nn.conv2d(...) + b)` and "
                "Keras's `Conv2D(..., activation='relu')` do.",
                negative=negative,
                cells=pre_activation.size,
            )
        )
    settings.share_link()


results(image, kernel_bank, bias, channel_names, filter_names)
