"""cnn_core.learning.activations, gradcam and patterns against independent references: the seed's own code, Keras and hand-worked cases."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from cnn_core.figures.charts import channel_figure, kernels_figure
from cnn_core.figures.pictures import colorize, grid_picture, overlay_heatmap
from cnn_core.learning.activations import (
    activation_grid,
    activation_sparsity,
    conv_layer_names,
    feature_layer_names,
    first_conv_kernel,
    flat_channels,
    layer_activations,
)
from cnn_core.learning.evaluation import class_probabilities
from cnn_core.learning.gradcam import grad_cam, last_conv_layer_name
from cnn_core.learning.graph import _derived, model_fingerprint
from cnn_core.learning.models import build_cats_dogs_convnet, build_convnet, build_mnist_convnet
from cnn_core.learning.patterns import filter_patterns
from cnn_core.vision.images import load_sample_photo, prepare_image

SEED_LISTING = [
    ("conv2d_1", (148, 148, 32)),
    ("max_pooling2d_1", (74, 74, 32)),
    ("conv2d_2", (72, 72, 64)),
    ("max_pooling2d_2", (36, 36, 64)),
    ("conv2d_3", (34, 34, 128)),
    ("max_pooling2d_3", (17, 17, 128)),
    ("conv2d_4", (15, 15, 128)),
    ("max_pooling2d_4", (7, 7, 128)),
]


@pytest.fixture(scope="module")
def keras():
    import keras

    keras.utils.set_random_seed(0)
    return keras


@pytest.fixture(scope="module")
def cats_dogs(keras):

    return build_cats_dogs_convnet()


@pytest.fixture(scope="module")
def mnist_model(keras):

    return build_mnist_convnet()


def rng_image(shape, seed=0):
    return np.random.default_rng(seed).random(shape).astype(np.float32)


def seed_way(model, layer_count, image):
    """The seed's recipe, verbatim in spirit: a Model over the first layers' outputs, then predict."""
    import keras

    layer_outputs = [layer.output for layer in model.layers[:layer_count]]
    activation_model = keras.Model(inputs=model.inputs, outputs=layer_outputs)
    return [out[0] for out in activation_model.predict(image[None], verbose=0)]


# --- layer_activations ------------------------------------------------------------------------


def test_the_seed_listing_on_the_seed_cats_dogs_model(cats_dogs):
    maps = layer_activations(cats_dogs, rng_image((150, 150, 3)))
    assert [(name, a.shape) for name, a in maps] == SEED_LISTING


@pytest.mark.parametrize("builder, shape", [("cats_dogs", (150, 150, 3)), ("mnist_model", (28, 28, 1))])
def test_layer_activations_match_the_seeds_model_layers_outputs(builder, shape, request):
    model = request.getfixturevalue(builder)
    image = rng_image(shape, seed=1)
    maps = layer_activations(model, image)
    reference = seed_way(model, len(maps), image)
    assert [name for name, _ in maps] == [layer.name for layer in model.layers[: len(maps)]]
    for (_, ours), theirs in zip(maps, reference):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_the_activation_model_is_built_once_and_follows_weight_changes(keras):

    model = build_convnet(input_shape=(12, 12, 1), filters=(4, 4), num_classes=3, dense_units=8)
    image = rng_image((12, 12, 1), seed=2)
    first = layer_activations(model, image)
    cached = _derived[model]["activations"][1]
    model.set_weights([w * 2 for w in model.get_weights()])  # Shared variables: no rebuild needed.
    second = layer_activations(model, image)
    assert _derived[model]["activations"][1] is cached
    reference = seed_way(model, len(second), image)
    for (_, ours), theirs, (_, old) in zip(second, reference, first):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
        assert not np.allclose(ours, old)


def test_a_sequential_model_never_called_and_without_input(keras):
    from keras import layers

    model = keras.Sequential(
        [
            layers.Conv2D(3, 3, activation="relu"),
            layers.AveragePooling2D(2),
            layers.Flatten(),
            layers.Dense(2),
        ]
    )
    assert not model.built
    image = rng_image((10, 10, 2), seed=3)
    maps = layer_activations(model, image)
    assert [a.shape for _, a in maps] == [(8, 8, 3), (4, 4, 3)]
    # Independent check: the now-built layers applied one by one with Keras ops.
    conv, _pool = model.layers[0], model.layers[1]
    expected_conv = keras.ops.convert_to_numpy(conv(image[None]))[0]
    np.testing.assert_allclose(maps[0][1], expected_conv, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(maps[1][1], expected_conv.reshape(4, 2, 4, 2, 3).mean(axis=(1, 3)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="takes"):
        layer_activations(model, rng_image((12, 12, 2)))


def test_a_functional_model_with_branches_skips_non_spatial_layers(keras):
    from keras import layers

    inputs = keras.Input((16, 16, 3))
    a = layers.Conv2D(4, 3, padding="same", name="left")(inputs)
    b = layers.Conv2D(4, 5, padding="same", name="right")(inputs)
    x = layers.Add(name="add")([a, b])
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inputs, layers.Dense(2, activation="softmax", name="out")(x))
    image = rng_image((16, 16, 3), seed=4)
    maps = layer_activations(model, image)
    assert [(name, a.shape) for name, a in maps] == [("left", (16, 16, 4)), ("right", (16, 16, 4)), ("pool", (8, 8, 4))]
    reference = keras.Model(inputs, [model.get_layer(name).output for name in ("left", "right", "pool")])
    for (_, ours), theirs in zip(maps, reference.predict(image[None], verbose=0)):
        np.testing.assert_allclose(ours, theirs[0], rtol=1e-5, atol=1e-6)


def test_a_nested_sequential_block_is_opened(keras):
    from keras import layers

    block = keras.Sequential(
        [layers.Conv2D(2, 3, name="inner_conv"), layers.MaxPooling2D(2, name="inner_pool")], name="block"
    )
    model = keras.Sequential([keras.Input((10, 10, 1)), block, layers.Conv2D(3, 2, name="outer_conv")])
    names = [name for name, _ in layer_activations(model, rng_image((10, 10, 1)))]
    assert names == ["inner_conv", "inner_pool", "outer_conv"]


def test_bad_models_and_images_raise_value_errors(keras, mnist_model):
    from keras import layers

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = layers.Conv2D(2, 3)

        def call(self, x):
            return self.conv(x)

    with pytest.raises(ValueError, match="subclassed"):
        layer_activations(Subclassed(), rng_image((8, 8, 1)))
    dense_only = keras.Sequential([keras.Input((4, 4, 1)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(ValueError, match="no Conv2D"):
        layer_activations(dense_only, rng_image((4, 4, 1)))
    with pytest.raises(ValueError, match=r"\(28, 28, 1\)"):
        layer_activations(mnist_model, rng_image((28, 28, 3)))
    with pytest.raises(ValueError, match="got shape"):
        layer_activations(mnist_model, rng_image((1, 28, 28, 1)))


def test_layer_name_helpers_and_the_first_kernel(keras, mnist_model):
    assert feature_layer_names(mnist_model, (28, 28, 1)) == [layer.name for layer in mnist_model.layers[:5]]
    assert conv_layer_names(mnist_model, (28, 28, 1)) == ["conv2d_1", "conv2d_2", "conv2d_3"]
    assert last_conv_layer_name(mnist_model, (28, 28, 1)) == "conv2d_3"
    np.testing.assert_array_equal(
        first_conv_kernel(mnist_model, (28, 28, 1)), mnist_model.get_layer("conv2d_1").get_weights()[0]
    )
    pool_only = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.MaxPooling2D(2)])
    with pytest.raises(ValueError, match="no Conv2D"):
        last_conv_layer_name(pool_only, (4, 4, 1))


# --- activation_grid --------------------------------------------------------------------------


def seed_grid(activation, images_per_row):
    """The seed's loop, with its two gaps filled: a zero std gives 128, and a partial last row is kept."""
    size_h, size_w, n_features = activation.shape
    n_cols = min(images_per_row, n_features)
    n_rows = -(-n_features // n_cols)
    display_grid = np.zeros((size_h * n_rows, n_cols * size_w), dtype=np.uint8)
    for row in range(n_rows):
        for col in range(n_cols):
            index = row * n_cols + col
            if index >= n_features:
                break
            channel_image = activation[:, :, index].astype(np.float64)
            channel_image = channel_image - channel_image.mean()
            std = channel_image.std()
            channel_image = channel_image / std if std > 0 else channel_image * 0
            channel_image = np.clip(channel_image * 64 + 128, 0, 255).astype("uint8")
            display_grid[row * size_h : (row + 1) * size_h, col * size_w : (col + 1) * size_w] = channel_image
    return display_grid


@pytest.mark.parametrize(
    "shape, per_row",
    [
        ((7, 7, 32), 16),
        ((5, 6, 20), 16),
        ((4, 4, 3), 16),
        ((3, 3, 5), 2),
        ((6, 6, 1), 1),
        ((2, 9, 17), 4),
    ],
)
def test_activation_grid_matches_the_seeds_loop(shape, per_row):
    activation = np.maximum(np.random.default_rng(5).normal(size=shape), 0).astype(np.float32)  # ReLU-like
    ours = activation_grid(activation, per_row)
    theirs = seed_grid(activation, per_row)
    assert ours.shape == theirs.shape and ours.dtype == np.uint8
    # Float32 vs float64 can land on either side of an integer before truncation: at most 1 apart.
    assert np.abs(ours.astype(int) - theirs).max() <= 1
    assert np.mean(ours == theirs) > 0.99


def test_constant_channels_give_128_and_no_nan():
    activation = np.random.default_rng(6).random((6, 6, 5)).astype(np.float32)
    activation[..., 1] = 0.0  # a dead ReLU
    activation[..., 3] = 0.7  # a constant whose float mean is not exactly 0.7
    with np.errstate(all="raise"):
        grid = activation_grid(activation, images_per_row=5)
    assert grid.shape == (6, 30)
    assert np.all(grid[:, 6:12] == 128) and np.all(grid[:, 18:24] == 128)
    assert grid[:, :6].std() > 0
    np.testing.assert_array_equal(flat_channels(activation), [False, True, False, True, False])


def test_the_last_partial_row_is_kept_and_padded_with_zeros():
    activation = np.random.default_rng(7).random((3, 4, 20)).astype(np.float32)
    grid = activation_grid(activation, images_per_row=16)
    assert grid.shape == (2 * 3, 16 * 4)
    last_row = grid[3:]
    np.testing.assert_array_equal(last_row[:, 4 * 4 :], 0)  # cells 20..31 are empty
    # Channel 19 (the last) sits in row 1, column 3.
    np.testing.assert_array_equal(last_row[:, 12:16], seed_grid(activation[..., 19:20], 1))


def test_activation_grid_rejects_bad_arguments():
    with pytest.raises(ValueError, match="images_per_row"):
        activation_grid(np.zeros((2, 2, 2)), images_per_row=0)
    with pytest.raises(ValueError, match=r"\(H, W, C\)"):
        activation_grid(np.zeros((2, 2)))


# --- Grad-CAM ---------------------------------------------------------------------------------


def spot_model(keras, head: str, functional: bool = False):
    """A convnet whose answer is known: channel 0 is the pixel itself, channel 1 its darkness.

    conv (3x3 "valid"): channel 0 = relu(x[i+1, j+1]), channel 1 = relu(1 - x[i+1, j+1]). Global
    average pooling then a head that reads "bright" minus "dark". For the class "spot" the Grad-CAM
    map is relu(A0 - A1) / max: 1 on the spot, 0 elsewhere; for "background" it is the reverse.
    """
    from keras import layers

    conv = layers.Conv2D(2, 3, activation="relu", name="spot_conv")
    if head == "softmax":
        dense = layers.Dense(2, activation="softmax", name="head")
    else:
        dense = layers.Dense(1, activation="sigmoid", name="head")
    stack = [conv, layers.GlobalAveragePooling2D(), dense]
    if functional:
        inputs = keras.Input((9, 9, 1))
        x = inputs
        for layer in stack:
            x = layer(x)
        model = keras.Model(inputs, x)
    else:
        model = keras.Sequential([keras.Input((9, 9, 1)), *stack])
    kernel = np.zeros((3, 3, 1, 2), np.float32)
    kernel[1, 1, 0] = [1.0, -1.0]
    conv.set_weights([kernel, np.array([0.0, 1.0], np.float32)])
    if head == "softmax":  # class 0 = background, class 1 = spot
        dense.set_weights([np.array([[-5.0, 5.0], [5.0, -5.0]], np.float32), np.zeros(2, np.float32)])
    else:  # sigmoid: p(spot) = sigmoid(5 * (bright - dark))
        dense.set_weights([np.array([[5.0], [-5.0]], np.float32), np.zeros(1, np.float32)])
    return model


@pytest.mark.parametrize(
    "head, functional", [("softmax", False), ("sigmoid", False), ("softmax", True), ("sigmoid", True)]
)
@pytest.mark.parametrize("row, col", [(2, 3), (6, 1), (4, 4)])
def test_grad_cam_peaks_on_the_spot(keras, head, functional, row, col):
    model = spot_model(keras, head, functional)
    image = np.zeros((9, 9, 1), np.float32)
    image[row, col] = 1.0
    expected_spot = np.zeros((7, 7), np.float32)
    expected_spot[row - 1, col - 1] = 1.0  # "valid" 3x3: output (i, j) is centred on input (i+1, j+1)
    spot = grad_cam(model, image, class_index=1)
    np.testing.assert_allclose(spot, expected_spot, atol=1e-6)
    background = grad_cam(model, image, class_index=0)
    np.testing.assert_allclose(background, 1.0 - expected_spot, atol=1e-6)
    # The predicted class: background wins on average (48 dark pixels against one bright one).
    np.testing.assert_allclose(grad_cam(model, image), background, atol=1e-6)


def test_grad_cam_is_all_zero_when_nothing_argues_for_the_class(keras):
    model = spot_model(keras, "softmax")
    heatmap = grad_cam(model, np.ones((9, 9, 1), np.float32), class_index=0)
    assert heatmap.shape == (7, 7) and not np.isnan(heatmap).any()
    np.testing.assert_array_equal(heatmap, 0.0)


def keras_io_grad_cam(model, image, last_conv_layer_name, pred_index=None):
    """https://keras.io/examples/vision/grad_cam/, on a copy whose last softmax is removed."""
    import keras
    import tensorflow as tf

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    copy.layers[-1].activation = None
    # keras.io reads ``model.output``; a Sequential model only has ``model.outputs``.
    grad_model = keras.models.Model(copy.inputs[0], [copy.get_layer(last_conv_layer_name).output, copy.outputs[0]])
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(image[None])
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    return (tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)).numpy(), heatmap.numpy()


