"""Any cell of a trained convnet, explained from the model's real weights and its previous layer's real output.

``explain_cell(model, image, layer_name, index)`` works in four steps:

1. Run the image once through a model that outputs every layer's input and output
   (``network_outputs``, built once per model from ``graph.model_graph``).
2. Find the layer and check the index against its output shape.
3. Recompute the cell in numpy (float64) from the layer's weights and its real input: a conv
   cell's patch, kernel slice, per-channel sums, bias and activation; a pooling cell's window and
   its winner or mean; where Flatten put a number; a Dense unit's weighted sum, its largest
   contributions and, for the output layer, the softmax or sigmoid steps.
4. Put the layer's own output at that cell beside it (``actual``; they agree within 1e-4) and,
   for a cell of a feature map, the input pixels it sees (``receptive_fields``).

Works for a Sequential model or a functional chain of layers built on one ``keras.Input``: the
app's models, shipped or trained in a session.
"""

from __future__ import annotations

import numpy as np

from cnn_core.i18n import N_, LabError
from cnn_core.learning.cells import ConvCell, DenseCell, DropoutCell, FlattenCell, LayerOutput, PoolCell
from cnn_core.learning.graph import as_batch, derived_entry, known_input_shape, model_graph
from cnn_core.ops.checks import is_int
from cnn_core.ops.outputs import sigmoid, sigmoid_steps, softmax_steps
from cnn_core.ops.receptive import ReceptiveField, receptive_field_chain
from cnn_core.ops.shapes import flat_position, pad_amounts
from cnn_core.ops.sliding import pad_input

# Activations recomputed element by element, by Keras's names for them.
ELEMENTWISE = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": sigmoid,
    "tanh": np.tanh,
}
# How many of a Dense unit's inputs are listed as its largest contributions, |w * x|.
TOP_CONTRIBUTIONS = 5
POOL_KINDS = {"MaxPooling2D": "max", "AveragePooling2D": "average"}


# --- 1. every layer's input and output ------------------------------------------------------------


def network_outputs(model, image: np.ndarray) -> list[LayerOutput]:
    """Every layer's real input and output for one (H, W) or (H, W, C) image in [0, 1], in order.

    One call of a cached multi-output model (``training=False``, so Dropout passes values on).
    """
    import keras

    batch = as_batch(model, image)  # (1, H, W, C)
    steps, tensors, probe = _probe_model(model, batch.shape[1:])
    values = probe(batch, training=False)
    values = [values] if len(tensors) == 1 else values
    arrays = {id(t): np.asarray(keras.ops.convert_to_numpy(v))[0] for t, v in zip(tensors, values)}
    inputs_id = id(model_graph(model, batch.shape[1:]).inputs)
    arrays[inputs_id] = batch[0]
    return [
        LayerOutput(
            layer.name,
            type(layer).__name__,
            None if isinstance(inp, (list, tuple)) else arrays[id(inp)],
            arrays[id(out)],
        )
        for layer, inp, out in steps
    ]


def _probe_model(model, image_shape):
    """The model's (layer, input, output) steps and a keras.Model that outputs every distinct tensor."""
    import keras

    entry = derived_entry(model)
    if "explain" not in entry:
        graph = model_graph(model, image_shape)
        tensors, seen = [], {id(graph.inputs)}
        for _, inp, out in graph.steps:
            for tensor in [*(inp if isinstance(inp, (list, tuple)) else [inp]), out]:
                if id(tensor) not in seen:
                    seen.add(id(tensor))
                    tensors.append(tensor)
        entry["explain"] = (graph.steps, tensors, keras.Model(graph.inputs, tensors))
    return entry["explain"]


# --- receptive fields -----------------------------------------------------------------------------


def receptive_fields(model) -> list[ReceptiveField]:
    """The receptive field on the input of every conv and pooling layer, in order, up to the first Flatten.

    The note's MNIST convnet: 3, 4, 8, 10 and 18 pixels a side (``ops.receptive``'s formula).
    Layers that keep the maps' size and cells (Dropout, activations) leave the field unchanged.
    """
    shape = known_input_shape(model)
    if shape is None or len(shape) != 3 or None in shape:
        raise LabError(N_("receptive fields need a model with a fixed (H, W, C) input, got {shape}"), shape=shape)
    graph = model_graph(model, shape)
    windows = []
    for layer, _, output in graph.steps:
        kind = type(layer).__name__
        if len(output.shape) != 4:
            break
        if kind in ("Conv2D", *POOL_KINDS):
            size = layer.kernel_size if kind == "Conv2D" else layer.pool_size
            dilation = tuple(getattr(layer, "dilation_rate", (1, 1)))
            window = tuple(d * (k - 1) + 1 for k, d in zip(size, dilation))  # a dilated kernel's reach
            windows.append((layer.name, window, tuple(layer.strides), layer.padding))
    return receptive_field_chain(windows, shape[:2])


