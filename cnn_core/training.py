"""Training: a Streamlit-free ``train()`` with live progress and a stop switch, runs in a thread,
evaluation helpers and the model summary table with its arithmetic spelled out.

Keras and TensorFlow are imported inside the functions that need them. The data stays uint8 in
memory and is scaled by 1/255 one batch at a time inside ``tf.data``: a float32 copy of all of
MNIST would cost 190 MB per training. Progress goes to a *sink*; ``TrainingLog`` is the
thread-safe one that a page polls while ``TrainingRun`` trains in a worker thread::

    >>> log = TrainingLog()
    >>> log.begin(epochs=2, steps_per_epoch=10)
    >>> log.batch(epoch=0, step=5, logs={"loss": 1.5, "accuracy": 0.5})
    >>> log.snapshot().fraction
    0.25
"""

from __future__ import annotations

import csv
import io
import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np

OPTIMIZERS = ("rmsprop", "adam", "sgd")
LEARNING_RATE_RANGE = (1e-6, 1.0)
MAX_EPOCHS = 100
MAX_BATCH_SIZE = 4096
DEFAULT_MAX_TRAININGS = 2
MAX_TRAININGS_ENV = "CNN_LAB_MAX_TRAININGS"
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


# ---------------------------------------------------------------------------------------------
# Arguments and data
# ---------------------------------------------------------------------------------------------


def check_settings(epochs: int, batch_size: int, optimizer: str, learning_rate: float) -> None:
    """Raise ``ValueError`` naming the first training setting that is out of range.

    >>> check_settings(5, 64, "rmsprop", 0.001)
    >>> check_settings(0, 64, "rmsprop", 0.001)
    Traceback (most recent call last):
    ...
    ValueError: epochs must be an int from 1 to 100, got 0
    """
    if not _is_int(epochs) or not 1 <= epochs <= MAX_EPOCHS:
        raise ValueError(f"epochs must be an int from 1 to {MAX_EPOCHS}, got {epochs!r}")
    if not _is_int(batch_size) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be an int from 1 to {MAX_BATCH_SIZE}, got {batch_size!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
    low, high = LEARNING_RATE_RANGE
    if not isinstance(learning_rate, (int, float)) or not low <= learning_rate <= high:
        raise ValueError(f"learning_rate must be a number from {low:g} to {high:g}, got {learning_rate!r}")


def subset(images: np.ndarray, labels: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``size`` examples (views, no copy); raises ``ValueError`` for 0 or too many.

    >>> x, y = subset(np.zeros((5, 2, 2), np.uint8), np.arange(5), 3)
    >>> x.shape, y.tolist()
    ((3, 2, 2), [0, 1, 2])
    """
    if not _is_int(size) or not 1 <= size <= len(images):
        raise ValueError(f"subset size must be an int from 1 to {len(images)}, got {size!r}")
    return images[:size], labels[:size]


def split_validation(images: np.ndarray, labels: np.ndarray, fraction: float = 0.1):
    """Hold out the last ``fraction`` of the examples for validation: ((x, y), (x_val, y_val)).

    Both parts are views. At least one example stays on each side.

    >>> (x, y), (xv, yv) = split_validation(np.zeros((10, 2, 2)), np.arange(10), 0.2)
    >>> y.tolist(), yv.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction!r}")
    if len(images) < 2:
        raise ValueError(f"need at least 2 examples to hold some out for validation, got {len(images)}")
    n_val = min(max(1, round(len(images) * fraction)), len(images) - 1)
    cut = len(images) - n_val
    return (images[:cut], labels[:cut]), (images[cut:], labels[cut:])


def make_dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool = False,
                 seed: int | None = None, input_shape=None):
    """A batched, prefetched ``tf.data.Dataset`` of (float32 images in [0, 1], int labels).

    ``images`` (N, H, W) or (N, H, W, C) stay in their dtype in memory; uint8 batches are scaled
    by 1/255 as they are drawn, float images pass through as float32. A missing channel axis is
    added when ``input_shape`` (H, W, C) asks for one. Shuffling shuffles indices, not images,
    so the shuffle buffer holds 8 bytes per example instead of a copy of the data.

    Batches are gathered from the numpy arrays themselves (``tf.numpy_function``), so TensorFlow
    holds no copy of the data set: the arrays shared by every session are read in place. Such a
    dataset lives in this process; it cannot be serialized (tf.data service, multi-worker).
    """
    import tensorflow as tf

    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"need as many labels as images (at least one), got {len(images)} images "
                         f"and {len(labels)} labels")
    add_channel = input_shape is not None and images.ndim == len(input_shape)
    scale = images.dtype == np.uint8
    image_type, label_type = tf.as_dtype(images.dtype), tf.as_dtype(labels.dtype)

    def gather(index: np.ndarray):  # (B,) -> (B, H, W[, C]) images, (B,) labels; numpy fancy indexing
        return images[index], labels[index]

    def load(index):  # index: (B,) -> ((B, H, W, C) float32, (B,) labels)
        batch, batch_labels = tf.numpy_function(gather, [index], [image_type, label_type], stateful=False)
        batch.set_shape((None, *images.shape[1:]))
        batch_labels.set_shape((None,))
        batch = tf.cast(batch, tf.float32)
        if scale:
            batch = batch / 255.0
        if add_channel:
            batch = batch[..., tf.newaxis]
        return batch, batch_labels

    dataset = tf.data.Dataset.range(len(images))
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(load, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def make_optimizer(name: str, learning_rate: float):
    """A fresh Keras optimizer by name: "rmsprop" (the seed's), "adam" or "sgd"."""
    import keras

    check_settings(1, 1, name, learning_rate)
    classes = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam,
               "sgd": keras.optimizers.SGD}
    return classes[name](learning_rate=learning_rate)


