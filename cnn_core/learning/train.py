"""``train()``: compile and fit a model on images with live progress and a stop switch.

There is one way to train here: every page, script and notebook goes through ``train`` (or
``fit``, its core, for settings already checked), whatever the data and the augmentation.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from cnn_core.learning.pipeline import make_dataset
from cnn_core.learning.progress import ProgressSink, TrainingLog, progress_callback
from cnn_core.learning.settings import TrainingSettings, loss_for, make_optimizer, validation_batch_size
from cnn_core.learning.snapshots import as_watch, snapshot_callback

# Batches run per call into TensorFlow's compiled train step. One call per batch leaves the seed's
# small MNIST convnet waiting on Python between 8.7 ms steps; 16 per call cut a step to 6.7 ms at
# the same accuracy (benchmarks/training_epoch.py). Keras then calls the batch callbacks once per
# 16 batches (about every 0.1 s here), which is still finer than the progress reports (0.5 s) and
# the Stop button's reaction.
STEPS_PER_EXECUTION = 16


@dataclass
class TrainResult:
    """What ``train()`` returns: the trained model, its per-epoch history, and how it ended."""

    model: object
    history: dict[str, list[float]]
    stopped: bool
    seconds: float
    snapshots: list = field(default_factory=list)  # EpochSnapshot per epoch (0 first) with ``watch``


def train(
    model,
    train_data,
    validation_data=None,
    *,
    epochs: int = 5,
    batch_size: int = 64,
    optimizer: str = "rmsprop",
    learning_rate: float = 1e-3,
    augmentation=None,
    strategy=None,
    progress: ProgressSink | None = None,
    stop: threading.Event | None = None,
    seed: int | None = None,
    callbacks=(),
    watch=None,
    on_snapshot=None,
    watch_weights: bool = False,
) -> TrainResult:
    """Compile and fit a model on uint8 (or float) images with live progress and a stop switch.

    ``model`` is a Keras model or a function that builds one. Under a ``tf.distribute.Strategy``
    (default: the current one, which is the no-op default strategy unless a scope is open) pass the
    function, so the model's variables are created inside ``strategy.scope()``. ``train_data`` and
    ``validation_data`` are (images, labels) pairs: images (N, H, W[, C]), labels (N,) int. Batches
    go through ``tf.data`` with prefetching and are scaled per batch (see ``make_dataset``);
    ``augmentation`` (an ``AugmentSettings``) augments the training batches only. ``progress``
    receives batch and epoch reports; setting ``stop`` ends training after the current batch,
    keeping the weights and the history so far. ``watch`` (a few probe images, or a ``Watch``) records an
    ``EpochSnapshot`` before training and after every epoch into ``TrainResult.snapshots``, each
    also handed to ``on_snapshot`` as it is taken; the last one is the returned model. ``watch_weights`` keeps all
    the weights in every snapshot too (the shipped models' histories do). Usable from
    a notebook as is.
    """
    settings = TrainingSettings(epochs, batch_size, optimizer, learning_rate)
    return fit(
        model,
        train_data,
        validation_data,
        settings,
        augmentation=augmentation,
        strategy=strategy,
        progress=progress,
        stop=stop,
        seed=seed,
        callbacks=callbacks,
        watch=watch,
        on_snapshot=on_snapshot,
        watch_weights=watch_weights,
    )


def fit(
    model,
    train_data,
    validation_data,
    settings: TrainingSettings,
    *,
    augmentation=None,
    strategy=None,
    progress: ProgressSink | None = None,
    stop: threading.Event | None = None,
    seed: int | None = None,
    callbacks=(),
    watch=None,
    on_snapshot=None,
    watch_weights: bool = False,
) -> TrainResult:
    """``train`` with its settings already checked (a ``TrainingSettings``)."""
    import keras
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        if not isinstance(model, keras.Model):
            model = model()
        elif model.weights and not strategy.extended.variable_created_in_scope(model.weights[0].value):
            raise ValueError(
                f"the model's variables were created outside the scope of {type(strategy).__name__}; "
                f"pass a function that builds the model (such as build_mnist_convnet) instead"
            )
        model.compile(
            optimizer=make_optimizer(settings.optimizer, settings.learning_rate),
            loss=loss_for(model),
            metrics=["accuracy"],
            # Under several replicas Keras's multi-step function fails on distributed iterators.
            steps_per_execution=STEPS_PER_EXECUTION if strategy.num_replicas_in_sync == 1 else 1,
        )
    input_shape = model.input_shape[1:]  # (H, W, C)
    # Under several replicas each step takes one global batch and splits it among them.
    train_ds = make_dataset(
        *train_data, settings.batch_size, shuffle=True, seed=seed, input_shape=input_shape, augmentation=augmentation
    )
    val_ds = None
    if validation_data is not None:
        val_ds = make_dataset(
            *validation_data, validation_batch_size(settings.batch_size, input_shape), input_shape=input_shape
        )
    all_callbacks = list(callbacks)
    if progress is not None or stop is not None:
        all_callbacks.append(progress_callback(progress or TrainingLog(), stop))
    snapshots = []
    if watch is not None:
        watched = as_watch(watch)

        def record(snapshot):
            snapshots.append(snapshot)
            if on_snapshot is not None:
                on_snapshot(snapshot)

        all_callbacks.append(snapshot_callback(watched, record, keep_weights=watch_weights))
    started = time.perf_counter()
    history = model.fit(
        train_ds, validation_data=val_ds, epochs=settings.epochs, verbose=0, callbacks=all_callbacks, shuffle=False
    )  # The pipeline shuffles.
    seconds = time.perf_counter() - started
    stopped = stop is not None and stop.is_set()
    clean = {key: [float(v) for v in values] for key, values in history.history.items()}
    return TrainResult(model, clean, stopped, seconds, snapshots)
