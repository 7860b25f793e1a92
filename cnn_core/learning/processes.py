"""Worker processes for trainings: spawning one, keeping a warm one ready, and handing it arrays.

The server process never trains: each training runs in a process of its own (``multiprocessing``
with the spawn start method), so the native memory a training leaves behind goes with the
process. ``Worker`` is one such process, which imports Keras at once and then waits for exactly
one job; started ahead of need it is warm, and a job skips the 3-6 s import. ``array_file``
hands the worker an array without copying it when it is memory-mapped from an ``.npy`` file.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from pathlib import Path

import numpy as np

from cnn_core.learning.worker import ArrayFile, worker_main

WORKER_NAME = "cnn-lab-training"  # Also the marker that keeps the page script out of the worker.
WARM_WORKERS_ENV = "CNN_LAB_WARM_WORKERS"
WORKER_MALLOC_ARENAS = "2"  # MALLOC_ARENA_MAX for training workers (glibc), unless the environment sets it


def leave_main_behind() -> None:
    """Start workers without the parent's ``__main__``: under Streamlit that is the *page* script.

    Spawned children first re-run the parent's main module so that functions pickled from it
    resolve. Streamlit executes each page as ``sys.modules["__main__"]``, so a worker started from
    a page would run the whole page again (it fails at once on the missing script context, and it
    would import Streamlit). The worker needs nothing from ``__main__``: its entry point lives in
    ``learning.worker``. This wraps the standard library's ``multiprocessing.spawn.
    get_preparation_data`` (the one internal relied on) for processes named ``WORKER_NAME`` only;
    installing it twice is harmless.
    """
    from multiprocessing import spawn

    original = spawn.get_preparation_data
    if getattr(original, "_cnn_lab", False):
        return

    def preparation_data(name):
        data = original(name)
        if name == WORKER_NAME:
            data.pop("init_main_from_path", None)
            data.pop("init_main_from_name", None)
        return data

    preparation_data._cnn_lab = True
    spawn.get_preparation_data = preparation_data


class Worker:
    """A spawned process that imports Keras at once, then waits for one job (``send``)."""

    def __init__(self):
        leave_main_behind()
        # TensorFlow's many threads each get a C heap arena of their own by default, and every arena
        # keeps the memory it freed: a 150x150 folder training held about 150 MB more that way. A
        # spawned process inherits the environment; the server's own heap, set up long ago, is not
        # affected. An operator's own setting wins.
        os.environ.setdefault("MALLOC_ARENA_MAX", WORKER_MALLOC_ARENAS)
        ctx = mp.get_context("spawn")
        self.messages = ctx.Queue()
        self.stop_event, self.cancel_event = ctx.Event(), ctx.Event()
        reader, self._jobs = ctx.Pipe(duplex=False)
        self.process = ctx.Process(
            target=worker_main,
            args=(reader, self.messages, self.stop_event, self.cancel_event),
            daemon=True,
            name=WORKER_NAME,
        )
        self.spawned_at = time.monotonic()
        self.process.start()
        reader.close()

    def send(self, job) -> None:
        """Hand over the one job (None dismisses a warm worker)."""
        self._jobs.send(job)
        self._jobs.close()

    def kill(self) -> None:
        """End the process now (the last resort after a stop was ignored)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)


class WarmPool:
    """Up to ``size`` workers started ahead, each with Keras imported and about 0.7 GB resident.

    ``take()`` hands one over (or spawns a cold one) and starts a replacement. ``size`` comes from
    ``CNN_LAB_WARM_WORKERS`` (default 0: every training starts cold, which costs its first batch
    about 6 s but keeps an idle server small).
    """

    def __init__(self, size: int | None = None):
        self.size = warm_workers() if size is None else size
        self._lock = threading.Lock()
        self._ready: list[Worker] = []

    def take(self) -> Worker:
        """A warm worker if one is ready, else a fresh one; the pool refills itself."""
        with self._lock:
            alive = [worker for worker in self._ready if worker.process.is_alive()]
            worker = alive.pop(0) if alive else None
            self._ready = alive
            while len(self._ready) < self.size:
                self._ready.append(Worker())
        return worker or Worker()


def warm_workers() -> int:
    """``CNN_LAB_WARM_WORKERS``: how many workers to keep started ahead (default 0)."""
    raw = os.environ.get(WARM_WORKERS_ENV, "").strip()
    if not raw:
        return 0
    if not raw.isdigit():
        raise ValueError(f"{WARM_WORKERS_ENV} must be a whole number (0 or more), got {raw!r}")
    return int(raw)


def array_file(array: np.ndarray, folder: Path, name: str) -> ArrayFile:
    """``array`` as an ``ArrayFile``: its rows in the ``.npy`` it is mapped from, else saved once to ``folder``.

    A contiguous row range of a memory-mapped ``.npy`` (the MNIST cache, a folder data set decoded
    into a file) travels as its path and rows, so the worker reads the server's own pages.
    """
    mapped = _mapped_rows(np.asarray(array) if not isinstance(array, np.memmap) else array)
    if mapped is not None:
        return mapped
    path = Path(folder) / f"{name}.npy"
    np.save(path, np.ascontiguousarray(array))
    return ArrayFile(str(path))


def _mapped_rows(array: np.ndarray) -> ArrayFile | None:
    """The file and row range an array views, when it is a contiguous slice of a mapped ``.npy``."""
    base = array
    while isinstance(base.base, np.ndarray):  # Down to the array that owns the mapping.
        base = base.base
    if not isinstance(base, np.memmap) or not str(base.filename or "").endswith(".npy") or base.ndim < 1:
        return None
    row = base[:1].nbytes if len(base) else 0
    offset = array.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if (
        not array.flags.c_contiguous
        or array.dtype != base.dtype
        or array.shape[1:] != base.shape[1:]
        or row == 0
        or offset % row
    ):
        return None
    start = offset // row
    return ArrayFile(str(base.filename), start, start + len(array))