def loss_for(model) -> str:
    """The loss matching the model's head: binary cross-entropy for one sigmoid unit, else sparse."""
    return "binary_crossentropy" if model.output_shape[-1] == 1 else "sparse_categorical_crossentropy"


# ---------------------------------------------------------------------------------------------
# Progress: sinks, the thread-safe log and the Keras callback that feeds it
# ---------------------------------------------------------------------------------------------


class ProgressSink(Protocol):
    """Where ``train()`` reports progress; any object with these three methods will do."""

    def begin(self, epochs: int, steps_per_epoch: int) -> None: ...

    def batch(self, epoch: int, step: int, logs: dict) -> None: ...

    def epoch(self, epoch: int, step: int, logs: dict) -> None: ...


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a run's progress at one moment; safe to read from any thread.

    ``batch_points`` are (epoch position, loss, accuracy) within epochs, as running means since
    the epoch began; ``epoch_points`` are (epoch position, logs) at each epoch's end.
    """

    status: str
    epochs: int
    steps_per_epoch: int
    epoch: int
    step: int
    elapsed_s: float
    batch_points: tuple = ()
    epoch_points: tuple = ()

    @property
    def fraction(self) -> float:
        """Share of all batches done, 0 to 1."""
        total = self.epochs * self.steps_per_epoch
        return 0.0 if total == 0 else min(1.0, (self.epoch * self.steps_per_epoch + self.step) / total)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace so far, or None before the first batch."""
        if self.fraction <= 0.0 or self.status not in ("running",):
            return None
        return self.elapsed_s * (1.0 - self.fraction) / self.fraction

    @property
    def history(self) -> dict[str, list[float]]:
        """Per-epoch metrics, like ``keras.callbacks.History.history``."""
        keys = [key for key in HISTORY_KEYS if any(key in logs for _, logs in self.epoch_points)]
        return {key: [logs.get(key, math.nan) for _, logs in self.epoch_points] for key in keys}


