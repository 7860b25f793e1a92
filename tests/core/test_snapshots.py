"""Watching a network learn: epoch snapshots of its first kernels and a probe's maps, in-process and from a worker."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from cnn_core.data.mnist import load_mnist
from cnn_core.learning.activations import first_conv_kernel, probe_activations
from cnn_core.learning.models import build_convnet
from cnn_core.learning.runs import TrainingRun
from cnn_core.learning.settings import TrainingSettings
from cnn_core.learning.snapshots import MODELS_DIR, check_probes, load_epoch_snapshots, save_epoch_snapshots
from cnn_core.learning.train import train

pytestmark = pytest.mark.slow
SMALL = functools.partial(build_convnet, filters=(8, 16), dense_units=32)


@pytest.fixture(scope="module")
def mnist():
    return load_mnist(mapped=True)


def assert_is_the_model(snapshot, model, probes):
    np.testing.assert_array_equal(snapshot.kernels, first_conv_kernel(model, (28, 28, 1)))
    maps = probe_activations(model, probes)
    assert list(snapshot.activations) == list(maps)
    for name, values in maps.items():
        assert snapshot.activations[name].dtype == np.float16 and snapshot.activations[name].shape == values.shape
        np.testing.assert_allclose(snapshot.activations[name], values, rtol=2e-3, atol=2e-3)


def test_two_epochs_give_snapshots_0_1_2_and_the_last_is_the_model(mnist):
    (x, y), (x_test, _) = mnist
    probes = x_test[:3]
    result = train(SMALL, (x[:1200], y[:1200]), epochs=2, batch_size=64, seed=1, watch=probes)
    assert [s.epoch for s in result.snapshots] == [0, 1, 2]
    assert_is_the_model(result.snapshots[-1], result.model, probes)
    first, last = result.snapshots[0], result.snapshots[-1]
    assert not np.array_equal(first.kernels, last.kernels)
    moved = last.kernel_change(first)
    assert moved.shape == (8,) and np.all(moved > 0)
    np.testing.assert_allclose(moved, np.linalg.norm((last.kernels - first.kernels).reshape(-1, 8), axis=0), rtol=1e-5)
    assert set(first.activations) == {"conv2d_1", "max_pooling2d_1", "conv2d_2"}


def test_a_worker_streams_its_snapshots_and_they_survive_a_save(mnist, tmp_path):
    (x, y), (x_test, _) = mnist
    probes = x_test[:2]
    run = TrainingRun(
        SMALL,
        (x[:600], y[:600]),
        class_names=[str(d) for d in range(10)],
        settings=TrainingSettings(epochs=2, batch_size=60),
        watch=probes,
    ).start()
    assert run.join(timeout=180), run.error
    assert [s.epoch for s in run.snapshots] == [0, 1, 2]
    assert_is_the_model(run.snapshots[-1], run.result.model, probes)
    save_epoch_snapshots(tmp_path / "tiny_epochs.npz", run.snapshots, probes)
    loaded, saved_probes = load_epoch_snapshots("tiny", tmp_path)
    np.testing.assert_array_equal(saved_probes, probes)
    for a, b in zip(loaded, run.snapshots):
        assert a.epoch == b.epoch
        np.testing.assert_array_equal(a.kernels, b.kernels)
        for name in b.activations:
            np.testing.assert_array_equal(a.activations[name], b.activations[name])
    run.cleanup()


def test_probes_are_few_and_image_shaped():
    with pytest.raises(ValueError, match="1 to 8 probe images"):
        check_probes(np.zeros((9, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="1 to 8 probe images"):
        check_probes(np.zeros((28, 28), np.uint8))


# The shipped MNIST models and their training epochs (scripts/train_mnist.py, scripts/train_mnist_augmented.py).
SHIPPED_EPOCHS = {"mnist_convnet": 5, "mnist_convnet_augmented": 10}


@pytest.mark.parametrize("name", SHIPPED_EPOCHS)
def test_the_shipped_model_comes_with_its_history_ending_at_its_weights(name):
    import keras

    snapshots, probes = load_epoch_snapshots(name)
    assert [s.epoch for s in snapshots] == list(range(SHIPPED_EPOCHS[name] + 1)) and probes.shape == (8, 28, 28)
    _, (x_test, y_test) = load_mnist()
    picks = [3, 2, 1, 18, 4, 8, 11, 0]
    np.testing.assert_array_equal(probes, x_test[picks])
    assert sorted(int(d) for d in y_test[picks]) == list(range(8))
    model = keras.models.load_model(MODELS_DIR / f"{name}.keras", compile=False)
    assert_is_the_model(snapshots[-1], model, probes)
    assert np.all(snapshots[-1].kernel_change(snapshots[0]) > 0)


@pytest.mark.parametrize("name", SHIPPED_EPOCHS)
def test_the_shipped_history_rebuilds_the_model_at_any_epoch(name):
    import keras

    from cnn_core.learning.snapshots import model_at_epoch

    snapshots, probes = load_epoch_snapshots(name)
    model = keras.models.load_model(MODELS_DIR / f"{name}.keras", compile=False)
    last = model_at_epoch(model, snapshots[-1])
    for a, b in zip(last.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    first = model_at_epoch(model, snapshots[0])
    assert_is_the_model(snapshots[0], first, probes)  # epoch 0's weights give epoch 0's recorded maps
    picture = np.full((1, 28, 28), 0, np.uint8)
    picture[0, 6:22, 13:15] = 255  # a "1" that is none of the probes
    early, late = probe_activations(first, picture), probe_activations(last, picture)
    assert not np.allclose(early["conv2d_1"], late["conv2d_1"])


def test_a_watch_keeps_chosen_layers_first_channels_and_shrinks_big_maps():
    from cnn_core.learning.snapshots import Watch

    rng = np.random.default_rng(0)
    maps = {
        "conv2d_1": rng.random((2, 148, 148, 32)),
        "conv2d_4": rng.random((2, 15, 15, 128)),
        "pool": rng.random((2, 7, 7, 8)),
    }
    kept = Watch(np.zeros((2, 150, 150, 3)), layers=("conv2d_1", "conv2d_4"), max_channels=16, max_side=37).keep(maps)
    assert list(kept) == ["conv2d_1", "conv2d_4"]
    assert kept["conv2d_1"].shape == (2, 37, 37, 16) and kept["conv2d_1"].dtype == np.float16
    assert kept["conv2d_4"].shape == (2, 15, 15, 16)
    odd = Watch(np.zeros((2, 150, 150, 3)), max_side=48).keep(maps)  # a ratio that is not a whole number
    assert odd["conv2d_1"].shape == (2, 48, 48, 32)
    # Area averaging: each kept cell is the mean of a 4x4 block of the original map.
    np.testing.assert_allclose(kept["conv2d_1"][1, 2, 3, 5], maps["conv2d_1"][1, 8:12, 12:16, 5].mean(), atol=2e-3)
