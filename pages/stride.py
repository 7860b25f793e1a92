"""Stride: how far the window jumps between positions, and what that does to the output size."""

import numpy as np
import streamlit as st

from cnn_core.figures.grids import padded_figure
from cnn_core.ops.coverage import coverage
from cnn_core.ops.sliding import pad_input
from ui import concept as ui
from ui import settings
from ui.charts import value_chart
from ui.i18n import _, language, ngettext
from ui.players import conv_player
from ui.predict import conv_cell_predictor, predict_output_size

CLASSIC = {"stride_size": 5, "stride_kernel": 3, "stride_strides": 2}

st.title(_("Stride"))
settings.begin("stride")
st.markdown(
    _(
        "The **stride** s is the distance between two consecutive window positions. With s = 1 the "
        "window visits every position; with s = 2 it skips every other one, so the output is about half "
        "as wide and tall: a convolution with a stride **downsamples**, like pooling does. Keras's "
        "default is `strides=1`."
    )
)


def _load_example(padding: str) -> None:
    st.session_state.update(CLASSIC, stride_padding=padding)


st.markdown(_("**The classic example: a 5×5 input, a 3×3 window, stride 2.**"))
left, right = st.columns(2)
left.button(_("Show it without padding (2×2)"), on_click=_load_example, args=("valid",), key="stride_classic_valid")
right.button(_("Show it with 'same' padding (3×3)"), on_click=_load_example, args=("same",), key="stride_classic_same")
with st.expander(_("The arithmetic, and why it is not 4×4")):
    st.latex(r"\text{valid: } o = \left\lfloor \frac{5 + 2 \cdot 0 - 3}{2} \right\rfloor + 1 = 1 + 1 = 2")
    st.latex(
        r"\text{same: } o = \left\lceil \frac{5}{2} \right\rceil = 3"
        r" = \left\lfloor \frac{5 + 1 + 1 - 3}{2} \right\rfloor + 1"
    )
    st.markdown(
        _(
            "With 'same' padding Keras adds one zero on each side, so each row of the padded input has 7 "
            "cells and the window starts at columns 0, 2 and 4: three positions, a 3×3 output. The seed "
            "note labels its stride-2 picture 4×4, which does not follow from the formula. Four positions "
            "per row would start at 0, 2, 4 and 6 and end at column 8, so they need 9 cells: two zeros "
            "on each side, p = 2, where ⌊(5 + 2·2 − 3) / 2⌋ + 1 = 4. (A 4×4 output is also what stride 1 "
            "gives with a 2×2 window.)"
        )
    )

st.subheader(_("Try your own numbers"))
cols = st.columns(3)
size = settings.slider(_("Input size i"), 3, 12, 5, key="stride_size", where=cols[0])
kernel_size = settings.slider(_("Window size k"), 1, 5, 3, key="stride_kernel", where=cols[1])
strides = settings.slider(_("Stride s"), 1, 4, 2, key="stride_strides", where=cols[2])
padding = ui.padding_picker("stride")
predict_output_size("stride_output_size", (size, size), kernel_size, strides, padding)
shape = ui.show_output_size((size, size), kernel_size, strides, padding, what="window")
if shape is None:
    st.stop()

image = ui.example_grid(size, size)[:, :, None].astype(float)  # (i, i, 1)
ones = np.ones((kernel_size, kernel_size, 1, 1))  # Each output is its window's sum.
seen = coverage(image.shape, kernel_size, strides, padding)
padded = pad_input(image, kernel_size, strides, padding)[:, :, 0]
windows = [(top, left, kernel_size, kernel_size) for top, left in seen.corners]
windows_title = ngettext(
    "The {n} window visited (bold: the first)", "The {n} windows visited (bold: the first)", len(seen.corners)
)
value_chart(
    padded_figure(padded, seen.pads, windows=windows, coverage=seen.counts, title=windows_title, language=language()),
    "stride_windows",
    [(_("padded input"), padded), (_("windows covering each cell"), seen.counts)],
    alt=windows_title,
)

if seen.unseen:
    reasons = []
    if seen.gap:
        reasons.append(
            _(
                "the stride s = {s} is larger than the window k = {k}, so {gap} column(s) and row(s) between "
                "two windows are jumped over",
                s=strides,
                k=kernel_size,
                gap=seen.gap,
            )
        )
    if seen.leftover:
        first, last = seen.last_window
        reasons.append(
            _(
                "after the last window (padded columns {first} to {last}) {leftover} column(s) are left, too "
                "few for another jump: i + p_before + p_after − k = {room} is not a multiple of s = {s}, and "
                "the floor in the formula drops the remainder {remainder}",
                first=first,
                last=last,
                leftover=seen.leftover,
                room=seen.room,
                s=strides,
                remainder=seen.room % strides,
            )
        )
    if seen.gap:
        remedy = _(
            "No padding helps while the stride is larger than the window: here 'same' padding too leaves "
            "pixels out. Every pixel is seen only with s ≤ k."
        )
    else:
        remedy = _(
            "With a stride no larger than the window (s ≤ k), 'same' padding sees them all, and so does a "
            "stride that divides i + p_before + p_after − k."
        )
    st.warning(
        _(
            "{unseen} of the {total} input pixels (red ✕) are never inside any window: {reasons}. Keras and "
            "TensorFlow ignore these pixels without a warning. {remedy}",
            unseen=seen.unseen,
            total=size * size,
            reasons=_("; and ").join(reasons),
            remedy=remedy,
        )
    )
else:
    st.success(_("Every one of the {total} input pixels is inside at least one window.", total=size * size))

st.subheader(_("Watch the window jump"))
st.caption(
    _("The kernel is all ones, so each output is the sum of its window: here the positions matter, not the weights.")
)
conv_player(
    image,
    ones,
    np.zeros(1),
    strides,
    padding,
    [_("input")],
    [_("window sum")],
    key="stride",
    predict=conv_cell_predictor("stride_cell", None),
)
settings.share_link()