@pytest.mark.parametrize("class_index", [None, 0, 7])
def test_grad_cam_matches_the_keras_io_recipe_on_the_mnist_convnet(mnist_model, class_index):
    image = rng_image((28, 28, 1), seed=8)
    ours = grad_cam(mnist_model, image, class_index)
    theirs, _ = keras_io_grad_cam(mnist_model, image, "conv2d_3", class_index)
    assert ours.shape == (3, 3) and ours.min() >= 0 and ours.max() <= 1
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_grad_cam_on_a_single_sigmoid_unit_explains_either_class(keras):

    model = build_cats_dogs_convnet(input_shape=(64, 64, 3))
    image = rng_image((64, 64, 3), seed=9)
    dog, raw = keras_io_grad_cam(model, image, "conv2d_4", pred_index=0)
    np.testing.assert_allclose(grad_cam(model, image, class_index=1), dog, atol=1e-5)
    # Class 0 is scored by the negated logit, so its map is the other sign of the same sum.
    cat = np.maximum(-raw, 0) / np.maximum(-raw, 0).max()
    np.testing.assert_allclose(grad_cam(model, image, class_index=0), cat, atol=1e-5)
    with pytest.raises(ValueError, match="class_index"):
        grad_cam(model, image, class_index=2)


def test_class_probabilities_for_softmax_and_sigmoid_heads(keras, mnist_model):
    image = rng_image((28, 28, 1), seed=10)
    probabilities = class_probabilities(mnist_model, image)
    np.testing.assert_allclose(probabilities, mnist_model.predict(image[None], verbose=0)[0], rtol=1e-5)
    model = spot_model(keras, "sigmoid")
    spot = np.zeros((9, 9, 1), np.float32)
    p = float(model.predict(spot[None], verbose=0)[0, 0])
    np.testing.assert_allclose(class_probabilities(model, spot), [1 - p, p], rtol=1e-6)


