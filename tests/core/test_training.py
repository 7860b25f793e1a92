"""The training core: data pipeline, train(), stop, strategies, the run thread, the training cap,
evaluation helpers and the model summary table, each against Keras/TensorFlow or a worked example."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from cnn_core.data.mnist import load_mnist, subset
from cnn_core.learning.evaluation import (
    confusion_matrix,
    cross_entropy,
    evaluate,
    history_to_csv,
    misclassified_indices,
)
from cnn_core.learning.models import build_cats_dogs_convnet, build_convnet, build_mnist_convnet
from cnn_core.learning.pipeline import make_dataset
from cnn_core.learning.progress import TrainingLog
from cnn_core.learning.settings import check_settings
from cnn_core.learning.summary import summary_rows, summary_total
from cnn_core.learning.train import train

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


DIGITS = [str(d) for d in range(10)]


def small_convnet():
    """A small convnet so the tests train in a second or two."""
    return build_convnet(filters=(8, 16), dense_units=32)


# --- data ------------------------------------------------------------------------------------


def test_make_dataset_scales_uint8_per_batch_and_adds_the_channel_axis(mnist):
    (x, y), _ = mnist
    batches = list(make_dataset(x[:100], y[:100], batch_size=32, input_shape=(28, 28, 1)))
    assert [b[0].shape[0] for b in batches] == [32, 32, 32, 4]
    images = np.concatenate([b[0].numpy() for b in batches])
    assert images.dtype == np.float32 and images.shape == (100, 28, 28, 1)
    np.testing.assert_allclose(images[..., 0], x[:100].astype(np.float32) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), y[:100])


def test_shuffled_dataset_is_a_seeded_permutation_that_keeps_pairs(mnist):
    (x, y), _ = mnist

    def drawn(seed):
        ds = make_dataset(x[:200], y[:200], 64, shuffle=True, seed=seed, input_shape=(28, 28, 1))
        images, labels = zip(*((b[0].numpy(), b[1].numpy()) for b in ds))
        return np.concatenate(images), np.concatenate(labels)

    images, labels = drawn(7)
    order = [int(np.flatnonzero((x[:200] == np.round(img[..., 0] * 255)).all(axis=(1, 2)))[0]) for img in images]
    assert sorted(order) == list(range(200)) and order != list(range(200))
    np.testing.assert_array_equal(labels, y[:200][order])
    np.testing.assert_array_equal(drawn(7)[1], labels)


@pytest.mark.parametrize("size", [0, -1, 60001, 2.5])
def test_subset_rejects_sizes_outside_the_data(mnist, size):
    (x, y), _ = mnist
    with pytest.raises(ValueError, match="subset size must be an int from 1 to 60000"):
        subset(x, y, size)


@pytest.mark.parametrize(
    "settings, message",
    [
        ((0, 64, "rmsprop", 1e-3), "epochs"),
        ((101, 64, "rmsprop", 1e-3), "epochs"),
        ((5, 0, "rmsprop", 1e-3), "batch_size"),
        ((5, 64, "adagrad", 1e-3), "optimizer"),
        ((5, 64, "adam", 0.0), "learning_rate"),
        ((5, 64, "adam", 2.0), "learning_rate"),
    ],
)
def test_check_settings_names_the_bad_setting(settings, message):
    with pytest.raises(ValueError, match=message):
        check_settings(*settings)


# --- train() ---------------------------------------------------------------------------------


def test_one_epoch_on_a_small_subset_beats_chance_and_matches_keras_evaluate(mnist):
    (x, y), (x_test, y_test) = mnist
    log = TrainingLog()
    result = train(
        small_convnet, (x[:1500], y[:1500]), (x_test[:500], y_test[:500]), epochs=1, batch_size=32, progress=log, seed=1
    )
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert not result.stopped
    evaluation = evaluate(result.model, x_test[:500], y_test[:500], num_classes=10)
    assert evaluation.accuracy > 0.5  # chance is 0.1
    # Reference: Keras's own evaluation on float32 images scaled by hand.
    keras_loss, keras_accuracy = result.model.evaluate(
        x_test[:500, ..., None].astype(np.float32) / 255.0, y_test[:500], verbose=0
    )
    assert evaluation.accuracy == pytest.approx(keras_accuracy, abs=1e-6)
    assert evaluation.loss == pytest.approx(keras_loss, rel=1e-4)
    assert result.history["val_accuracy"][0] == pytest.approx(keras_accuracy, abs=1e-6)
    snapshot = log.snapshot()
    assert (snapshot.epoch, snapshot.step, snapshot.steps_per_epoch) == (1, 0, 47)
    assert snapshot.history["loss"] == pytest.approx(result.history["loss"])


def test_an_epoch_shorter_than_one_compiled_call_ends_at_its_own_end(mnist):
    """7 batches an epoch, 16 a compiled call: Keras numbers the call's last batch 15; the epoch still ends at 1."""
    (x, y), (x_test, y_test) = mnist
    log = TrainingLog()
    train(small_convnet, (x[:200], y[:200]), (x_test[:64], y_test[:64]), epochs=2, batch_size=32, progress=log)
    snapshot = log.snapshot()
    assert snapshot.steps_per_epoch == 7  # ceil(200 / 32)
    assert [position for position, _logs in snapshot.epoch_points] == [1.0, 2.0]
    assert snapshot.fraction == 1.0 and (snapshot.epoch, snapshot.step) == (2, 0)


