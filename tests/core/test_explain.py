"""cnn_core.learning.explain against Keras: every layer kind of the shipped models, a 3-channel model, padding, and receptive fields by gradient."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cnn_core.i18n import LabError
from cnn_core.learning.cells import ConvCell, DenseCell, DropoutCell, FlattenCell, PoolCell
from cnn_core.learning.explain import (
    explain_cell,
    explain_prediction,
    network_outputs,
    receptive_fields,
)
from cnn_core.ops.outputs import softmax
from cnn_core.ops.shapes import flat_index, flat_position

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = 1e-4
MODELS = Path(__file__).resolve().parents[2] / "models"
SHIPPED = ["mnist_convnet", "mnist_convnet_augmented"]
CELLS_PER_LAYER = 6
EXPECTED_KIND = {
    "Conv2D": ConvCell,
    "MaxPooling2D": PoolCell,
    "AveragePooling2D": PoolCell,
    "Flatten": FlattenCell,
    "Dropout": DropoutCell,
    "Dense": DenseCell,
}


@pytest.fixture(scope="module")
def keras():
    import keras

    keras.utils.set_random_seed(0)
    return keras


@pytest.fixture(scope="module")
def test_digits():
    from cnn_core.data.mnist import load_mnist

    _, (x_test, y_test) = load_mnist()
    return (x_test[:3].astype(np.float32) / 255.0)[..., None], y_test[:3]


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request, keras):
    return keras.models.load_model(MODELS / f"{request.param}.keras", compile=False)


@pytest.fixture(scope="module")
def cats_dogs(keras):
    """The note's cats-vs-dogs convnet with Dropout(0.5), random weights: 3 channels, a sigmoid head."""
    from cnn_core.learning.models import build_cats_dogs_convnet

    keras.utils.set_random_seed(1)
    model = build_cats_dogs_convnet(dropout=0.5)
    # Random initial biases are zero; give them values so the bias term is really tested.
    rng = np.random.default_rng(1)
    for layer in model.layers:
        if layer.weights:
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, rng.normal(scale=0.05, size=bias.shape).astype(np.float32)])
    return model


@pytest.fixture(scope="module")
def padded_functional(keras):
    """A functional chain with "same" padding, strides 2, tanh, average pooling and several sigmoid units."""
    from keras import layers

    inputs = keras.Input((9, 11, 2), name="pixels")
    x = layers.Conv2D(3, 3, strides=2, padding="same", activation="tanh", name="conv_same")(inputs)
    x = layers.AveragePooling2D(2, padding="same", name="avg_same")(x)
    x = layers.MaxPooling2D((2, 1), strides=1, padding="same", name="max_same")(x)
    x = layers.Flatten(name="flat")(x)
    outputs = layers.Dense(4, activation="sigmoid", name="units")(x)
    model = keras.Model(inputs, outputs, name="padded")
    rng = np.random.default_rng(2)
    model.get_layer("conv_same").set_weights([rng.normal(size=(3, 3, 2, 3)), rng.normal(size=3)])
    return model


def _reference_outputs(keras, model, image) -> dict[str, np.ndarray]:
    """Every layer's output the seed's way: a Model over the layers' outputs, then predict."""
    probe = keras.Model(inputs=model.inputs, outputs=[layer.output for layer in model.layers])
    return {layer.name: out[0] for layer, out in zip(model.layers, probe.predict(image[None], verbose=0))}


def _random_cells(shape, count, seed) -> list:
    rng = np.random.default_rng(seed)
    cells = [tuple(int(rng.integers(size)) for size in shape) for _ in range(count)]
    cells.append(tuple(size - 1 for size in shape))  # the last cell, where padding and edges bite
    return [cell[0] if len(shape) == 1 else cell for cell in cells]


def _check_every_layer(keras, model, image, seed=0) -> set[str]:
    """Explain random cells of every layer; each value must equal the layer's real output."""
    reference = _reference_outputs(keras, model, image)
    kinds = set()
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue  # a functional model lists its Input as a layer
        out = reference[layer.name]
        cells = _random_cells(out.shape, CELLS_PER_LAYER, seed)
        if layer.name == model.layers[-1].name:
            cells = list(range(out.shape[0]))
        for index in cells:
            cell = explain_cell(model, image, layer.name, index)
            assert isinstance(cell, EXPECTED_KIND[type(layer).__name__]), (layer.name, type(cell))
            expected = out[index]
            assert cell.actual == pytest.approx(expected, abs=1e-6), (layer.name, index)
            assert cell.value == pytest.approx(expected, abs=ATOL), (layer.name, index)
            kinds.add(type(layer).__name__)
    return kinds


