"""The network page's parts: the models a digit can go through, the digit, cached layer outputs, and one cell shown."""

from __future__ import annotations

import re

import numpy as np
import streamlit as st

from cnn_core.figures.pictures import display_scale, field_picture, grid_picture
from cnn_core.i18n import N_
from cnn_core.learning.activations import activation_grid
from cnn_core.learning.explain import network_outputs
from cnn_core.learning.graph import model_fingerprint
from cnn_core.ops.formulas import bmatrix, format_value, pool_step_latex, relu_latex, softmax_latex
from ui import state
from ui.charts import channel_table, labelled_chart, numbers_twin, values_twin
from ui.i18n import _, language, ngettext, number, percent
from ui.resources import MODELS_DIR, SHIPPED_MODELS, mnist, shipped_model

SOURCES = {"test": N_("A test digit"), "draw": N_("Draw one")}
SHOWN_CHANNELS = 4  # A conv cell shows the kernel slices of this many input channels at most.
MAPS_WIDTH = 832  # Layer grids are enlarged to about this many pixels: sharp, yet small PNGs.
INPUT_WIDTH = 196  # The digit with a receptive field is shown 7 screen pixels per input pixel.
VECTOR_ROWS_MAX = 128  # A layer of at most this many numbers is listed in its twin; a longer one is summed up.
OUTPUTS_CACHED = 32  # Layer outputs kept per server: one entry per (model, digit) seen recently.
CELL_ERROR = "network_cell_error"  # The message of the last cell typed in that did not fit its layer.


# --- 1. the model and the digit -------------------------------------------------------------------


def model_options() -> list[str]:
    """Stable keys of the models a digit can go through: ``shipped:<file>``, then ``session:<name>``."""
    options = [f"shipped:{name}" for name in SHIPPED_MODELS if (MODELS_DIR / f"{name}.keras").is_file()]
    options += [f"session:{name}" for name, entry in state.session_models().items() if entry.task == "mnist"]
    return options


def model_label(option: str) -> str:
    kind, name = option.split(":", 1)
    if kind == "shipped":
        return _(SHIPPED_MODELS[name])
    return _("{name} (trained in this session)", name=name)


def open_model(option: str):
    """The Keras model behind an option of ``model_options``."""
    kind, name = option.split(":", 1)
    return shipped_model(name) if kind == "shipped" else state.session_models()[name].model


def source_label(source: str) -> str:
    return _(SOURCES[source])


def test_digit() -> np.ndarray:
    """A test digit chosen by its index, as (28, 28) float32 in [0, 1]."""
    _unused, (x_test, y_test) = mnist()
    index = st.number_input(_("Test digit index"), 0, len(x_test) - 1, 0, key="network_digit")
    st.caption(_("MNIST's test digit #{index} is a **{label}**.", index=index, label=int(y_test[index])))
    return np.asarray(x_test[index], dtype=np.float32) / 255.0


def drawn_digit(model) -> np.ndarray | None:
    """A digit drawn on the pad, prepared by ``read_digit`` for ``model`` (28, 28), or None with a message shown."""
    from cnn_core.vision.digits import prepare_digit
    from cnn_core.vision.ink import NoDigitError
    from cnn_core.vision.reader import read_digit

    try:
        from streamlit_drawable_canvas import st_canvas
    except Exception:  # The component can fail to register outside a browser session.
        st.error(_("The drawing pad could not start here; choose a test digit instead."))
        return None
    st.space("small")  # The pad's toolbar floats above its top edge; without room it covers the radio's labels.
    canvas = st_canvas(
        stroke_width=18,
        stroke_color="#FFFFFF",
        background_color="#000000",
        height=280,
        width=280,
        drawing_mode="freedraw",
        return_image_data=True,
        key="network_canvas",
    )
    st.caption(_("Draw one digit, large and in the middle. The bin icon clears the pad."))
    drawing = None if canvas is None else canvas.image_data
    if drawing is None or not np.asarray(drawing)[..., :3].any():
        st.info(_("Draw a digit on the pad to see how the network reads it."))
        return None
    drawing = np.ascontiguousarray(drawing, dtype=np.uint8)
    try:
        reading = read_digit(drawing, model)  # the same preparation as Read my digit: the surer of two
    except NoDigitError:
        reading = None
    except Exception:  # A session model that takes no 28x28 digit: prepared plainly, and the page says why below.
        try:
            return prepare_digit(drawing)
        except NoDigitError:
            reading = None
    if reading is None or not np.any(reading.prepared):
        st.warning(_("No digit was found in the drawing: draw one digit, large and in the middle."))
        return None
    if not reading.confident:
        st.info(reading.reason_text(language()))
    return reading.prepared


