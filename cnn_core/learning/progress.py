"""Progress of a training: the sink protocol, the thread-safe log a page polls, and the Keras callback."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
# A time-left estimate needs this much pace to go on: the first batches include the model's
# tracing and the input pipeline's start, which would make it read like "36 min left".
ETA_MIN_S = 3.0
ETA_MIN_FRACTION = 0.02


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
    first_report: tuple[float, float] | None = None  # (elapsed s, fraction) at the first batch report

    @property
    def fraction(self) -> float:
        """Share of all batches done, 0 to 1."""
        total = self.epochs * self.steps_per_epoch
        return 0.0 if total == 0 else min(1.0, (self.epoch * self.steps_per_epoch + self.step) / total)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the pace since the first batch report, or None while that means little.

        The pace is measured from the first report on, so start-up (building the model, tracing)
        does not count, and only once ``ETA_MIN_S`` and ``ETA_MIN_FRACTION`` of the run have passed.
        """
        if self.status != "running" or self.first_report is None:
            return None
        since, done = self.elapsed_s - self.first_report[0], self.fraction - self.first_report[1]
        if since < ETA_MIN_S or done < ETA_MIN_FRACTION:
            return None
        return since * (1.0 - self.fraction) / done

    @property
    def epochs_done(self) -> float:
        """How many epochs the run has trained, a fraction for a stopped one (e.g. 1.4 of 3)."""
        if self.steps_per_epoch == 0:
            return 0.0
        return min(float(self.epochs), self.epoch + self.step / self.steps_per_epoch)

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
        self._first_report: tuple[float, float] | None = None

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
            if self._first_report is None and self._started is not None:
                total = max(self._epochs * self._steps, 1)
                self._first_report = (time.monotonic() - self._started, (epoch * self._steps + step) / total)
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
            else:
                self._epoch, self._step = epoch, step  # stopped inside the epoch

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
            return Snapshot(
                self._status,
                self._epochs,
                self._steps,
                self._epoch,
                self._step,
                elapsed,
                tuple(self._batch_points),
                tuple(self._epoch_points),
                self._first_report,
            )


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
            # With steps_per_execution, Keras may number the last call's batch past the epoch's end
            # (a 6-batch epoch run 16 batches a call reports batch 15): an epoch has ``steps`` at most.
            self.step = min(batch + 1, self.steps) if self.steps else batch + 1
            if stop is not None and stop.is_set():
                self.model.stop_training = True
            now = time.monotonic()
            if now - self.last_report >= interval_s:
                self.last_report = now
                sink.batch(self.epoch, self.step, dict(logs or {}))

        def on_epoch_end(self, epoch, logs=None):
            sink.epoch(epoch, self.step, dict(logs or {}))

    return ProgressCallback()
