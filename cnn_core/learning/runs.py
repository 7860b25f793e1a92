"""``TrainingRun``: one training in a worker process, polled by a page through immutable snapshots.

The page's thread never trains. ``start()`` writes down the job (the model builder, where the
data lies, the settings), hands it to a spawned worker (``learning.processes``) and starts a
light pump thread that folds the worker's messages into a ``TrainingLog``; the page reads
``snapshot()``. ``stop()`` ends the run after the current batch and keeps the weights: the worker
saves the model, and ``result.model`` loads it here only when a page asks for it. ``cancel()``
(the visitor left) drops the results. With ``watch`` (probe images) the run's ``snapshots``
fill in epoch by epoch as the worker sends them. A run also stops at its wall-clock ceiling
(``CNN_LAB_MAX_TRAINING_S``), and is killed if it ignores that.
"""

from __future__ import annotations

import functools
import os
import queue as queue_module
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from cnn_core.i18n import N_, LabError
from cnn_core.learning.evaluation import Evaluation
from cnn_core.learning.processes import Worker, array_file
from cnn_core.learning.progress import Snapshot, TrainingLog
from cnn_core.learning.settings import TrainingSettings
from cnn_core.learning.snapshots import EpochSnapshot, as_watch
from cnn_core.learning.worker import TrainingJob

DEFAULT_SETTINGS = TrainingSettings()  # The seed's MNIST recipe: 5 epochs, batch 64, rmsprop 1e-3.
MAX_TRAINING_ENV = "CNN_LAB_MAX_TRAINING_S"
# The largest run the pages allow, 100 epochs of 4,000 cats-and-dogs pictures, takes about three
# hours on two CPU cores; four leave room.
DEFAULT_MAX_TRAINING_S = 4 * 3600
KILL_GRACE_S = 30.0  # After the ceiling, this long for the last batch and the save before a kill.
# For queue estimates before a run has trained: a cold worker's start (Keras import, tracing), and
# training time per input pixel seen (the seed's MNIST convnet: about 10 s an epoch on 2 cores).
STARTUP_S = 10.0
SECONDS_PER_PIXEL = 2.5e-7
ENDED = ("finished", "stopped", "timed out", "cancelled", "failed")


class RunResult:
    """What a finished worker hands back: the history, how it ended, and the saved model's path."""

    def __init__(
        self, history: dict, stopped: bool, seconds: float, model_path: str | None, input_shape: tuple[int, ...] = ()
    ):
        self.history, self.stopped, self.seconds, self.model_path = history, stopped, seconds, model_path
        self.input_shape = tuple(input_shape)  # (H, W, C) of the model's input

    @functools.cached_property
    def model(self):
        """The trained Keras model, loaded in this process on first use (it costs Keras here)."""
        import keras

        if self.model_path is None:
            raise RuntimeError("this run saved no model (it was cancelled or failed)")
        return keras.models.load_model(self.model_path, compile=False)

    def model_bytes(self) -> bytes:
        """The saved ``.keras`` file, for a download (no Keras needed)."""
        return Path(self.model_path).read_bytes()