class TrainingLog:
    """Thread-safe progress record: the training thread writes numbers, a page reads snapshots.

    Nothing here draws; writing is a few appends under a lock, so it never slows training.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._status = "waiting"
        self._epochs = self._steps = self._epoch = self._step = 0
        self._started = None
        self._ended = None
        self._batch_points: list = []
        self._epoch_points: list = []

    def begin(self, epochs: int, steps_per_epoch: int) -> None:
        """Training starts: ``epochs`` of ``steps_per_epoch`` batches each."""
        with self._lock:
            self._epochs, self._steps = epochs, steps_per_epoch
            self._epoch = self._step = 0
            self._status, self._started, self._ended = "running", time.monotonic(), None

    def batch(self, epoch: int, step: int, logs: dict) -> None:
        """``step`` batches of epoch ``epoch`` (0-based) are done; ``logs`` holds running means."""
        with self._lock:
            self._epoch, self._step = epoch, step
            self._batch_points.append(
                (epoch + step / max(self._steps, 1), logs.get("loss", math.nan), logs.get("accuracy", math.nan))
            )

    def epoch(self, epoch: int, step: int, logs: dict) -> None:
        """Epoch ``epoch`` ended after ``step`` batches (fewer if stopped) with these metrics."""
        with self._lock:
            position = epoch + step / max(self._steps, 1)
            clean = {key: float(value) for key, value in logs.items() if key in HISTORY_KEYS}
            self._epoch_points.append((position, clean))
            self._batch_points.append((position, clean.get("loss", math.nan), clean.get("accuracy", math.nan)))
            if step >= self._steps:
                self._epoch, self._step = epoch + 1, 0

    def finish(self, status: str) -> None:
        """Mark the run ended: "finished", "stopped" or "failed" (or "evaluating" on the way)."""
        with self._lock:
            self._status = status
            if status != "evaluating":
                self._ended = time.monotonic()

    def snapshot(self) -> Snapshot:
        """A copy of everything recorded so far."""
        with self._lock:
            end = self._ended if self._ended is not None else time.monotonic()
            elapsed = 0.0 if self._started is None else end - self._started
            return Snapshot(self._status, self._epochs, self._steps, self._epoch, self._step, elapsed,
                            tuple(self._batch_points), tuple(self._epoch_points))


def progress_callback(sink: ProgressSink, stop: threading.Event | None = None, interval_s: float = 0.5):
    """A Keras callback that reports to ``sink`` at most every ``interval_s`` within an epoch and
    at each epoch's end, and stops training at the next batch once ``stop`` is set."""
    import keras

    class ProgressCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.steps = int(self.params.get("steps") or 0)
            self.step = 0
            self.last_report = time.monotonic()
            sink.begin(int(self.params.get("epochs") or 0), self.steps)

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch, self.step = epoch, 0

        def on_train_batch_end(self, batch, logs=None):
            self.step = batch + 1
            if stop is not None and stop.is_set():
                self.model.stop_training = True
            now = time.monotonic()
            if now - self.last_report >= interval_s:
                self.last_report = now
                sink.batch(self.epoch, self.step, dict(logs or {}))

        def on_epoch_end(self, epoch, logs=None):
            sink.epoch(epoch, self.step, dict(logs or {}))

    return ProgressCallback()


# ---------------------------------------------------------------------------------------------
# train()
# ---------------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """What ``train()`` returns: the trained model, its per-epoch history, and how it ended."""

    model: object
    history: dict[str, list[float]]
    stopped: bool
    seconds: float


def train(model, train_data, validation_data=None, *, epochs: int = 5, batch_size: int = 64,
          optimizer: str = "rmsprop", learning_rate: float = 1e-3, strategy=None,
          progress: ProgressSink | None = None, stop: threading.Event | None = None,
          seed: int | None = None, callbacks=()) -> TrainResult:
    """Compile and fit a model on uint8 (or float) images with live progress and a stop switch.

    ``model`` is a Keras model or a function that builds one. Under a ``tf.distribute.Strategy``
    (default: the current one, which is the no-op default strategy unless a scope is open) pass the
    function, so the model's variables are created inside ``strategy.scope()``. ``train_data`` and
    ``validation_data`` are (images, labels) pairs: images (N, H, W[, C]), labels (N,) int. Batches
    go through ``tf.data`` with prefetching and are scaled per batch (see ``make_dataset``).
    ``progress`` receives batch and epoch reports; setting ``stop`` ends training after the current
    batch, keeping the weights and the history so far. Usable from a notebook as is.
    """
    import keras
    import tensorflow as tf

    check_settings(epochs, batch_size, optimizer, learning_rate)
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        if not isinstance(model, keras.Model):
            model = model()
        elif model.weights and not strategy.extended.variable_created_in_scope(model.weights[0].value):
            raise ValueError(
                f"the model's variables were created outside the scope of {type(strategy).__name__}; "
                f"pass a function that builds the model (such as models.build_mnist_convnet) instead"
            )
        model.compile(optimizer=make_optimizer(optimizer, learning_rate), loss=loss_for(model),
                      metrics=["accuracy"])
    input_shape = model.input_shape[1:]  # (H, W, C)
    # Under several replicas each step takes one global batch and splits it among them.
    train_ds = make_dataset(*train_data, batch_size, shuffle=True, seed=seed, input_shape=input_shape)
    val_ds = None
    if validation_data is not None:
        val_ds = make_dataset(*validation_data, max(batch_size, 256), input_shape=input_shape)
    all_callbacks = list(callbacks)
    if progress is not None or stop is not None:
        all_callbacks.append(progress_callback(progress or TrainingLog(), stop))
    started = time.perf_counter()
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0,
                        callbacks=all_callbacks, shuffle=False)
    seconds = time.perf_counter() - started
    stopped = stop is not None and stop.is_set()
    clean = {key: [float(v) for v in values] for key, values in history.history.items()}
    return TrainResult(model, clean, stopped, seconds)


