"""The training worker: what travels to a worker process, and what the process does with it.

A spawned worker imports this module and never Streamlit. Its entry point, ``worker_main``:

1. watches its parent and exits at once if the parent dies (``parent_process().sentinel``), and
   lowers its own CPU priority by ``WORKER_NICENESS``: on a class's server the page runs of every
   visitor share the cores with the trainings, and a page should not wait behind an epoch;
2. imports Keras (3-6 s of a cold start; a warm worker has done it before its job arrives);
3. opens the data without copying it: rows of ``.npy`` files read as batches take them (``ArrayFile``);
4. trains through the app's one path (``learning.train.fit``), reporting throttled progress as
   messages and stopping after the current batch once Stop or Cancel is pressed or the run's
   wall-clock ceiling passes;
5. evaluates on the test split when there is one and saves the model to ``model.keras`` in the
   job's folder; a cancelled job (its visitor left) skips both, so its slot frees at once;
6. reports the end and exits, and its memory goes with it.

Messages are tuples whose first item names them::

    ("ready", pid, import_s)                 Keras imported, waiting for the job
    ("begin", epochs, steps_per_epoch)
    ("batch", epoch, step, logs)             at most every ``report_s`` within an epoch
    ("epoch", epoch, step, logs)
    ("snapshot", EpochSnapshot)              with ``watch``: before training, then after every epoch
    ("evaluating",)
    ("done", status, result)                 "finished", "stopped", "timed out" or "cancelled"
    ("failed", "TypeName: message")
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnn_core.data.rows import RowFile, npy_layout
from cnn_core.learning.settings import TrainingSettings, validation_batch_size

WORKER_NICENESS = 10  # added to the server's niceness in every training process

REPORT_S = 0.5  # Progress reports within an epoch, at most this often.

# Files up to this size are mapped: their pages cost the worker at most this much, and gathering
# many small rows from a mapping is about 3x faster than one read per row (MNIST's 47 MB of digits:
# 0.7 against 2.1 ms per batch of 64).
MAP_UP_TO_BYTES = 64 * 2**20


@dataclass(frozen=True)
class ArrayFile:
    """Rows ``start:stop`` of an array saved as ``.npy``: a worker maps it instead of copying it."""

    path: str
    start: int = 0
    stop: int | None = None

    def open(self) -> RowFile | np.ndarray:
        """The rows, read from the file as batches take them (``RowFile``): the worker holds a batch, not
        the data set (a mapping keeps every page it touched resident in the worker: 270 MB for a
        4,000-picture folder at 150x150). A file of at most ``MAP_UP_TO_BYTES``, or one whose rows
        are not plain records, is mapped read-only instead."""
        layout = npy_layout(self.path)
        if layout is None or Path(self.path).stat().st_size <= MAP_UP_TO_BYTES:
            return np.load(self.path, mmap_mode="r")[self.start : self.stop]
        return RowFile(self.path, layout, self.start, self.stop)


@dataclass(frozen=True)
class TrainingJob:
    """One training as plain, picklable data: the model builder, the data's files, the settings.

    ``model`` is a picklable function that builds the Keras model (``functools.partial`` of a
    module-level builder such as ``build_convnet``). ``strategy`` likewise makes a
    ``tf.distribute.Strategy`` in the worker; ``callbacks`` are Keras callbacks or functions that
    make them. ``train``, ``validation`` and ``test`` are (images, labels) pairs of ``ArrayFile``.
    """

    model: object
    train: tuple[ArrayFile, ArrayFile]
    validation: tuple[ArrayFile, ArrayFile] | None
    test: tuple[ArrayFile, ArrayFile] | None
    num_classes: int
    settings: TrainingSettings
    augmentation: object = None
    seed: int | None = None
    strategy: object = None
    callbacks: tuple = ()
    max_seconds: float = 4 * 3600.0
    out_dir: str = ""
    report_s: float = REPORT_S
    watch: object = None  # a few probe images: an EpochSnapshot goes back after every epoch


class QueueSink:
    """A progress sink (``learning.progress.ProgressSink``) that sends every report to the server."""

    def __init__(self, messages):
        self.messages = messages

    def begin(self, epochs: int, steps_per_epoch: int) -> None:
        self.messages.put(("begin", epochs, steps_per_epoch))

    def batch(self, epoch: int, step: int, logs: dict) -> None:
        self.messages.put(("batch", epoch, step, _floats(logs)))

    def epoch(self, epoch: int, step: int, logs: dict) -> None:
        self.messages.put(("epoch", epoch, step, _floats(logs)))


class StopSignal:
    """What the training asks after every batch: stop now? (Stop, Cancel, or the time ceiling.)"""

    def __init__(self, stop, cancel, deadline: float):
        self.stop, self.cancel, self.deadline = stop, cancel, deadline

    def is_set(self) -> bool:
        return self.stop.is_set() or self.cancel.is_set() or self.timed_out

    @property
    def timed_out(self) -> bool:
        return time.monotonic() > self.deadline


def worker_main(jobs, messages, stop, cancel) -> None:
    """Entry point of a worker process: import Keras, wait for one job, run it, exit."""
    _watch_parent()
    _yield_to_pages()
    started = time.monotonic()
    import keras  # noqa: F401  (the slow part of a start, done before the job arrives when warm)

    messages.put(("ready", os.getpid(), time.monotonic() - started))
    job = jobs.recv()
    if job is not None:  # None dismisses a warm worker.
        try:
            status, result = run_job(job, messages, stop, cancel)
            messages.put(("done", status, result))
        except Exception as exc:  # The page shows the reason; the worker must never die silently.
            messages.put(("failed", f"{type(exc).__name__}: {exc}"))
    messages.close()
    messages.join_thread()  # Flush the queue's feeder thread before the process ends.


def run_job(job: TrainingJob, messages, stop, cancel) -> tuple[str, dict]:
    """Train, evaluate and save one job in this process; returns (status, result)."""
    import keras

    from cnn_core.learning.evaluation import evaluate
    from cnn_core.learning.train import fit

    if job.seed is not None:
        keras.utils.set_random_seed(job.seed)
    signal = StopSignal(stop, cancel, time.monotonic() + job.max_seconds)
    strategy = job.strategy() if callable(job.strategy) else job.strategy
    callbacks = [made if isinstance(made, keras.callbacks.Callback) else made() for made in job.callbacks]
    outcome = fit(
        job.model,
        _open(job.train),
        _open(job.validation),
        job.settings,
        augmentation=job.augmentation,
        strategy=strategy,
        progress=QueueSink(messages),
        stop=signal,
        seed=job.seed,
        callbacks=callbacks,
        watch=job.watch,
        on_snapshot=lambda snapshot: messages.put(("snapshot", snapshot)),
    )
    result = {
        "history": outcome.history,
        "seconds": outcome.seconds,
        "input_shape": tuple(int(d) for d in outcome.model.input_shape[1:]),
    }
    if cancel.is_set():  # Nobody is left to see the results: no evaluation, no saved model.
        return "cancelled", result
    if job.test is not None:
        messages.put(("evaluating",))
        images, labels = _open(job.test)
        # Batches of about 4 MB of input: at Keras's usual 256, 150x150 colour pictures made the
        # first conv layer's output alone 0.7 GB, and the worker jumped by 5 GB when a run ended
        # (benchmarks/server_memory.py).
        batch = validation_batch_size(1, images.shape[1:])
        result["evaluation"] = evaluate(outcome.model, images, labels, num_classes=job.num_classes, batch_size=batch)
    path = Path(job.out_dir) / "model.keras"
    outcome.model.save(path)
    result["model_path"] = str(path)
    status = "stopped" if stop.is_set() else "timed out" if signal.timed_out else "finished"
    return status, result


def _open(pair: tuple[ArrayFile, ArrayFile] | None):
    return None if pair is None else (pair[0].open(), pair[1].open())


def _yield_to_pages() -> None:
    """Run at ``WORKER_NICENESS`` more than the server: idle cores still go to the training at full
    speed, busy ones to the page runs first (Linux's scheduler gives a nice-10 process about a
    tenth of a contended core's time)."""
    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # Windows has no nice; a refusal only leaves the priority as it is.
        pass


def _watch_parent() -> None:
    """Exit this process the moment its parent dies (the pipe behind the sentinel closes)."""
    from multiprocessing.connection import wait

    parent = mp.parent_process()
    if parent is None:
        return

    def watch():
        wait([parent.sentinel])
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _floats(logs) -> dict:
    return {key: float(value) for key, value in (logs or {}).items()}