# --- Filter patterns --------------------------------------------------------------------------


def tiny_pattern_model(keras):
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            layers.Conv2D(3, 3, activation="relu", name="c1"),
            layers.Conv2D(2, 3, activation="relu", name="c2"),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    kernel, bias = model.get_layer("c1").get_weights()
    bias[2] = -50.0  # Filter 2 never fires: the book's ReLU'd loss would have no gradient.
    model.get_layer("c1").set_weights([kernel, bias])
    return model


def test_filter_ascent_follows_the_books_update_on_a_linear_layer(keras):
    """For a conv scored before its ReLU, the mean response is linear in the input: <g, x> + b.

    Each step adds step_size * g / (rms(g) + 1e-5), so the loss rises by the same amount every
    step: step_size * <g, g> / (rms(g) + 1e-5). g is worked out by hand: each pixel's weight is the
    sum of the kernel taps that touch it over all output positions, divided by their count.
    """
    model = tiny_pattern_model(keras)
    kernel = model.get_layer("c1").get_weights()[0][..., 0, 1]  # (3, 3), filter 1
    g = np.zeros((8, 8))
    for i in range(6):
        for j in range(6):
            g[i : i + 3, j : j + 3] += kernel
    g /= 36
    rise = 0.05 * (g**2).sum() / (np.sqrt((g**2).mean()) + 1e-5)
    (pattern,) = filter_patterns(model, "c1", [1], steps=6, step_size=0.05)
    np.testing.assert_allclose(np.diff(pattern.losses), rise, rtol=1e-3)