# --- 2 to 4. one cell -----------------------------------------------------------------------------


def explain_cell(model, image: np.ndarray, layer_name: str, index):
    """What produced one cell of ``layer_name`` for ``image``, recomputed from the model's weights.

    ``index`` is (row, col, channel) for a layer of maps, an int for a layer of numbers (Flatten,
    Dense, Dropout after Flatten). Returns a ``ConvCell``, ``PoolCell``, ``FlattenCell``,
    ``DropoutCell`` or ``DenseCell``; its ``value`` equals the layer's own output (``actual``)
    within 1e-4. Raises ``LabError`` for an unknown layer, an index out of range or a layer kind
    it does not recompute.
    """
    outputs = network_outputs(model, image)
    names = [out.name for out in outputs]
    if layer_name not in names:
        raise LabError(
            N_("model {model} has no layer named {name}; its layers are {names}"),
            model=model.name,
            name=layer_name,
            names=", ".join(names),
        )
    position = names.index(layer_name)
    found, layer = outputs[position], model_graph(model, known_input_shape(model)).steps[position][0]
    cell = _check_index(found, index)
    fields = {field.name: field for field in receptive_fields(model)}
    if found.input is None:
        raise LabError(
            N_("layer {layer} has several inputs; explain_cell follows one chain of layers"), layer=found.name
        )
    if found.kind == "Conv2D":
        return _conv_cell(layer, found, cell, fields.get(found.name))
    if found.kind in POOL_KINDS:
        return _pool_cell(layer, found, cell, fields.get(found.name))
    if found.kind == "Flatten":
        return _flatten_cell(found, cell, _field_before(outputs, position, fields))
    if found.kind == "Dropout":
        return DropoutCell(found.name, cell, float(layer.rate), float(found.input[cell]), float(found.output[cell]))
    if found.kind == "Dense":
        return _dense_cell(layer, found, cell[0], _flattened_shape(outputs, position))
    raise LabError(
        N_("explain_cell explains Conv2D, pooling, Flatten, Dropout and Dense layers; {layer} is a {kind}"),
        layer=found.name,
        kind=found.kind,
    )


def explain_prediction(model, image: np.ndarray) -> DenseCell:
    """The output layer's cell of the predicted class: its logits and the softmax (or sigmoid) steps.

    For a softmax head the unit with the highest probability; for one sigmoid unit, that unit
    (its probability is class 1's).
    """
    last = network_outputs(model, image)[-1]
    return explain_cell(model, image, last.name, int(np.argmax(last.output)))


def _check_index(found: LayerOutput, index) -> tuple[int, ...]:
    shape = found.output.shape
    cell = (index,) if is_int(index) else tuple(index) if isinstance(index, (tuple, list)) else None
    fits = (
        cell is not None
        and len(cell) == len(shape)
        and all(is_int(i) and 0 <= i < size for i, size in zip(cell, shape))
    )
    if fits:
        return tuple(int(i) for i in cell)
    if len(shape) == 3:
        raise LabError(
            N_(
                "layer {layer} outputs maps of shape {shape}: pick (row, col, channel) with row 0 to {rows}, "
                "col 0 to {cols} and channel 0 to {channels}; got {index}"
            ),
            layer=found.name,
            shape=shape,
            rows=shape[0] - 1,
            cols=shape[1] - 1,
            channels=shape[2] - 1,
            index=index,
        )
    raise LabError(
        N_("layer {layer} outputs {size} numbers: pick an index from 0 to {last}; got {index}"),
        layer=found.name,
        size=int(np.prod(shape)),
        last=int(np.prod(shape)) - 1,
        index=index,
    )


def _activation(layer) -> str:
    return getattr(layer.activation, "__name__", str(layer.activation))


def _unsupported(layer, setting: str):
    return LabError(
        N_("layer {layer} uses {setting}, which explain_cell does not recompute"), layer=layer.name, setting=setting
    )


def _conv_cell(layer, found: LayerOutput, cell, field) -> ConvCell:
    row, col, f = cell
    activation = _activation(layer)
    if tuple(layer.dilation_rate) != (1, 1) or getattr(layer, "groups", 1) != 1 or activation not in ELEMENTWISE:
        raise _unsupported(layer, f"dilation {layer.dilation_rate}, groups {layer.groups}, activation {activation}")
    weights = layer.get_weights()
    kernels = np.asarray(weights[0], dtype=np.float64)  # (kh, kw, C_in, C_out)
    bias = float(weights[1][f]) if layer.use_bias else 0.0
    kh, kw = kernels.shape[:2]
    previous = np.asarray(found.input, dtype=np.float64)  # (H, W, C_in)
    pads = pad_amounts(previous.shape, (kh, kw), layer.strides, layer.padding)
    padded = pad_input(previous, (kh, kw), layer.strides, layer.padding)
    top, left = row * layer.strides[0], col * layer.strides[1]
    patch = padded[top : top + kh, left : left + kw, :]  # (kh, kw, C_in)
    kernel = kernels[:, :, :, f]  # (kh, kw, C_in)
    products = patch * kernel
    channel_sums = products.sum(axis=(0, 1))  # (C_in,)
    pre_activation = float(channel_sums.sum() + bias)
    return ConvCell(
        found.name,
        row,
        col,
        f,
        top,
        left,
        pads,
        _frozen(patch),
        _frozen(kernel),
        _frozen(products),
        _frozen(channel_sums),
        bias,
        pre_activation,
        activation,
        float(ELEMENTWISE[activation](np.float64(pre_activation))),
        float(found.output[row, col, f]),
        field.box(row, col) if field else None,
    )