class TrainingRun:
    """One training in a worker process, polled by a page through ``snapshot()``.

    ``model`` is a picklable function that builds the model (``functools.partial`` of a
    module-level builder); the data are (images, labels) pairs, handed over without a copy when
    they are memory-mapped ``.npy`` arrays. ``keep_going()`` is asked a few times a second; when it
    turns false (the visitor's session is gone) the run is cancelled. ``settings`` is checked when
    it is made, so a run never checks it again.
    """

    def __init__(
        self,
        model,
        train_data,
        validation_data=None,
        test_data=None,
        *,
        class_names: Sequence[str],
        settings: TrainingSettings = DEFAULT_SETTINGS,
        augmentation=None,
        seed: int | None = None,
        strategy=None,
        callbacks=(),
        name: str = "model",
        keep_going: Callable[[], bool] = lambda: True,
        max_seconds: float | None = None,
        watch=None,
    ):
        self.name = name
        self.class_names = tuple(str(name) for name in class_names)
        self.settings = settings
        self.augmentation = augmentation
        self.test_data = test_data
        self.keep_going = keep_going
        self.max_seconds = max_training_seconds() if max_seconds is None else float(max_seconds)
        self._model, self._train_data, self._validation_data = model, train_data, validation_data
        self._seed, self._strategy, self._callbacks = seed, strategy, tuple(callbacks)
        self.log = TrainingLog()
        self.watch = None if watch is None else as_watch(watch)
        self._snapshots: list[EpochSnapshot] = []  # appended by the pump thread only
        self.result: RunResult | None = None
        self.evaluation: Evaluation | None = None
        self.error: str | None = None
        self.failure: LabError | None = None  # ``error`` as a translatable template, when the engine wrote it
        self.folder: Path | None = None
        self._worker: Worker | None = None
        self._pump: threading.Thread | None = None
        self._stop_requested = False

    @property
    def train_labels(self):
        """The labels the run learns from (for what its data allows to conclude)."""
        return self._train_data[1]

    @property
    def num_classes(self) -> int:
        """How many classes the model tells apart."""
        return len(self.class_names)

    def start(self, worker: Worker | None = None) -> TrainingRun:
        """Hand the job to ``worker`` (a warm one) or to a freshly spawned process."""
        if self._pump is not None:
            raise RuntimeError(f"run {self.name!r} was already started")
        self.folder = Path(tempfile.mkdtemp(prefix="cnn-lab-run-"))
        job = self._job(self.folder)
        self._worker = worker or Worker()
        try:
            self._worker.send(job)
        except Exception as exc:  # Most often a model builder that cannot be pickled (a lambda).
            self._worker.kill()
            self.cleanup()
            raise ValueError(
                f"this training cannot be sent to a worker process: {exc}. Pass a module-level "
                "function (or functools.partial of one) that builds the model"
            ) from exc
        self._sent_at = time.monotonic()
        self._pump = threading.Thread(target=self._pump_messages, name=f"training-{self.name}", daemon=True)
        self._pump.start()
        return self

    def stop(self) -> None:
        """Ask the run to stop after the current batch; weights and history are kept."""
        self._stop_requested = True
        if self._worker is not None:
            self._worker.stop_event.set()

    def cancel(self) -> None:
        """Stop after the current batch and drop the results (nobody is left to see them); a run
        that never started ends at once."""
        self._stop_requested = True
        if self._worker is not None:
            self._worker.cancel_event.set()
        elif not self.done:
            self.log.finish("cancelled")

    def snapshot(self) -> Snapshot:
        """The progress so far (thread-safe)."""
        return self.log.snapshot()

    @property
    def done(self) -> bool:
        """True once the run finished, was stopped, timed out, was cancelled or failed."""
        return self.snapshot().status in ENDED

    @property
    def stop_requested(self) -> bool:
        """True once ``stop()`` or ``cancel()`` was called."""
        return self._stop_requested

    @property
    def snapshots(self) -> list[EpochSnapshot]:
        """The epoch snapshots received so far (with ``watch``): epoch 0 first, the latest last."""
        return list(self._snapshots)

    @property
    def remaining_s(self) -> float | None:
        """Seconds left at the pace so far, once the run has trained a little."""
        return self.snapshot().eta_s

    @property
    def expected_seconds(self) -> float:
        """A rough duration before it starts, for queue estimates: start-up plus pixels seen."""
        images = self._train_data[0]
        pixels = int(np.prod(images.shape[1:])) * len(images) * self.settings.epochs
        return STARTUP_S + pixels * SECONDS_PER_PIXEL

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker's end; returns ``done``."""
        if self._pump is not None:
            self._pump.join(timeout)
        return self.done

    def cleanup(self) -> None:
        """Delete the run's folder (its saved model and data files) once nobody needs them."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _job(self, folder: Path) -> TrainingJob:
        def files(pair, name):
            return (
                None
                if pair is None
                else (array_file(pair[0], folder, f"{name}_x"), array_file(pair[1], folder, f"{name}_y"))
            )

        if self._strategy is not None and not callable(self._strategy):
            raise ValueError(
                "a training runs in its own process: pass a function that makes the strategy "
                "(e.g. tf.distribute.MirroredStrategy), not a strategy object"
            )
        return TrainingJob(
            self._model,
            files(self._train_data, "train"),
            files(self._validation_data, "val"),
            files(self.test_data, "test"),
            self.num_classes,
            self.settings,
            self.augmentation,
            self._seed,
            self._strategy,
            self._callbacks,
            self.max_seconds,
            str(folder),
            watch=self.watch,
        )

    def _pump_messages(self) -> None:
        worker, deadline = self._worker, self._sent_at + self.max_seconds + KILL_GRACE_S
        while True:
            try:
                message = worker.messages.get(timeout=0.25)
            except queue_module.Empty:
                message = None
            if message is not None and self._apply(message):
                break
            if message is None and not worker.process.is_alive():
                self._fail(
                    LabError(
                        N_("the training process ended unexpectedly (exit code {code})"), code=worker.process.exitcode
                    )
                )
                break
            if not self.keep_going():
                self.cancel()
            if time.monotonic() > deadline:
                worker.kill()
                self._fail(
                    LabError(
                        N_("the training did not stop within {seconds:.0f} s of its time limit"), seconds=KILL_GRACE_S
                    )
                )
                break
        worker.process.join(10)

    def _apply(self, message: tuple) -> bool:
        """Fold one worker message into the log; True for the last one."""
        kind = message[0]
        if kind == "begin":
            self.log.begin(*message[1:])
        elif kind == "batch":
            self.log.batch(*message[1:])
        elif kind == "epoch":
            self.log.epoch(*message[1:])
        elif kind == "snapshot":
            self._snapshots.append(message[1])
        elif kind == "evaluating":
            self.log.finish("evaluating")
        elif kind == "done":
            _, status, result = message
            self.evaluation = result.get("evaluation")
            self.result = RunResult(
                result["history"],
                status != "finished",
                result["seconds"],
                result.get("model_path"),
                result.get("input_shape", ()),
            )
            self.log.finish(status)
            return True
        elif kind == "failed":
            self._fail(message[1])
            return True
        return False

    def _fail(self, error: str | LabError) -> None:
        self.error = str(error)
        self.failure = error if isinstance(error, LabError) else None
        self.log.finish("failed")


def max_training_seconds() -> float:
    """``CNN_LAB_MAX_TRAINING_S``: the wall-clock ceiling of one training (default four hours)."""
    raw = os.environ.get(MAX_TRAINING_ENV, "").strip()
    if not raw:
        return float(DEFAULT_MAX_TRAINING_S)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise LabError(
            N_("{setting} must be a positive number of seconds, got {value!r}"), setting=MAX_TRAINING_ENV, value=raw
        )
    return value