def test_filter_patterns_raise_the_filters_response_even_when_it_starts_silent(keras):
    model = tiny_pattern_model(keras)
    patterns = list(filter_patterns(model, "c2", [0, 1], steps=15))
    patterns += list(filter_patterns(model, "c1", [2], steps=15))
    for pattern in patterns:
        assert pattern.image.shape == (8, 8, 1) and pattern.image.dtype == np.uint8
        assert pattern.losses[-1] > pattern.losses[0]
        assert np.all(np.diff(pattern.losses) > -1e-6)
    assert patterns[-1].losses[0] < -40  # filter 2 of c1 was silent at the start


def test_filter_patterns_are_reproducible_filter_by_filter(keras):
    model = tiny_pattern_model(keras)
    together = list(filter_patterns(model, "c2", [0, 1], steps=5, seed=3))
    alone = list(filter_patterns(model, "c2", [1], steps=5, seed=3))
    np.testing.assert_array_equal(together[1].image, alone[0].image)
    assert together[1].losses == alone[0].losses
    other_seed = list(filter_patterns(model, "c2", [1], steps=5, seed=4))
    assert not np.array_equal(other_seed[0].image, alone[0].image)


def test_filter_patterns_reject_bad_requests(keras):
    model = tiny_pattern_model(keras)
    with pytest.raises(ValueError, match="filter_index"):
        list(filter_patterns(model, "c2", [2]))
    with pytest.raises(ValueError, match="layer_name"):
        list(filter_patterns(model, "nope", [0]))
    with pytest.raises(ValueError, match="steps"):
        list(filter_patterns(model, "c2", [0], steps=0))