# --- every layer kind against the real outputs ----------------------------------------------------


def test_every_cell_of_the_shipped_models_equals_the_layers_output(keras, shipped, test_digits):
    images, _ = test_digits
    for seed, image in enumerate(images[:2]):
        kinds = _check_every_layer(keras, shipped, image, seed)
    assert kinds == {"Conv2D", "MaxPooling2D", "Flatten", "Dense"}


def test_a_3_channel_model_with_dropout_and_a_sigmoid_head(keras, cats_dogs):
    image = np.random.default_rng(3).random((150, 150, 3)).astype(np.float32)
    kinds = _check_every_layer(keras, cats_dogs, image)
    assert kinds == {"Conv2D", "MaxPooling2D", "Flatten", "Dropout", "Dense"}
    first = explain_cell(cats_dogs, image, "conv2d_1", (10, 20, 5))
    assert first.patch.shape == first.kernel.shape == (3, 3, 3) and first.channel_sums.shape == (3,)
    head = explain_cell(cats_dogs, image, "output", 0)
    assert head.activation == "sigmoid" and head.output_steps.logit == head.pre_activation
    assert head.output_steps.probability == head.value
    dense = explain_cell(cats_dogs, image, "dense", 7)
    assert dense.inputs.shape == (6272,) and dense.top_positions is not None  # through the Dropout to Flatten


def test_padding_strides_tanh_and_average_pooling_in_a_functional_model(keras, padded_functional):
    image = np.random.default_rng(4).random((9, 11, 2)).astype(np.float32)
    kinds = _check_every_layer(keras, padded_functional, image)
    assert kinds == {"Conv2D", "AveragePooling2D", "MaxPooling2D", "Flatten", "Dense"}
    corner = explain_cell(padded_functional, image, "conv_same", (4, 5, 2))
    assert corner.activation == "tanh" and corner.pads == (1, 1, 1, 1)
    assert corner.patch[-1].sum() == 0 and corner.patch[:, -1].sum() == 0  # the window reaches into zeros
    edge = explain_cell(padded_functional, image, "avg_same", (2, 2, 0))  # 5x6 maps -> 3x3, last row padded
    assert edge.count == 2 and np.isnan(edge.window[1]).all()
    assert edge.value == pytest.approx(np.nansum(edge.window) / 2)


# --- what each kind of cell shows -----------------------------------------------------------------


def test_a_conv_cell_shows_the_previous_maps_patch_and_the_kernel_slice(keras, shipped, test_digits):
    import tensorflow as tf

    image = test_digits[0][0]
    reference = _reference_outputs(keras, shipped, image)
    layer = shipped.get_layer("conv2d_2")
    kernels, biases = layer.get_weights()
    cell = explain_cell(shipped, image, "conv2d_2", (4, 6, 17))
    np.testing.assert_allclose(cell.patch, reference["max_pooling2d_1"][4:7, 6:9, :], atol=1e-6)
    np.testing.assert_array_equal(cell.kernel, kernels[:, :, :, 17])
    np.testing.assert_allclose(cell.products.sum(axis=(0, 1)), cell.channel_sums, rtol=1e-12)
    assert cell.bias == pytest.approx(biases[17]) and cell.channel_sums.shape == (32,)
    # The sum before ReLU, from TensorFlow's own convolution of the previous layer's output.
    linear = tf.nn.conv2d(reference["max_pooling2d_1"][None], kernels, 1, "VALID")[0] + biases
    assert cell.pre_activation == pytest.approx(float(linear[4, 6, 17]), abs=ATOL)
    assert cell.value == max(cell.pre_activation, 0.0) and cell.activation == "relu"
    assert (cell.top, cell.left, cell.pads) == (4, 6, (0, 0, 0, 0))