def _pool_cell(layer, found: LayerOutput, cell, field) -> PoolCell:
    row, col, ch = cell
    mode = POOL_KINDS[found.kind]
    pool, strides = tuple(layer.pool_size), tuple(layer.strides)
    previous = np.asarray(found.input[:, :, ch : ch + 1], dtype=np.float64)  # (H, W, 1)
    pads = pad_amounts(previous.shape, pool, strides, layer.padding)
    padded = pad_input(previous, pool, strides, layer.padding, value=np.nan)[:, :, 0]
    top, left = row * strides[0], col * strides[1]
    window = padded[top : top + pool[0], left : left + pool[1]]  # (ph, pw), NaN = padding
    count = int(np.isfinite(window).sum())
    argmax = None
    if mode == "max":
        flat = int(np.nanargmax(window))
        argmax = (flat // window.shape[1], flat % window.shape[1])
        value = float(window[argmax])
    else:
        value = float(np.nansum(window) / count)
    actual = float(found.output[row, col, ch])
    box = field.box(row, col) if field else None
    return PoolCell(found.name, row, col, ch, top, left, pads, _frozen(window), mode, argmax, count, value, actual, box)


def _flatten_cell(found: LayerOutput, cell, field) -> FlattenCell:
    (index,) = cell
    shape = found.input.shape
    if len(shape) != 3:
        raise LabError(N_("layer {layer} flattens a {shape} input, not (H, W, C) maps"), layer=found.name, shape=shape)
    position = flat_position(index, shape)
    box = field.box(*position[:2]) if field else None
    return FlattenCell(
        found.name, index, position, tuple(shape), float(found.input[position]), float(found.output[index]), box
    )


def _field_before(outputs: list[LayerOutput], position: int, fields: dict) -> ReceptiveField | None:
    for out in reversed(outputs[:position]):
        if out.name in fields:
            return fields[out.name]
    return None


def _flattened_shape(outputs: list[LayerOutput], position: int) -> tuple[int, int, int] | None:
    """The (H, W, C) maps a Dense layer's inputs were flattened from, through any Dropout; else None."""
    for out in reversed(outputs[:position]):
        if out.kind == "Flatten":
            return tuple(out.input.shape) if out.input is not None and out.input.ndim == 3 else None
        if out.kind != "Dropout":
            return None
    return None


def _dense_cell(layer, found: LayerOutput, unit: int, flat_shape) -> DenseCell:
    activation = _activation(layer)
    if found.input.ndim != 1 or activation not in (*ELEMENTWISE, "softmax"):
        raise _unsupported(layer, f"input shape {found.input.shape}, activation {activation}")
    weights = layer.get_weights()
    kernel = np.asarray(weights[0], dtype=np.float64)  # (n, units)
    biases = np.asarray(weights[1], dtype=np.float64) if layer.use_bias else np.zeros(kernel.shape[1])
    inputs = np.asarray(found.input, dtype=np.float64)  # (n,)
    logits = inputs @ kernel + biases  # (units,)
    products = inputs * kernel[:, unit]  # (n,)
    top = np.argsort(-np.abs(products), kind="stable")[:TOP_CONTRIBUTIONS]
    steps = None
    if activation == "softmax":
        steps = softmax_steps(logits)
        value = float(steps.probabilities[unit])
    elif activation == "sigmoid":
        steps = sigmoid_steps(logits[unit])
        value = steps.probability
    else:
        value = float(ELEMENTWISE[activation](logits[unit]))
    return DenseCell(
        found.name,
        unit,
        _frozen(inputs),
        _frozen(kernel[:, unit].copy()),
        _frozen(products),
        float(biases[unit]),
        float(logits[unit]),
        activation,
        value,
        float(found.output[unit]),
        _frozen(top),
        _frozen(products[top]),
        [flat_position(int(i), flat_shape) for i in top] if flat_shape is not None else None,
        _frozen(logits),
        steps,
    )


def _frozen(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    x.flags.writeable = False
    return x