def test_model_fingerprint_follows_weights_not_identity(keras):
    model = tiny_pattern_model(keras)
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    assert model_fingerprint(twin) == model_fingerprint(model)
    twin.set_weights([w + 1 for w in model.get_weights()])
    assert model_fingerprint(twin) != model_fingerprint(model)


# --- Inputs, pictures and figures -------------------------------------------------------------


def test_prepare_image_converts_like_pil_and_scales_to_unit_range():
    from PIL import Image

    photo = load_sample_photo(max_side=200)
    grey = prepare_image(photo, (photo.shape[0], photo.shape[1], 1))
    pil_grey = np.asarray(Image.fromarray(photo).convert("L"), dtype=np.float32) / 255
    assert grey.dtype == np.float32 and grey.shape == (*photo.shape[:2], 1)
    assert np.abs(grey[..., 0] - pil_grey).max() <= 1.5 / 255
    rgb = prepare_image(np.full((5, 7), 255, np.uint8), (150, 150, 3))
    assert rgb.shape == (150, 150, 3) and np.allclose(rgb, 1.0)
    with pytest.raises(ValueError, match="got shape"):
        prepare_image(np.zeros((4, 4, 4), np.uint8), (28, 28, 1))
    with pytest.raises(ValueError, match="model input"):
        prepare_image(np.zeros((4, 4), np.uint8), (28, 28, 2))


