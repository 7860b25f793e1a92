"""How the network reads a digit: every layer's output for one digit, and any cell recomputed from the model's weights."""

import numpy as np
import streamlit as st

from cnn_core.figures.pictures import colour_strip, field_picture
from cnn_core.i18n import LabError
from cnn_core.learning.explain import explain_cell, receptive_fields
from ui import network
from ui.i18n import _, error_text, percent

st.title(_("How the network reads a digit"))
st.markdown(
    _(
        "Follow one digit through a trained convnet: what every layer outputs, and how big a piece of the "
        "digit each of its cells sees. Then **pick any cell** of any layer and see the numbers that "
        "produced it, recomputed from the model's own weights: a conv cell's patch, kernels, bias and ReLU; "
        "a pooling window; where Flatten put a number; a Dense unit's weighted sum; and the softmax that "
        "turns the last layer's sums into probabilities."
    )
)

# 1. The model and the digit.
options = network.model_options()
if not options:
    st.error(_("No MNIST model is available: the shipped models are missing from models/ and none was trained yet."))
    st.stop()
choose_model, choose_digit = st.columns(2)
# Labels are made during the run, in its language; a format_func that translated later would miss it.
model_labels = {option: network.model_label(option) for option in options}
option = choose_model.selectbox(_("Model"), options, format_func=model_labels.get, key="network_model")
try:
    model = network.open_model(option)
except Exception as exc:  # A damaged or vanished model file.
    st.error(_("Could not open this model: {reason}", reason=exc))
    st.stop()
with choose_digit:
    source_labels = {source: network.source_label(source) for source in network.SOURCES}
    source = st.radio(
        _("Digit"), list(source_labels), format_func=source_labels.get, horizontal=True, key="network_source"
    )
    image = network.test_digit() if source == "test" else network.drawn_digit(model)
if image is None:
    st.stop()
try:
    outputs = network.layer_outputs(model, image)
    fields = {field.name: field for field in receptive_fields(model)}
except ValueError as exc:  # A session model whose input is not a 28x28 digit.
    st.error(_("This model cannot read the digit: {reason}", reason=error_text(exc)))
    st.stop()
probabilities = outputs[-1].output
predicted = int(np.argmax(probabilities))
shown, reading = st.columns([1, 2])
shown.image(field_picture(image, None, network.INPUT_WIDTH), caption=_("What the model sees: 28×28 pixels"))
reading.metric(_("The model reads"), str(predicted), _("{share} sure", share=percent(float(probabilities[predicted]))))
reading.caption(
    _(
        "Its last layer's ten numbers are the probabilities of the ten digits; the cell picker below shows where they come from."
    )
)

# 2. Every layer in order.
st.header(_("Layer by layer"))
st.markdown(
    _(
        "Each conv layer's maps are shown after its ReLU, each on its own scale (bright = large; a map "
        "that stays 0 for this digit is uniform). Pooling halves the maps; Flatten lines the last maps up "
        "as one row of numbers; the Dense layers weigh all of them."
    )
)
# The maps' colour bar: the activation grids' recipe, each map standardised on its own.
st.image(colour_strip("viridis", 280, 12), caption=_("mean − 2 SD · mean · mean + 2 SD"), width=280)
for out in outputs:
    network.show_layer(out, fields.get(out.name))

# 3. Receptive fields.
st.header(_("How much of the digit a cell sees"))
st.markdown(
    _(
        "A cell's **receptive field** is the square of input pixels it depends on. Each conv or pooling "
        "layer with window $k$ widens it by $k - 1$ steps of its input's **jump** $j$ (how many input pixels "
        "apart two neighbouring cells of its input are), and its stride $s$ multiplies the jump:"
    )
)
st.latex(r"r_{out} = r_{in} + (k - 1)\, j_{in}, \qquad j_{out} = j_{in} \cdot s, \qquad r_0 = j_0 = 1")
st.dataframe(network.field_rows(fields.values()), hide_index=True)
st.caption(
    _("Flatten and the Dense layers after it see the whole digit: each of their numbers depends on every pixel.")
)

# 4. Pick a cell.
st.header(_("Pick a cell"))
names = [out.name for out in outputs]
by_name = {out.name: out for out in outputs}
layer_labels = {
    out.name: _(
        "{name} ({kind} layer, {shape})", name=out.name, kind=out.kind, shape=network.shape_text(out.output.shape)
    )
    for out in outputs
}
controls, picture = st.columns([3, 2])
with controls:
    layer = st.selectbox(
        _("Layer"),
        names,
        format_func=layer_labels.get,
        key=f"network_layer_{option}",
    )
    out = by_name[layer]
    index = network.cell_inputs(option, out)
    st.text_input(
        _("Or type a cell"),
        key=f"{network.cell_key(option, layer)}_typed",
        placeholder=_("for example {example}", example="4, 6, 17" if out.output.ndim == 3 else "100"),
        on_change=network.typed_cell,
        args=(option, out),
    )
if network.CELL_ERROR in st.session_state:
    st.error(st.session_state.pop(network.CELL_ERROR))
try:
    cell = explain_cell(model, image, layer, index)
except LabError as exc:
    st.error(error_text(exc))
    st.stop()
box = getattr(cell, "input_box", None)
with picture:
    network.show_field(image, box, network.field_caption(box) if cell.kind != "Dropout" else "")
previous = names[names.index(layer) - 1] if names.index(layer) else "input"
if cell.kind == "Conv2D":
    network.show_conv_cell(cell, previous)
elif cell.kind == "Pooling2D":
    network.show_pool_cell(cell, previous)
elif cell.kind == "Flatten":
    network.show_flatten_cell(cell, previous)
elif cell.kind == "Dropout":
    network.show_dropout_cell(cell)
else:
    network.show_dense_cell(cell)