def test_stop_ends_training_after_the_current_batch_and_keeps_weights_and_history(mnist):
    """Keras reports batches once per compiled call (STEPS_PER_EXECUTION of them); Stop acts at the next report."""
    import keras

    from cnn_core.learning.train import STEPS_PER_EXECUTION

    (x, y), _ = mnist
    stop = threading.Event()
    seen = []

    class StopAtFirstReport(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            stop.set()

    model = small_convnet()
    before = [w.copy() for w in model.get_weights()]
    log = TrainingLog()
    result = train(
        model, (x[:2000], y[:2000]), epochs=3, batch_size=50, progress=log, stop=stop, callbacks=[StopAtFirstReport()]
    )
    assert seen == [STEPS_PER_EXECUTION - 1]  # one report: the first call ran its 16 batches, then training ended
    assert result.stopped and result.model is model
    assert len(result.history["loss"]) == 1
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    position, logs = log.snapshot().epoch_points[-1]
    assert position == pytest.approx(STEPS_PER_EXECUTION / 40) and logs["loss"] == pytest.approx(
        result.history["loss"][0]
    )


def test_train_runs_under_mirrored_strategy_with_two_cpu_replicas():
    # Logical devices must be set before TensorFlow starts, hence a fresh interpreter.
    script = textwrap.dedent("""
        import json, numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from cnn_core import TrainingLog, build_convnet, build_mnist_convnet, load_mnist, train
        (x, y), (xt, yt) = load_mnist()
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        log = TrainingLog()
        result = train(lambda: build_convnet(filters=(8, 16), dense_units=32),
                                (x[:1024], y[:1024]), (xt[:256], yt[:256]), epochs=1, batch_size=64,
                                strategy=strategy, progress=log, seed=0)
        kernel = result.model.layers[0].kernel
        try:
            train(build_mnist_convnet(), (x[:64], y[:64]), epochs=1, strategy=strategy)
            refused = ""
        except ValueError as exc:
            refused = str(exc)
        print(json.dumps({
            "replicas": strategy.num_replicas_in_sync,
            "variable": type(getattr(kernel, "value", kernel)).__name__,
            "steps": log.snapshot().steps_per_epoch,
            "val_accuracy": result.history["val_accuracy"][0],
            "refused": refused,
        }))
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["replicas"] == 2
    assert figures["variable"] == "MirroredVariable"
    assert figures["steps"] == 16
    assert figures["val_accuracy"] > 0.2
    assert "pass a function that builds the model" in figures["refused"]


# --- evaluation helpers --------------------------------------------------------------------------


def test_confusion_matrix_and_misclassified_match_tensorflow():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    true, predicted = rng.integers(0, 10, 500), rng.integers(0, 10, 500)
    expected = tf.math.confusion_matrix(true, predicted, num_classes=10).numpy()
    np.testing.assert_array_equal(confusion_matrix(true, predicted, 10), expected)
    wrong = misclassified_indices(true, predicted)
    assert len(wrong) == expected.sum() - np.trace(expected)
    assert np.all(true[wrong] != predicted[wrong])


def test_cross_entropy_matches_keras_losses():
    import keras

    rng = np.random.default_rng(1)
    proba = rng.dirichlet(np.ones(10), size=64).astype(np.float32)
    labels = rng.integers(0, 10, 64)
    expected = float(keras.losses.sparse_categorical_crossentropy(labels, proba).numpy().mean())
    assert cross_entropy(proba, labels) == pytest.approx(expected, rel=1e-5)
    sigmoid = rng.uniform(0.01, 0.99, (64, 1)).astype(np.float32)
    binary = rng.integers(0, 2, 64)
    expected = float(keras.losses.binary_crossentropy(binary[:, None].astype(np.float32), sigmoid).numpy().mean())
    assert cross_entropy(sigmoid, binary) == pytest.approx(expected, rel=1e-5)


def test_history_csv_round_trips():
    history = {"loss": [0.3, 0.1], "accuracy": [0.9, 0.97], "val_loss": [0.2, 0.15], "val_accuracy": [0.93, 0.95]}
    rows = list(csv.DictReader(io.StringIO(history_to_csv(history))))
    assert [int(row["epoch"]) for row in rows] == [1, 2]
    for key, values in history.items():
        assert [float(row[key]) for row in rows] == values


# --- the summary table ---------------------------------------------------------------------------


def keras_summary(model):
    """(name, type, output shape, params) per layer and the total, parsed from model.summary().

    Keras draws a table whose cells may wrap onto several lines; cells are joined per row.
    """
    lines = []
    model.summary(print_fn=lambda text, **_: lines.append(text))
    text = "\n".join(lines)
    rows, cells = [], None
    for line in text.splitlines():
        if line.startswith("│"):
            parts = [part.strip() for part in line.strip("│").split("│")]
            cells = parts if cells is None else [f"{a} {b}".strip() for a, b in zip(cells, parts)]
        elif cells is not None:  # A row separator or the table's bottom edge ends the row.
            name, kind = re.fullmatch(r"(\S+) \((\w+)\)", cells[0]).groups()
            rows.append((name, kind, cells[1], int(cells[2].replace(",", ""))))
            cells = None
    total = int(re.search(r"Total params: ([\d,]+)", text).group(1).replace(",", ""))
    return rows, total


def strided_same_model():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((30, 22, 3)),
            layers.Conv2D(6, (5, 3), strides=2, padding="same", name="conv_same"),
            layers.Conv2D(4, 3, strides=(2, 1), use_bias=False, name="conv_strided"),
            layers.AveragePooling2D((2, 3), strides=(1, 2), name="pool_odd"),
            layers.Flatten(name="flatten"),
            layers.Dense(7, use_bias=False, name="dense_no_bias"),
            layers.BatchNormalization(name="batchnorm"),
        ]
    )


@pytest.mark.parametrize(
    "build",
    [
        build_mnist_convnet,
        lambda: build_convnet(filters=(16, 32), kernel_size=5, pooling="average", dropout=0.25, dense_units=20),
        lambda: build_convnet(filters=(8, 8, 8), pooling="max", pool_last=True),
        lambda: build_convnet(filters=(4,), pooling="none", dense_units=3),
        lambda: build_cats_dogs_convnet(dropout=0.5),
        strided_same_model,
    ],
    ids=["seed", "kernel5-average-dropout", "pool-last", "no-pooling", "cats-dogs", "strided-same"],
)
def test_summary_table_equals_keras_summary(build):
    model = build()
    rows = summary_rows(model)
    keras_rows, keras_total = keras_summary(model)
    ours = [(row.name, row.kind, str(row.output_shape), row.params) for row in rows]
    assert ours == keras_rows
    assert summary_total(rows) == keras_total == model.count_params()
    for row in rows:
        if row.params_math.startswith(f"{row.params:,} = "):
            assert eval(row.params_math.split(" = ")[1].replace(",", "")) == row.params


def test_summary_spells_out_the_seed_arithmetic():
    rows = {row.name: row for row in summary_rows(build_mnist_convnet())}
    assert rows["conv2d_1"].shape_math.startswith("26 = 28 - 3 + 1")
    assert rows["conv2d_1"].params_math == "320 = (3*3*1 + 1)*32"
    assert rows["max_pooling2d_1"].shape_math == "13 = (26 - 2) // 2 + 1"
    assert rows["conv2d_2"].params_math == "18,496 = (3*3*32 + 1)*64"
    assert rows["flatten"].shape_math == "576 = 3*3*64"
    assert rows["dense"].params_math == "36,928 = (576 + 1)*64"
    assert summary_total(list(rows.values())) == 93_322


# --- the shipped model's script -------------------------------------------------------------------


def test_train_mnist_script_is_reproducible(tmp_path):
    script = textwrap.dedent(f"""
        from scripts import train_mnist
        for name in ("a", "b"):
            train_mnist.main(["--epochs", "1", "--train-size", "640", "--output", r"{tmp_path}/" + name + ".keras"])
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("test accuracy") == 2
    import keras

    a, b = (keras.models.load_model(tmp_path / f"{name}.keras") for name in "ab")
    assert a.count_params() == 93_322
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_the_time_left_appears_only_once_the_pace_means_something(monkeypatch):
    import cnn_core.learning.progress as progress

    clock = {"now": 100.0}
    monkeypatch.setattr(progress.time, "monotonic", lambda: clock["now"])
    log = TrainingLog()
    log.begin(epochs=2, steps_per_epoch=100)
    clock["now"] = 130.0  # 30 s of start-up (tracing, the pipeline) before the first report
    log.batch(0, 1, {"loss": 2.0})
    assert log.snapshot().eta_s is None
    clock["now"] = 131.0
    log.batch(0, 20, {"loss": 1.0})
    assert log.snapshot().eta_s is None  # only 1 s of pace so far
    clock["now"] = 134.0
    log.batch(0, 50, {"loss": 0.5})
    # 49 batches in the 4 s since the first report: 150 left at that pace, not at the start-up's.
    assert log.snapshot().eta_s == pytest.approx(4.0 * 150 / 49)


def test_a_stopped_run_knows_how_far_it_got():
    log = TrainingLog()
    log.begin(epochs=3, steps_per_epoch=10)
    log.epoch(0, 10, {"loss": 1.0})
    log.batch(1, 4, {"loss": 0.5})
    log.epoch(1, 4, {"loss": 0.5})  # stopped after 4 of its 10 batches
    log.finish("stopped")
    assert log.snapshot().epochs_done == pytest.approx(1.4)