# ---------------------------------------------------------------------------------------------
# A process-wide cap on concurrent trainings
# ---------------------------------------------------------------------------------------------


class TrainingBusyError(RuntimeError):
    """Raised when the server already runs as many trainings as it allows."""


class TrainingSlots:
    """A counter of running trainings with a hard cap; ``acquire`` refuses instead of waiting."""

    def __init__(self, limit: int):
        if not _is_int(limit) or limit < 1:
            raise ValueError(f"the training limit must be a positive int, got {limit!r}")
        self.limit = limit
        self._lock = threading.Lock()
        self._running = 0

    def acquire(self) -> None:
        """Take a slot or raise ``TrainingBusyError`` with a message fit for the page."""
        with self._lock:
            if self._running >= self.limit:
                raise TrainingBusyError(
                    f"The server is busy: {self._running} trainings are running, the most it allows "
                    f"at once. Try again shortly."
                )
            self._running += 1

    def release(self) -> None:
        """Give a slot back."""
        with self._lock:
            self._running = max(0, self._running - 1)

    @property
    def running(self) -> int:
        """How many slots are taken now."""
        with self._lock:
            return self._running


def max_trainings() -> int:
    """The cap from the ``CNN_LAB_MAX_TRAININGS`` environment variable, default 2."""
    raw = os.environ.get(MAX_TRAININGS_ENV, "").strip()
    if not raw:
        return DEFAULT_MAX_TRAININGS
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{MAX_TRAININGS_ENV} must be a positive int, got {raw!r}")
    return int(raw)


_slots: TrainingSlots | None = None
_slots_lock = threading.Lock()


def training_slots() -> TrainingSlots:
    """The process-wide slots, created on first use with ``max_trainings()``."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = TrainingSlots(max_trainings())
        return _slots


class TrainingRun:
    """One training in a worker thread, polled by a page through ``snapshot()``.

    The thread calls only Keras and this module: it never draws. It holds one of the process-wide
    training slots from ``start()`` until it ends, trains with ``train()``, then evaluates on
    ``test_data`` when given. Keep the run object in the session: the thread goes on if the
    browser disconnects, and the results wait on the object.
    """

    def __init__(self, model, train_data, validation_data=None, test_data=None, *, num_classes: int,
                 epochs: int = 5, batch_size: int = 64, optimizer: str = "rmsprop",
                 learning_rate: float = 1e-3, seed: int | None = None, strategy=None,
                 slots: TrainingSlots | None = None, name: str = "model"):
        check_settings(epochs, batch_size, optimizer, learning_rate)
        self.name = name
        self.num_classes = num_classes
        self.settings = {"epochs": epochs, "batch_size": batch_size, "optimizer": optimizer,
                         "learning_rate": learning_rate}
        self._model, self._train_data, self._validation_data = model, train_data, validation_data
        self._test_data, self._seed, self._strategy = test_data, seed, strategy
        self._slots = slots
        self.log = TrainingLog()
        self.result: TrainResult | None = None
        self.evaluation: Evaluation | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "TrainingRun":
        """Take a training slot (or raise ``TrainingBusyError``) and start the worker thread."""
        if self._thread is not None:
            raise RuntimeError(f"run {self.name!r} was already started")
        self._slots = self._slots or training_slots()
        self._slots.acquire()
        self._thread = threading.Thread(target=self._work, name=f"training-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the run to stop after the current batch; weights and history are kept."""
        self._stop.set()

    def snapshot(self) -> Snapshot:
        """The progress so far (thread-safe)."""
        return self.log.snapshot()

    @property
    def done(self) -> bool:
        """True once the run finished, was stopped, or failed."""
        return self.snapshot().status in ("finished", "stopped", "failed")

    @property
    def stop_requested(self) -> bool:
        """True once ``stop()`` was called."""
        return self._stop.is_set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; returns ``done``."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.done

    def _fit(self) -> "TrainResult":
        """Train the model; a subclass with another data pipeline overrides only this."""
        return train(
            self._model, self._train_data, self._validation_data, strategy=self._strategy,
            progress=self.log, stop=self._stop, seed=self._seed, **self.settings,
        )

    def _work(self) -> None:
        try:
            self.result = self._fit()
            if self._test_data is not None:
                self.log.finish("evaluating")
                self.evaluation = evaluate(self.result.model, *self._test_data, num_classes=self.num_classes)
            self.log.finish("stopped" if self.result.stopped else "finished")
        except Exception as exc:  # The page shows the reason; the thread must never die silently.
            self.error = f"{type(exc).__name__}: {exc}"
            self.log.finish("failed")
        finally:
            self._slots.release()


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """A model's results on a test set: loss, accuracy, predicted labels, confusion matrix."""

    loss: float
    accuracy: float
    labels: np.ndarray  # (N,) int, the truth
    predictions: np.ndarray  # (N,) int
    confusion: np.ndarray  # (K, K) int, rows true, columns predicted

    @property
    def misclassified(self) -> np.ndarray:
        """Indices of the wrongly predicted examples."""
        return misclassified_indices(self.labels, self.predictions)