def test_colorize_uses_plotlys_colorscales():
    ramp = colorize(np.array([[0, 255]], np.uint8))
    np.testing.assert_array_equal(ramp[0], [[0x44, 0x01, 0x54], [0xFD, 0xE7, 0x25]])  # viridis ends
    jet = colorize(np.array([[0, 255]], np.uint8), "jet")
    np.testing.assert_array_equal(jet[0], [[0, 0, 131], [128, 0, 0]])


def test_overlay_heatmap_blends_jet_where_the_heat_is():
    image = np.full((20, 20, 3), 0.5, np.float32)
    heatmap = np.zeros((4, 4))
    heatmap[0, 3] = 1.0
    overlay = overlay_heatmap(image, heatmap, alpha=1.0)
    assert overlay.shape == (20, 20, 3) and overlay.dtype == np.uint8
    assert overlay[0, 19, 0] > 120 and overlay[0, 19, 2] == 0  # dark red at the hot corner
    assert overlay[19, 0, 2] == 131 and overlay[19, 0, 0] == 0  # dark blue where it is cold
    np.testing.assert_array_equal(overlay_heatmap(image, heatmap, alpha=0.0), 128)
    with pytest.raises(ValueError, match="alpha"):
        overlay_heatmap(image, heatmap, alpha=1.5)


def test_grid_picture_enlarges_and_separates_cells():
    grid = activation_grid(np.random.default_rng(11).random((3, 3, 4)), images_per_row=2)
    picture = grid_picture(grid, (3, 3), scale=4)
    assert picture.shape == (24, 24, 3)
    np.testing.assert_array_equal(picture[12], 255)  # the line between the two rows of cells
    np.testing.assert_array_equal(picture[:, 12], 255)
    np.testing.assert_array_equal(picture[0, 0], colorize(grid[:1, :1])[0, 0])


@pytest.mark.parametrize("channels, trace_type", [(1, "heatmap"), (3, "image")])
def test_kernels_figure_draws_one_picture_per_filter(channels, trace_type):
    kernel = np.random.default_rng(12).normal(size=(3, 3, channels, 10))
    figure = kernels_figure(kernel, columns=4)
    assert len(figure.data) == 10 and {trace.type for trace in figure.data} == {trace_type}
    assert sorted(a.text for a in figure.layout.annotations) == sorted(f"filter {i}" for i in range(10))
    if channels == 1:
        np.testing.assert_allclose(figure.data[3].z, kernel[..., 0, 3], rtol=1e-6)


def test_channel_figure_shows_the_map_values():
    values = np.arange(12, dtype=np.float32).reshape(3, 4)
    figure = channel_figure(values, "conv, channel 0")
    np.testing.assert_array_equal(figure.data[0].z, values)
    assert figure.layout.title.text == "conv, channel 0"


def test_activation_sparsity_counts_active_values_and_blank_channels(cats_dogs):
    maps = np.zeros((4, 4, 5), dtype=np.float32)
    maps[:2, :2, 0] = 1.0  # a quarter of channel 0 fired
    maps[:, :, 1] = 0.3  # all of channel 1
    maps[0, 0, 2] = -0.5  # a negative value is not active (a pre-activation map)
    (row,) = activation_sparsity([("hand", maps)])
    assert (row.shape, row.values, row.blank_channels) == ((4, 4, 5), 80, 3)
    assert row.active_share == pytest.approx((4 + 16) / 80)
    rows = activation_sparsity(layer_activations(cats_dogs, rng_image((150, 150, 3))))
    assert [(r.name, r.shape) for r in rows] == SEED_LISTING
    assert all(0.0 <= r.active_share <= 1.0 and 0 <= r.blank_channels <= r.shape[2] for r in rows)
    with pytest.raises(ValueError, match=r"'flat'.*\(3,\)"):
        activation_sparsity([("flat", np.zeros(3))])


def test_the_module_keeps_keras_off_import_time():
    probe = (
        "import sys, cnn_core.learning.activations, cnn_core.learning.gradcam, cnn_core.learning.patterns, cnn_core.figures.pictures; "
        "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit', 'plotly') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