@st.cache_data(max_entries=OUTPUTS_CACHED, show_spinner=False)
def _cached_outputs(_model, fingerprint: str, image: np.ndarray):
    return network_outputs(_model, image)


def layer_outputs(model, image: np.ndarray):
    """``network_outputs`` for this model and digit, cached by the model's weights and the digit's pixels."""
    return _cached_outputs(model, model_fingerprint(model), image)


# --- 2. every layer -------------------------------------------------------------------------------


def shape_text(shape) -> str:
    return "×".join(str(size) for size in shape)


def maps_picture(maps: np.ndarray) -> np.ndarray:
    """An (H, W, C) layer output as the activation page lays it out: 16 maps a row, viridis, enlarged."""
    grid = activation_grid(maps, 16)
    return grid_picture(grid, maps.shape[:2], display_scale(grid.shape[1], MAPS_WIDTH))


def vector_figure(values: np.ndarray, picked: int | None = None, title: str = ""):
    """A layer of numbers as bars, one per unit; the ``picked`` unit in orange."""
    import plotly.graph_objects as go

    values = np.asarray(values, dtype=float)
    colors = ["#e4572e" if i == picked else "#4c78a8" for i in range(len(values))]
    figure = go.Figure(
        go.Bar(
            x=list(range(len(values))),
            y=values.round(4),
            marker_color=colors,
            hovertemplate=_("number %{x}: %{y:.4f}") + "<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        xaxis_title=_("index"),
        yaxis_title=_("value"),
        height=220,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
        bargap=0.1,
    )
    return figure


def show_layer(out, field) -> None:
    """One layer's line (name, kind, output shape, receptive field) and its maps or numbers."""
    if out.output.ndim == 3:
        height, width, channels = out.output.shape
        if field is not None:
            line = _(
                "**`{name}`** · {kind} · {shape}: {channels} maps of {height}×{width}; each cell sees "
                "{size}×{size} pixels of the input",
                name=out.name,
                kind=out.kind,
                shape=shape_text(out.output.shape),
                channels=channels,
                height=height,
                width=width,
                size=field.size[0],
            )
        else:
            line = _(
                "**`{name}`** · {kind} · {shape}", name=out.name, kind=out.kind, shape=shape_text(out.output.shape)
            )
        st.markdown(line)
        st.image(maps_picture(out.output), output_format="PNG")
        numbers_twin(lambda: [channel_table(out.output)], f"network_layer_{out.name}")
    else:
        st.markdown(
            _(
                "**`{name}`** · {kind} · {size} numbers",
                name=out.name,
                kind=out.kind,
                size=number(out.output.size),
            )
        )
        values = np.asarray(out.output, dtype=float).reshape(-1)
        key = f"network_layer_{out.name}"
        if values.size <= VECTOR_ROWS_MAX:
            rows = [[str(i), number(value, 4)] for i, value in enumerate(values)]
            labelled_chart(vector_figure(values), key, [("", [_("index"), _("value")], rows)])
        else:  # Flatten's hundreds of numbers: their range in words and a CSV.
            st.plotly_chart(vector_figure(values), key=key)
            values_twin([(out.name, values.reshape(1, -1))], key)


def field_rows(fields) -> list[dict]:
    """The receptive-field table: one row per conv or pooling layer."""
    return [
        {
            _("layer"): field.name,
            _("output"): shape_text(field.output_size),
            _("field (pixels)"): shape_text(field.size),
            _("jump (pixels)"): field.jump[0],
            _("formula"): field.math.replace("*", "·"),
        }
        for field in fields
    ]


# --- 3. one cell ----------------------------------------------------------------------------------


def cell_inputs(option: str, out) -> tuple[int, int, int] | int:
    """Number inputs bounded by the layer's output: (row, col, channel) for maps, an index for numbers."""
    shape = out.output.shape
    prefix = cell_key(option, out.name)
    if len(shape) == 3:
        # The middle of the maps, where the digit is, rather than an empty corner.
        labels, start = (_("row"), _("col"), _("channel")), (shape[0] // 2, shape[1] // 2, 0)
        columns = st.columns(3)
        return tuple(
            int(column.number_input(label, 0, size - 1, first, key=f"{prefix}_{axis}"))
            for axis, (column, label, size, first) in enumerate(zip(columns, labels, shape, start))
        )
    # The largest number: the most active unit, or the output layer's predicted class.
    start = int(np.argmax(out.output))
    return int(st.number_input(_("index"), 0, shape[0] - 1, start, key=f"{prefix}_0"))


def cell_key(option: str, layer: str) -> str:
    return f"network_cell_{option}_{layer}"


def typed_cell(option: str, out) -> None:
    """Callback of the "type a cell" box: move the number inputs there, or keep a message why not."""
    text = st.session_state.get(f"{cell_key(option, out.name)}_typed", "").strip()
    st.session_state.pop(CELL_ERROR, None)
    if not text:
        return
    shape = out.output.shape
    numbers = re.split(r"[\s,;()]+", text.strip("()[] "))
    example = "4, 6, 17" if len(shape) == 3 else "100"
    if len(numbers) != len(shape) or not all(re.fullmatch(r"-?\d+", n) for n in numbers):
        st.session_state[CELL_ERROR] = _(
            "Type {count} whole numbers separated by commas, like {example}; “{text}” is not that.",
            count=len(shape),
            example=example,
            text=text,
        )
        return
    cell = [int(n) for n in numbers]
    if not all(0 <= i < size for i, size in zip(cell, shape)):
        if len(shape) == 3:
            st.session_state[CELL_ERROR] = _(
                "Layer `{layer}` outputs maps of {shape}: row goes from 0 to {rows}, col from 0 to {cols} "
                "and channel from 0 to {channels}, so ({cell}) is not one of its cells.",
                layer=out.name,
                shape=shape_text(shape),
                rows=shape[0] - 1,
                cols=shape[1] - 1,
                channels=shape[2] - 1,
                cell=", ".join(numbers),
            )
        else:
            st.session_state[CELL_ERROR] = _(
                "Layer `{layer}` outputs {size} numbers, indexed 0 to {last}, so {index} is not one of them.",
                layer=out.name,
                size=number(shape[0]),
                last=shape[0] - 1,
                index=cell[0],
            )
        return
    for axis, value in enumerate(cell):
        st.session_state[f"{cell_key(option, out.name)}_{axis}"] = value


def show_field(image: np.ndarray, box, caption: str) -> None:
    st.image(field_picture(image, box, INPUT_WIDTH), caption=caption, output_format="PNG")


def field_caption(box) -> str:
    if box is None:
        return _("A unit of a Dense layer depends on every pixel of the input.")
    top, left, bottom, right = box
    return _(
        "The input pixels this cell sees: rows {top} to {bottom}, columns {left} to {right} ({height}×{width}).",
        top=top,
        bottom=bottom,
        left=left,
        right=right,
        height=bottom - top + 1,
        width=right - left + 1,
    )


def agreement(cell) -> None:
    """The recomputed value beside the layer's own output."""
    difference = f"{abs(cell.value - cell.actual):.1e}"
    st.markdown(
        _(
            "Recomputed from the weights: **{value}**; the layer's own output at this cell: **{actual}** "
            "(difference {difference}).",
            value=format_value(cell.value, 6),
            actual=format_value(cell.actual, 6),
            difference=difference,
        )
    )


def show_conv_cell(cell, previous: str) -> None:
    kh, kw, channels = cell.patch.shape
    st.markdown(
        ngettext(
            "Filter **{filter}** of `{layer}` at row {row}, col {col}: the {kh}×{kw} patch of `{previous}`'s "
            "map starting at row {top}, col {left}, times the filter's kernel, summed; then the bias is "
            "added and ReLU applied.",
            "Filter **{filter}** of `{layer}` at row {row}, col {col}: the {kh}×{kw} patch of `{previous}`'s "
            "{n} maps starting at row {top}, col {left}, times the filter's kernel slice for each input "
            "channel, summed per channel; then the channels' sums are added up, the bias added and ReLU applied.",
            channels,
            filter=cell.filter,
            layer=cell.layer,
            row=cell.row,
            col=cell.col,
            kh=kh,
            kw=kw,
            previous=previous,
            top=cell.top,
            left=cell.left,
        )
    )
    strongest = np.argsort(-np.abs(cell.channel_sums), kind="stable")[:SHOWN_CHANNELS]
    for c in strongest:
        st.latex(
            rf"c = {c}: \quad {bmatrix(cell.patch[:, :, c])} \odot {bmatrix(cell.kernel[:, :, c])}"
            rf" = {bmatrix(cell.products[:, :, c])} \;\Rightarrow\; \Sigma_{{{c}}} = {format_value(cell.channel_sums[c], 4)}"
        )
    if channels > len(strongest):
        st.caption(
            _(
                "The patch (left) times the kernel slice (middle) for {shown} of the {channels} input channels: "
                "those whose sums are largest in size. Every channel's sum is in the table.",
                shown=len(strongest),
                channels=channels,
            )
        )
        st.dataframe(
            {_("channel"): list(range(channels)), _("sum Σ_c"): cell.channel_sums.tolist()},
            height=180,
            hide_index=True,
        )
    total = format_value(float(cell.channel_sums.sum()), 4)
    sums = rf"\sum_{{c=0}}^{{{channels - 1}}} \Sigma_c" if channels > 1 else r"\Sigma_0"
    st.latex(rf"z = {sums} + b = {total} + ({format_value(cell.bias, 4)}) = {format_value(cell.pre_activation, 4)}")
    if cell.activation == "relu":
        st.latex(rf"\text{{ReLU}}: \; {relu_latex(cell.pre_activation, 4)}")
    else:
        st.caption(_("This layer's activation is `{activation}`.", activation=cell.activation))
    agreement(cell)


def show_pool_cell(cell, previous: str) -> None:
    if cell.mode == "max":
        template = N_(
            "Channel **{channel}** of `{layer}` at row {row}, col {col}: the {height}×{width} window of "
            "`{previous}`'s channel {channel} starting at row {top}, col {left}; max pooling keeps its largest value."
        )
    else:
        template = N_(
            "Channel **{channel}** of `{layer}` at row {row}, col {col}: the {height}×{width} window of "
            "`{previous}`'s channel {channel} starting at row {top}, col {left}; average pooling takes the mean "
            "of its real cells (padding left out)."
        )
    st.markdown(
        _(
            template,
            channel=cell.channel,
            layer=cell.layer,
            row=cell.row,
            col=cell.col,
            height=cell.window.shape[0],
            width=cell.window.shape[1],
            previous=previous,
            top=cell.top,
            left=cell.left,
        )
    )
    st.latex(pool_step_latex(cell, 4))
    if cell.argmax is not None:
        row, col = cell.top + cell.argmax[0] - cell.pads[0], cell.left + cell.argmax[1] - cell.pads[2]
        st.caption(
            _(
                "The winner (boxed) is `{previous}`'s cell at row {row}, col {col}.",
                previous=previous,
                row=row,
                col=col,
            )
        )
    agreement(cell)


def show_flatten_cell(cell, previous: str) -> None:
    height, width, channels = cell.input_shape
    row, col, channel = cell.position
    st.markdown(
        _(
            "Flatten lays `{previous}`'s {height}×{width}×{channels} maps out in one row of "
            "{size} numbers, cell after cell, with the {channels} channels of each cell side by side. "
            "Number {index} is row {row}, col {col}, channel {channel} ($r$, $c$ and $ch$ below):",
            previous=previous,
            height=height,
            width=width,
            channels=channels,
            size=number(height * width * channels),
            index=cell.index,
            row=row,
            col=col,
            channel=channel,
        )
    )
    st.latex(rf"{height} \times {width} \times {channels} = {height * width * channels}")
    st.latex(
        rf"i = (r \cdot W + c) \cdot C + ch = ({row} \cdot {width} + {col}) \cdot {channels} + {channel} = {cell.index}"
    )
    agreement(cell)


def show_dropout_cell(cell) -> None:
    st.markdown(
        _(
            "Dropout zeroes {rate} of its inputs in each training step; when the model reads a digit it passes "
            "every value on unchanged.",
            rate=percent(cell.rate, 0),
        )
    )
    agreement(cell)


def show_dense_cell(cell) -> None:
    count, shown = len(cell.inputs), len(cell.top_indices)
    st.markdown(
        _(
            "Unit **{unit}** of `{layer}`: each of its {count} inputs $x_i$ times its weight $w_i$, all added up, "
            "plus the bias $b$. The {shown} largest contributions:",
            unit=cell.unit,
            layer=cell.layer,
            count=number(count),
            shown=shown,
        )
    )
    rows = {_("input i"): cell.top_indices.tolist()}
    if cell.top_positions is not None:
        rows[_("cell before Flatten (row, col, channel)")] = [str(tuple(p)) for p in cell.top_positions]
    rows |= {
        "x_i": cell.inputs[cell.top_indices].tolist(),
        "w_i": cell.weights[cell.top_indices].tolist(),
        "x_i · w_i": cell.top_contributions.tolist(),
    }
    st.dataframe(rows, hide_index=True)
    rest = float(cell.products.sum() - cell.top_contributions.sum())
    top = " + ".join(f"({format_value(v, 4)})" for v in cell.top_contributions)
    st.latex(
        rf"z_{{{cell.unit}}} = \sum_{{i=0}}^{{{count - 1}}} x_i w_i + b = {top} + ({format_value(rest, 4)})"
        rf" + ({format_value(cell.bias, 4)}) = {format_value(cell.pre_activation, 4)}"
    )
    st.caption(
        _(
            "The term before the bias, {rest}, is what the other {others} inputs add up to.",
            rest=format_value(rest, 4),
            others=number(count - shown),
        )
    )
    if cell.activation == "relu":
        st.latex(rf"\text{{ReLU}}: \; {relu_latex(cell.pre_activation, 4)}")
    elif cell.activation == "softmax":
        show_softmax(cell)
    elif cell.activation != "linear":
        st.caption(_("This layer's activation is `{activation}`.", activation=cell.activation))
    agreement(cell)


def show_softmax(cell) -> None:
    steps = cell.output_steps
    st.markdown(
        _(
            "Softmax turns the layer's {count} sums $z$ (its logits) into probabilities: subtract the largest, "
            "take exp of each, add them up, divide each by the sum.",
            count=len(steps.logits),
        )
    )
    for line in softmax_latex(steps, 3):
        st.latex(line)
    st.dataframe(
        {
            _("class"): list(range(len(steps.logits))),
            "z": steps.logits.tolist(),
            "z - max z": steps.shifted.tolist(),
            "exp": steps.exps.tolist(),
            "p": steps.probabilities.tolist(),
        },
        hide_index=True,
    )
    st.markdown(
        _(
            "The probabilities add up to **{total}**; unit {unit}'s is **{value}**.",
            total=format_value(float(steps.probabilities.sum()), 6),
            unit=cell.unit,
            value=format_value(cell.value, 6),
        )
    )
