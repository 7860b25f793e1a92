"""Padding: zeros around the input decide where the window may go, and so the output size."""

import numpy as np
import streamlit as st

from cnn_core.figures.grids import images_figure, padded_figure
from cnn_core.ops.coverage import coverage
from cnn_core.ops.kernels import KERNEL_SIZES, preset_kernel
from cnn_core.ops.shapes import conv_output_size, padding_amounts, same_padding
from cnn_core.ops.sliding import pad_input
from ui import concept as ui
from ui import settings
from ui.charts import value_chart
from ui.i18n import _, language, number
from ui.predict import predict_output_size, predict_same_padding

# The presets of the photo example, in the order shown.
PHOTO_KERNELS = ("box blur", "Gaussian blur", "vertical edge", "horizontal edge", "sharpen")

st.title(_("Padding"))
settings.begin("padding")
st.markdown(
    _(
        "Without padding (**valid**) a k×k window fits only i − k + 1 times across an input of size i, "
        "so every layer shrinks the map by k − 1 and the border pixels are seen by fewer windows than "
        "the centre. **Zero padding** adds rows and columns of zeros around the input first. Keras's "
        "**same** adds just enough that the output is o = ⌈i / s⌉ (for stride 1, the same size as the "
        "input): max((o − 1)·s + k − i, 0) zeros in total per axis, which is k − 1 only at stride 1, and "
        "when that number is odd the extra zero goes to the bottom and the right. An **explicit p** adds "
        "p zeros on every side, as in the formula o = ⌊(i + 2p − k) / s⌋ + 1."
    )
)

st.markdown(
    _(
        "Keras's `Conv2D` and pooling layers default to `padding='valid'`; the note's layers keep that "
        "default. To keep the size, ask for 'same':"
    )
)
st.code("layers.Conv2D(32, (3, 3), activation='relu', padding='same')", language="python")

st.subheader(_("1. Pad a small input"))
left, middle, right = st.columns(3)
size = settings.slider(_("Input size i"), 2, 10, 5, key="pad_size", where=left)
kernel_size = settings.slider(
    _("Kernel size k"), 1, 6, 3, key="pad_kernel", help=_("Even sizes show the uneven split."), where=middle
)
strides = settings.slider(_("Stride s"), 1, 3, 1, key="pad_strides", where=right)
padding = ui.padding_picker("pad", default="same")
if padding == "same":
    predict_same_padding("pad_same_padding", size, kernel_size, strides)
else:
    predict_output_size("pad_output_size", (size, size), kernel_size, strides, padding)
shape = ui.show_output_size((size, size), kernel_size, strides, padding, what="kernel")
if padding == "same":
    before, after = same_padding(size, kernel_size, strides)
    out = conv_output_size(size, kernel_size, strides, "same")
    st.markdown(
        _(
            "**Zeros 'same' adds per axis:** max((o − 1)·s + k − i, 0) = max(({out} − 1)·{s} + {k} − {i}, 0) "
            "= {total}: {before} before and {after} after (k − 1 = {k_minus_one} only at stride 1; for "
            "i = 28, k = 3, s = 2 it is 1).",
            out=out,
            s=strides,
            k=kernel_size,
            i=size,
            total=before + after,
            before=before,
            after=after,
            k_minus_one=kernel_size - 1,
        )
    )
if shape is not None:
    seen = coverage((size, size), kernel_size, strides, padding)
    top, bottom, lft, rgt = pads = seen.pads
    padded = pad_input(ui.example_grid(size, size)[:, :, None], kernel_size, strides, padding)[:, :, 0]
    first, last = ((*corner, kernel_size, kernel_size) for corner in (seen.corners[0], seen.corners[-1]))
    title = _("{size}×{size} input → {height}×{width} padded", size=size, height=padded.shape[0], width=padded.shape[1])
    figure = padded_figure(padded, pads, windows=[first, last], title=title, language=language())
    value_chart(figure, "pad_figure", [(_("padded input"), padded)], alt=title)
    st.caption(
        _(
            "Zeros added: {top} on top, {bottom} at the bottom, {left} on the left, {right} on the right (blue). "
            "The bold window is the first position, the thin one the last; the dashed line is the real input.",
            top=top,
            bottom=bottom,
            left=lft,
            right=rgt,
        )
    )

st.markdown(_("**The same input and kernel with each kind of padding:**"))
rows = [_("| padding | zeros per side (before, after) | output size |"), "|---|---|---|"]
for option in ("valid", "same", 1, 2):
    try:
        out = conv_output_size(size, kernel_size, strides, option)
        amounts = padding_amounts(size, kernel_size, strides, option)
        rows.append(f"| {option!r} | {amounts} | {out} × {out} |")
    except ValueError:
        rows.append(_("| {padding} | – | the window does not fit |", padding=repr(option)))
st.markdown("\n".join(rows))

st.subheader(_("2. Border effects on a real photo"))
st.markdown(
    _(
        "Zeros are not neutral. A blur next to the border averages real pixels with padded zeros, so "
        "with **same** padding the outer rows and columns come out darker; an edge filter sees a jump "
        "from the photo to zero and draws a frame that is not in the photo. **valid** avoids this by "
        "dropping those positions, at the price of a smaller output."
    )
)
left, right = st.columns(2)
preset = settings.selectbox(
    _("Kernel"), PHOTO_KERNELS, key="pad_photo_kernel", format_func=ui.labels(PHOTO_KERNELS), where=left
)
photo_k = settings.radio(
    _("Kernel size"),
    KERNEL_SIZES,
    index=1,
    horizontal=True,
    key="pad_photo_ksize",
    format_func=lambda k: f"{k}×{k}",
    where=right,
)
photo = ui.sample_photo((60, 90), "L")  # (60, 90, 1), in [0, 1]
kernel = preset_kernel(preset, photo_k)[:, :, :, None]  # (k, k, 1, 1)
valid = ui.photo_conv2d((60, 90), "L", kernel, "valid")[:, :, 0]
same = ui.photo_conv2d((60, 90), "L", kernel, "same")[:, :, 0]
sums_to_one = bool(np.isclose(kernel.sum(), 1.0))  # Blurs and sharpen keep brightness: use the photo's scale.
photo_titles = [
    _("photo {height}×{width}", height=photo.shape[0], width=photo.shape[1]),
    f"valid: {valid.shape[0]}×{valid.shape[1]}",
    f"same: {same.shape[0]}×{same.shape[1]}",
]
value_chart(
    images_figure(
        [photo[:, :, 0], valid, same],
        photo_titles,
        zmin=0.0 if sums_to_one else None,
        zmax=1.0 if sums_to_one else None,
        language=language(),
    ),
    "pad_photo",
    list(zip(photo_titles, [photo[:, :, 0], valid, same])),
    alt=_("The photo and its valid and same outputs"),
)
inner = photo_k // 2
st.caption(
    _(
        "Mean of the top row of the 'same' output: {top}; of row {inner}, the first row whose windows stay "
        "inside the photo: {inside}. The photo's own top row: {photo}.",
        top=number(same[0].mean(), 3),
        inner=inner,
        inside=number(same[inner].mean(), 3),
        photo=number(photo[0, :, 0].mean(), 3),
    )
)
settings.share_link()
