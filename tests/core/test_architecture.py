"""cnn_core.learning.architecture and keras_code against Keras: the layer list, what pooling saves, and the listing executed."""

from __future__ import annotations

import os

import numpy as np
import pytest

from cnn_core.learning.architecture import convnet_layers, pooling_saving
from cnn_core.learning.keras_code import NOTE_MODELS, keras_code, loss_name
from cnn_core.learning.models import build_cats_dogs_convnet, build_convnet

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

TRAINING_KEYS = ("optimizer", "learning_rate", "epochs", "batch_size")

# build_convnet arguments (and training settings for the listing): the seed's MNIST model, 1 to 4
# blocks, average and no pooling, dropout, 3 classes, kernel 5, and the note's two cats-vs-dogs models.
ARCHITECTURES = {
    "seed-mnist": dict(),
    "one-block": dict(filters=(8,), dense_units=16, optimizer="sgd", learning_rate=0.05, epochs=2, batch_size=32),
    "two-blocks-average": dict(filters=(8, 16), pooling="average", optimizer="adam", learning_rate=3e-4),
    "four-blocks-pool-last": dict(input_shape=(64, 64, 1), filters=(4, 8, 8, 16), pool_last=True),
    "no-pooling-dropout": dict(filters=(4, 8), pooling="none", dropout=0.25, dense_units=8),
    "three-classes-rgb": dict(input_shape=(32, 40, 3), num_classes=3, filters=(8, 16), kernel_size=5),
    "two-classes-sigmoid": dict(input_shape=(32, 32, 3), num_classes=2, filters=(8, 8), dense_units=4),
    "cats-dogs": NOTE_MODELS["cats_dogs"],
    "cats-dogs-dropout": NOTE_MODELS["cats_dogs_dropout"],
}


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _build_arguments(arguments: dict) -> dict:
    return {key: value for key, value in arguments.items() if key not in TRAINING_KEYS}


def _layers(model) -> list[tuple]:
    return [
        (layer.name, type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params())
        for layer in model.layers
    ]


def _run_listing(listing: str, keras, until_fit: bool = True) -> dict:
    """Execute the listing (up to model.fit unless told otherwise) in a fresh namespace."""
    source = listing.split("\n# x_train")[0] if until_fit else listing
    namespace = {"keras": keras}
    exec(compile(source, "<keras_code>", "exec"), namespace)
    return namespace


# --- convnet_layers -----------------------------------------------------------------------------


@pytest.mark.parametrize("arguments", ARCHITECTURES.values(), ids=ARCHITECTURES.keys())
def test_the_layer_list_is_what_keras_builds(keras, arguments):
    model = build_convnet(**_build_arguments(arguments))
    specs = convnet_layers(**_build_arguments(arguments))
    assert [(s.name, s.kind, s.output_shape, s.params) for s in specs] == _layers(model)
    assert sum(spec.params for spec in specs) == model.count_params()


def test_filters_double_while_the_maps_shrink_on_the_notes_model():
    maps = [spec.output_shape for spec in convnet_layers(**_build_arguments(NOTE_MODELS["cats_dogs"])) if spec.window]
    assert maps == [
        (148, 148, 32),
        (74, 74, 32),
        (72, 72, 64),
        (36, 36, 64),
        (34, 34, 128),
        (17, 17, 128),
        (15, 15, 128),
        (7, 7, 128),
    ]


def test_maps_that_shrink_to_nothing_are_refused_with_the_layer():
    with pytest.raises(ValueError, match=r"1 wide at max_pooling2d_2.*\(8, 8, 1\) is too small"):
        convnet_layers(input_shape=(8, 8, 1))
    with pytest.raises(ValueError, match=r"2 wide at conv2d_2.*too small"):
        build_convnet(input_shape=(6, 6, 1), filters=(4, 4), kernel_size=5, pooling="none")


@pytest.mark.parametrize(
    "arguments, pattern",
    [
        (dict(input_shape=(28, 28)), r"input_shape.*\(28, 28\)"),
        (dict(input_shape=(28, 28.5, 1)), r"input_shape.*28\.5"),
        (dict(num_classes=1), r"num_classes.*\b1\b"),
        (dict(filters=()), r"filters.*\(\)"),
        (dict(filters=(8, 0)), r"filters.*\(8, 0\)"),
        (dict(kernel_size=0), r"kernel_size.*\b0\b"),
        (dict(pooling="min"), r"pooling.*'min'"),
        (dict(dropout=1.0), r"dropout.*1\.0"),
        (dict(dense_units=0), r"dense_units.*\b0\b"),
    ],
)
def test_bad_arguments_name_the_value(arguments, pattern):
    with pytest.raises(ValueError, match=pattern):
        convnet_layers(**arguments)


# --- pooling_saving -----------------------------------------------------------------------------