def test_a_max_pool_cell_names_its_winner(shipped, test_digits):
    image = test_digits[0][0]
    outputs = {out.name: out for out in network_outputs(shipped, image)}
    cell = explain_cell(shipped, image, "max_pooling2d_2", (2, 3, 40))
    np.testing.assert_array_equal(cell.window, outputs["conv2d_2"].output[4:6, 6:8, 40])
    assert cell.mode == "max" and cell.count == 4
    assert cell.window[cell.argmax] == cell.window.max() == cell.value


def test_flatten_maps_576_numbers_to_3x3x64_cells(shipped, test_digits):
    image = test_digits[0][0]
    maps = network_outputs(shipped, image)[4].output  # conv2d_3, (3, 3, 64)
    assert maps.shape == (3, 3, 64)
    for index in (0, 1, 63, 64, 200, 575):
        cell = explain_cell(shipped, image, "flatten", index)
        assert cell.input_shape == (3, 3, 64) and flat_index(cell.position, (3, 3, 64)) == index
        assert cell.value == maps[cell.position] == cell.actual
    assert explain_cell(shipped, image, "flatten", 64).position == (0, 1, 0)


def test_a_dense_unit_lists_its_largest_contributions(shipped, test_digits):
    image = test_digits[0][1]
    cell = explain_cell(shipped, image, "dense", 5)
    kernel, biases = shipped.get_layer("dense").get_weights()
    np.testing.assert_array_equal(cell.weights, kernel[:, 5])
    assert cell.pre_activation == pytest.approx(float(cell.inputs @ kernel[:, 5] + biases[5]), abs=1e-9)
    size = np.abs(cell.products)
    assert list(cell.top_indices) == list(np.argsort(-size, kind="stable")[:5])
    assert np.all(np.diff(np.abs(cell.top_contributions)) <= 0)
    for index, position in zip(cell.top_indices, cell.top_positions):
        assert flat_index(position, (3, 3, 64)) == index


def test_the_output_layer_shows_logits_and_softmax_steps(shipped, test_digits):
    images, labels = test_digits
    cell = explain_cell(shipped, images[0], "output", int(labels[0]))
    assert cell.activation == "softmax" and cell.logits.shape == (10,)
    steps = cell.output_steps
    np.testing.assert_array_equal(steps.logits, cell.logits)
    np.testing.assert_allclose(steps.probabilities, softmax(cell.logits))
    assert int(np.argmax(steps.probabilities)) == labels[0]  # the shipped model reads this digit right
    assert cell.value == steps.probabilities[labels[0]] == pytest.approx(cell.actual, abs=ATOL)


def test_explain_prediction_picks_the_predicted_class(keras, shipped, cats_dogs, test_digits):
    images, labels = test_digits
    for image, label in zip(images, labels):
        cell = explain_prediction(shipped, image)
        assert cell.layer == "output" and cell.unit == label == int(np.argmax(cell.output_steps.probabilities))
    head = explain_prediction(cats_dogs, np.full((150, 150, 3), 0.5, np.float32))
    assert head.unit == 0 and head.activation == "sigmoid"
    assert head.value == pytest.approx(float(cats_dogs(np.full((1, 150, 150, 3), 0.5, np.float32))[0, 0]), abs=ATOL)


