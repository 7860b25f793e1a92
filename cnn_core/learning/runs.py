"""``TrainingRun``: one training in a worker, polled by a page through immutable snapshots."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from cnn_core.learning.evaluation import Evaluation, evaluate
from cnn_core.learning.progress import Snapshot, TrainingLog
from cnn_core.learning.settings import TrainingSettings
from cnn_core.learning.slots import TrainingSlots, training_slots
from cnn_core.learning.train import TrainResult, fit

DEFAULT_SETTINGS = TrainingSettings()  # The seed's MNIST recipe: 5 epochs, batch 64, rmsprop 1e-3.


class TrainingRun:
    """One training in a worker thread, polled by a page through ``snapshot()``.

    The thread calls only Keras and this package: it never draws. It holds one of the
    process-wide training slots from ``start()`` until it ends, trains with ``fit`` (the core of
    ``train``), then evaluates on ``test_data`` when given. Keep the run object in the session:
    the thread goes on if the browser disconnects, and the results wait on the object.
    ``settings`` is checked when it is made, so a run never checks it again.
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
        slots: TrainingSlots | None = None,
        name: str = "model",
    ):
        self.name = name
        self.class_names = tuple(str(name) for name in class_names)
        self.settings = settings
        self.augmentation = augmentation
        self.test_data = test_data
        self._model, self._train_data, self._validation_data = model, train_data, validation_data
        self._seed, self._strategy, self._callbacks = seed, strategy, tuple(callbacks)
        self._slots = slots
        self.log = TrainingLog()
        self.result: TrainResult | None = None
        self.evaluation: Evaluation | None = None
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def num_classes(self) -> int:
        """How many classes the model tells apart."""
        return len(self.class_names)

    def start(self) -> TrainingRun:
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

    def _work(self) -> None:
        try:
            self.result = fit(
                self._model,
                self._train_data,
                self._validation_data,
                self.settings,
                augmentation=self.augmentation,
                strategy=self._strategy,
                progress=self.log,
                stop=self._stop,
                seed=self._seed,
                callbacks=self._callbacks,
            )
            if self.test_data is not None:
                self.log.finish("evaluating")
                self.evaluation = evaluate(self.result.model, *self.test_data, num_classes=self.num_classes)
            self.log.finish("stopped" if self.result.stopped else "finished")
        except Exception as exc:  # The page shows the reason; the thread must never die silently.
            self.error = f"{type(exc).__name__}: {exc}"
            self.log.finish("failed")
        finally:
            self._slots.release()
