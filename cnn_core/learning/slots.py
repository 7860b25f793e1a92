"""A process-wide cap on concurrent trainings (``CNN_LAB_MAX_TRAININGS``)."""

from __future__ import annotations

import os
import threading

from cnn_core.ops.checks import is_int

DEFAULT_MAX_TRAININGS = 2
MAX_TRAININGS_ENV = "CNN_LAB_MAX_TRAININGS"


class TrainingBusyError(RuntimeError):
    """Raised when the server already runs as many trainings as it allows."""


class TrainingSlots:
    """A counter of running trainings with a hard cap; ``acquire`` refuses instead of waiting."""

    def __init__(self, limit: int):
        if not is_int(limit) or limit < 1:
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