def predict_proba(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (N, K), or (N, 1) for a sigmoid head, in batches scaled like training."""
    outputs = []
    for batch, _ in make_dataset(images, np.zeros(len(images), np.int32), batch_size,
                                 input_shape=model.input_shape[1:]):
        outputs.append(np.asarray(model(batch, training=False)))
    return np.concatenate(outputs)


def labels_from_proba(proba: np.ndarray) -> np.ndarray:
    """Predicted labels: argmax, or ``p >= 0.5`` for a one-unit sigmoid head.

    >>> labels_from_proba(np.array([[0.1, 0.9], [0.8, 0.2]])).tolist()
    [1, 0]
    >>> labels_from_proba(np.array([[0.3], [0.7]])).tolist()
    [0, 1]
    """
    if proba.shape[-1] == 1:
        return (proba[:, 0] >= 0.5).astype(np.int64)
    return proba.argmax(axis=-1)


def cross_entropy(proba: np.ndarray, labels: np.ndarray, epsilon: float = 1e-7) -> float:
    """Mean cross-entropy of probabilities against int labels, clipped like Keras.

    >>> round(cross_entropy(np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([0, 0])), 4)
    0.3993
    """
    proba = np.clip(proba.astype(np.float64), epsilon, 1.0 - epsilon)
    labels = np.asarray(labels).astype(np.int64)
    if proba.shape[-1] == 1:
        p = proba[:, 0]
        return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))
    return float(-np.mean(np.log(proba[np.arange(len(labels)), labels])))


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (K, K): row = true class, column = predicted class.

    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    true, predicted = np.asarray(true).astype(np.int64), np.asarray(predicted).astype(np.int64)
    if true.shape != predicted.shape:
        raise ValueError(f"true and predicted labels differ in shape: {true.shape} vs {predicted.shape}")
    for name, values in (("true", true), ("predicted", predicted)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} labels must be in [0, {num_classes}), got {values.min()}..{values.max()}")
    counts = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def misclassified_indices(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Indices where the prediction differs from the truth.

    >>> misclassified_indices(np.array([3, 1, 4, 1]), np.array([3, 7, 4, 2])).tolist()
    [1, 3]
    """
    return np.flatnonzero(np.asarray(true) != np.asarray(predicted))


def evaluate(model, images: np.ndarray, labels: np.ndarray, num_classes: int, batch_size: int = 256) -> Evaluation:
    """Loss, accuracy, predictions and confusion matrix of ``model`` on a test set."""
    proba = predict_proba(model, images, batch_size)  # (N, K)
    predictions = labels_from_proba(proba)
    labels = np.asarray(labels).astype(np.int64)
    return Evaluation(
        loss=cross_entropy(proba, labels),
        accuracy=float(np.mean(predictions == labels)),
        labels=labels,
        predictions=predictions,
        confusion=confusion_matrix(labels, predictions, num_classes),
    )


def history_to_csv(history: dict[str, list[float]]) -> str:
    """A Keras-style history as CSV text: one row per epoch, an ``epoch`` column first.

    >>> print(history_to_csv({"loss": [0.5, 0.25], "accuracy": [0.8, 0.9]}), end="")
    epoch,loss,accuracy
    1,0.5,0.8
    2,0.25,0.9
    """
    keys = list(history)
    rows = max((len(values) for values in history.values()), default=0)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for i in range(rows):
        writer.writerow([i + 1, *(repr(history[key][i]) if i < len(history[key]) else "" for key in keys)])
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# The model summary, with its arithmetic spelled out
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    """One layer of the summary: shapes and parameters from the formulas, with the working shown.

    ``output_shape`` and ``params`` are computed here from the layer's settings and its input
    shape, not read back from Keras, so they can be checked against ``model.summary()``.
    """

    name: str
    kind: str
    output_shape: tuple  # (None, H, W, C) or (None, units)
    params: int
    shape_math: str
    params_math: str


def summary_rows(model) -> list[SummaryRow]:
    """The summary table of a model built on ``keras.Input``, one row per layer."""
    return [_summary_row(layer) for layer in model.layers]


def summary_total(rows: list[SummaryRow]) -> int:
    """Total parameter count of a summary table."""
    return sum(row.params for row in rows)


def _summary_row(layer) -> SummaryRow:
    kind = type(layer).__name__
    in_shape = tuple(layer.input.shape)  # (None, ...)
    if kind == "Conv2D" and tuple(layer.dilation_rate) == (1, 1):
        return _conv_row(layer, in_shape)
    if kind in ("MaxPooling2D", "AveragePooling2D"):
        return _pool_row(layer, in_shape)
    if kind == "Flatten":
        size = math.prod(in_shape[1:])
        factors = "*".join(str(d) for d in in_shape[1:])
        return SummaryRow(layer.name, kind, (None, size), 0, f"{size:,} = {factors}", "0 (no weights)")
    if kind == "Dense" and len(in_shape) == 2:
        n_in, units = in_shape[1], layer.units
        params = (n_in + 1) * units if layer.use_bias else n_in * units
        math_text = f"({n_in:,} + 1)*{units}" if layer.use_bias else f"{n_in:,}*{units}"
        return SummaryRow(layer.name, kind, (None, units), params, f"{units} units", f"{params:,} = {math_text}")
    if kind == "Dropout":
        return SummaryRow(layer.name, kind, in_shape, 0,
                          f"unchanged (drops {layer.rate:.0%} of values while training)", "0 (no weights)")
    # Any other layer: Keras's own numbers, without a formula.
    return SummaryRow(layer.name, kind, tuple(layer.output.shape), layer.count_params(), "", "")


def _conv_row(layer, in_shape) -> SummaryRow:
    _, height, width, channels = in_shape
    kh, kw = layer.kernel_size
    out_h, out_w, shape_math = _spatial_math(height, width, layer.kernel_size, layer.strides, layer.padding)
    weights = f"{kh}*{kw}*{channels}"
    if layer.use_bias:
        params, params_math = (kh * kw * channels + 1) * layer.filters, f"({weights} + 1)*{layer.filters}"
    else:
        params, params_math = kh * kw * channels * layer.filters, f"{weights}*{layer.filters}"
    return SummaryRow(layer.name, "Conv2D", (None, out_h, out_w, layer.filters), params,
                      f"{shape_math}; {layer.filters} filters", f"{params:,} = {params_math}")


def _pool_row(layer, in_shape) -> SummaryRow:
    _, height, width, channels = in_shape
    out_h, out_w, shape_math = _spatial_math(height, width, layer.pool_size, layer.strides, layer.padding)
    return SummaryRow(layer.name, type(layer).__name__, (None, out_h, out_w, channels), 0,
                      shape_math, "0 (no weights)")


def _spatial_math(height: int, width: int, window, strides, padding: str) -> tuple[int, int, str]:
    """Output height and width of a sliding window, with the arithmetic (one line when both match)."""
    (kh, kw), (sh, sw) = window, strides
    out_h, h_math = _window_math(height, kh, sh, padding)
    out_w, w_math = _window_math(width, kw, sw, padding)
    shape_math = h_math if (height, kh, sh) == (width, kw, sw) else f"height {h_math}; width {w_math}"
    return out_h, out_w, shape_math


def _window_math(size: int, window: int, strides: int, padding: str) -> tuple[int, str]:
    """One axis of a conv or pool: (output size, the formula with the numbers filled in).

    >>> _window_math(28, 3, 1, "valid")
    (26, '26 = 28 - 3 + 1')
    >>> _window_math(26, 2, 2, "valid")
    (13, '13 = (26 - 2) // 2 + 1')
    >>> _window_math(28, 3, 2, "same")
    (14, '14 = ceil(28 / 2)')
    """
    from cnn_core.ops import conv_output_size

    out = conv_output_size(int(size), int(window), strides=int(strides), padding=padding)
    if padding == "same":
        return out, f"{out} = {size} (same padding)" if strides == 1 else f"{out} = ceil({size} / {strides})"
    if strides == 1:
        return out, f"{out} = {size} - {window} + 1"
    return out, f"{out} = ({size} - {window}) // {strides} + 1"


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