def test_cells_are_frozen(shipped, test_digits):
    cell = explain_cell(shipped, test_digits[0][0], "conv2d_1", (0, 0, 0))
    with pytest.raises(ValueError, match="read-only"):
        cell.patch[0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        cell.value = 1.0


# --- receptive fields -----------------------------------------------------------------------------


def test_receptive_fields_of_the_notes_models(shipped, cats_dogs):
    fields = [(f.name, f.size[0], f.jump[0]) for f in receptive_fields(shipped)]
    assert fields == [
        ("conv2d_1", 3, 1),
        ("max_pooling2d_1", 4, 2),
        ("conv2d_2", 8, 2),
        ("max_pooling2d_2", 10, 4),
        ("conv2d_3", 18, 4),
    ]
    assert [f.size[0] for f in receptive_fields(cats_dogs)] == [3, 4, 8, 10, 18, 22, 38, 46]
    last = receptive_fields(shipped)[-1]
    assert last.math == "18 = 10 + (3 - 1) * 4" and last.box(2, 2) == (8, 8, 25, 25)


def test_receptive_field_boxes_are_where_the_gradient_reaches(keras):
    """Linear convs with positive kernels and average pooling: a cell's gradient is non-zero exactly on its field."""
    import tensorflow as tf
    from keras import layers

    inputs = keras.Input((13, 12, 1))
    x = layers.Conv2D(1, 3, padding="same", name="a")(inputs)
    x = layers.AveragePooling2D(2, name="b")(x)
    x = layers.Conv2D(1, (3, 2), strides=2, padding="same", name="c")(x)
    x = layers.Conv2D(1, 2, name="d")(x)
    model = keras.Model(inputs, x)
    for layer in model.layers[1:]:
        if layer.weights:
            layer.set_weights([np.ones_like(w) for w in layer.get_weights()])
    fields = {field.name: field for field in receptive_fields(model)}
    image = tf.constant(np.random.default_rng(5).random((1, 13, 12, 1)), dtype=tf.float32)
    for name in "abcd":
        probe = keras.Model(inputs, model.get_layer(name).output)
        field = fields[name]
        out_h, out_w = probe.output.shape[1:3]
        assert (out_h, out_w) == field.output_size
        for row in range(out_h):
            for col in range(out_w):
                with tf.GradientTape() as tape:
                    tape.watch(image)
                    value = probe(image)[0, row, col, 0]
                reached = tape.gradient(value, image).numpy()[0, :, :, 0] != 0
                top, left, bottom, right = field.box(row, col)
                box = np.zeros_like(reached)
                box[top : bottom + 1, left : right + 1] = True
                np.testing.assert_array_equal(reached, box, err_msg=f"{name} ({row}, {col})")


# --- bad requests ---------------------------------------------------------------------------------


def test_bad_layer_names_and_indices_are_lab_errors_naming_what_is_allowed(keras, shipped, test_digits):
    image = test_digits[0][0]
    cases = [
        ("conv9", (0, 0, 0), r"no layer named conv9; its layers are conv2d_1, max_pooling2d_1, .*output"),
        ("conv2d_1", (26, 0, 0), r"row 0 to 25, col 0 to 25 and channel 0 to 31; got \(26, 0, 0\)"),
        ("conv2d_1", (0, 0), r"pick \(row, col, channel\)"),
        ("conv2d_1", 5, r"pick \(row, col, channel\)"),
        ("max_pooling2d_2", (0, -1, 0), r"row 0 to 4, col 0 to 4 and channel 0 to 63"),
        ("flatten", 576, r"576 numbers: pick an index from 0 to 575; got 576"),
        ("output", 10, r"10 numbers: pick an index from 0 to 9; got 10"),
        ("dense", 1.5, r"0 to 63; got 1\.5"),
    ]
    for name, index, pattern in cases:
        with pytest.raises(LabError, match=pattern):
            explain_cell(shipped, image, name, index)
    with pytest.raises(ValueError, match=r"\(5, 5, 1\)"):
        explain_cell(shipped, np.zeros((5, 5, 1), np.float32), "conv2d_1", (0, 0, 0))


def test_a_layer_kind_it_does_not_recompute_is_refused_by_name(keras):
    from keras import layers

    inputs = keras.Input((6, 6, 1))
    x = layers.BatchNormalization(name="norm")(layers.Conv2D(2, 3, name="conv")(inputs))
    model = keras.Model(inputs, layers.Dense(2, name="head")(layers.Flatten()(x)))
    image = np.zeros((6, 6, 1), np.float32)
    with pytest.raises(LabError, match=r"norm is a BatchNormalization"):
        explain_cell(model, image, "norm", (0, 0, 0))
    assert explain_cell(model, image, "conv", (0, 0, 1)).activation == "linear"


@pytest.mark.parametrize("shape", [(3, 3, 64), (7, 7, 128), (2, 5, 3), (1, 1, 4)])
def test_flat_index_and_position_follow_numpys_c_order(shape):
    order = np.arange(np.prod(shape)).reshape(shape)  # what Flatten (a C-order reshape) does
    for position in [(0, 0, 0), tuple(size - 1 for size in shape), (shape[0] // 2, shape[1] - 1, shape[2] // 3)]:
        index = flat_index(position, shape)
        assert index == order[position]
        assert flat_position(index, shape) == position
    with pytest.raises(ValueError, match=rf"0 to {np.prod(shape) - 1}"):
        flat_position(int(np.prod(shape)), shape)