def test_what_pooling_saves_on_the_mnist_convnet_matches_keras(keras):
    saving = pooling_saving()
    assert saving.pooled_maps == (3, 3, 64) and saving.unpooled_maps == (22, 22, 64)
    assert saving.dense_pooled == (3 * 3 * 64 + 1) * 64 == build_convnet().get_layer("dense").count_params()
    unpooled = build_convnet(pooling="none")
    assert saving.dense_unpooled == (30_976 + 1) * 64 == unpooled.get_layer("dense").count_params()
    assert saving.total_pooled == 93_322 == build_convnet().count_params()
    assert saving.total_unpooled == unpooled.count_params()


def test_what_pooling_saves_on_the_notes_cats_dogs_model_matches_keras(keras):
    arguments = _build_arguments(NOTE_MODELS["cats_dogs"])
    saving = pooling_saving(**arguments)
    assert saving.pooled_maps == (7, 7, 128) and saving.dense_pooled == (6272 + 1) * 512
    assert saving.total_pooled == build_cats_dogs_convnet().count_params() == 3_453_121
    # Built whole, the unpooled model would hold 1.3 billion weights; a one-unit Dense shows its
    # Flatten size without allocating them.
    probe = build_convnet(**{**arguments, "pooling": "none", "dense_units": 1})
    assert tuple(probe.get_layer("flatten").output.shape[1:]) == (142 * 142 * 128,)
    assert saving.unpooled_maps == (142, 142, 128)
    assert saving.dense_unpooled == (142 * 142 * 128 + 1) * 512 == 1_321_468_416
    convs = sum(probe.get_layer(f"conv2d_{i}").count_params() for i in range(1, 5))
    assert saving.total_unpooled == convs + saving.dense_unpooled + (512 + 1) * 1
    assert round(saving.ratio) == 411


# --- keras_code ---------------------------------------------------------------------------------


@pytest.mark.parametrize("arguments", ARCHITECTURES.values(), ids=ARCHITECTURES.keys())
def test_the_listing_builds_the_same_model_and_compiles_it_as_the_app_trains(keras, arguments):
    from cnn_core.learning.settings import loss_for

    listing = keras_code(**arguments)
    namespace = _run_listing(listing, keras)
    listed, built = namespace["model"], build_convnet(**_build_arguments(arguments))
    assert _layers(listed) == _layers(built)
    assert listed.count_params() == built.count_params()
    assert tuple(listed.input_shape) == tuple(built.input_shape)
    assert listed.loss == loss_for(built) == loss_name(arguments.get("num_classes", 10))
    optimizer = listed.optimizer
    assert type(optimizer).__name__.lower() == arguments.get("optimizer", "rmsprop")
    assert float(optimizer.learning_rate) == pytest.approx(arguments.get("learning_rate", 1e-3))
    assert f"epochs={arguments.get('epochs', 5)}," in listing
    assert f"batch_size={arguments.get('batch_size', 64)}," in listing


def test_the_whole_listing_runs_fit_on_the_apps_sparse_labels(keras):
    rng = np.random.default_rng(0)
    namespace = {
        "x_train": rng.random((8, 12, 12, 1), dtype=np.float32),
        "y_train": rng.integers(0, 3, 8),
        "x_val": rng.random((4, 12, 12, 1), dtype=np.float32),
        "y_val": rng.integers(0, 3, 4),
        "keras": keras,
    }
    listing = keras_code(input_shape=(12, 12, 1), num_classes=3, filters=(4,), dense_units=4, epochs=2, batch_size=4)
    exec(compile(listing, "<keras_code>", "exec"), namespace)
    history = namespace["history"].history
    assert len(history["loss"]) == 2 and "val_accuracy" in history


def test_the_listing_reads_like_the_notes_code():
    listing = keras_code(**NOTE_MODELS["cats_dogs_dropout"])
    assert 'keras.Input(shape=(150, 150, 3), name="image"),' in listing
    assert 'layers.Dropout(0.5, name="dropout"),  # -> (6272,)' in listing
    assert 'layers.Dense(1, activation="sigmoid", name="output"),  # -> (1,)' in listing
    assert "keras.optimizers.Adam(learning_rate=0.001)" in listing and 'loss="binary_crossentropy"' in listing
    assert "to_categorical" not in listing  # binary labels need no one-hot note
    mnist = keras_code()
    assert 'padding="valid" is Keras\'s default' in mnist and "3 - 1 = 2" in mnist
    assert "to_categorical" in mnist and 'loss="sparse_categorical_crossentropy"' in mnist


def test_training_settings_out_of_range_are_refused():
    with pytest.raises(ValueError, match=r"optimizer.*'adagrad'"):
        keras_code(optimizer="adagrad")
    with pytest.raises(ValueError, match=r"epochs.*\b0\b"):
        keras_code(epochs=0)
