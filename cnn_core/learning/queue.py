"""A fair first-come queue for the server's training slots, one slot per visitor, ticked by a supervisor.

``submit`` either starts a training at once or queues it; every ``tick`` (a supervisor thread
calls it twice a second) then:

1. forgets runs that ended, which frees their slots;
2. cancels the running, queued and ended tickets of sessions that are gone (``alive(owner)`` false);
3. starts queued tickets in arrival order while slots are free, skipping (not overtaking for
   good) a ticket whose owner already holds a slot: one visitor never holds two slots, so the
   overfitting lab's two trainings run one after the other.

Positions and estimated waits come from the same order. A run is any object with ``done``
(property), ``cancel()`` and ``stop()``; ``remaining_s`` is read when it has one. Slots come
from ``CNN_LAB_MAX_TRAININGS`` (default 2), the queue's length from ``CNN_LAB_MAX_QUEUE``
(default 8).
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cnn_core.i18n import N_, LabError
from cnn_core.ops.checks import is_int

MAX_TRAININGS_ENV = "CNN_LAB_MAX_TRAININGS"
DEFAULT_MAX_TRAININGS = 2
MAX_QUEUE_ENV = "CNN_LAB_MAX_QUEUE"
DEFAULT_MAX_QUEUE = 8
TICK_S = 0.5


class QueueFullError(LabError):
    """The queue holds as many waiting trainings as the server allows."""


class FailedStart:
    """A ticket whose run could not start: it ends at once and says why."""

    done = True

    def __init__(self, error: str):
        self.error = error

    def cancel(self) -> None:
        """Nothing to cancel."""

    def stop(self) -> None:
        """Nothing to stop."""


@dataclass(frozen=True)
class Ticket:
    """One training asked for: whose, what to start, how long it is expected to take."""

    id: int
    owner: str
    name: str
    expected_s: float
    start: Callable[[], object] = field(repr=False, compare=False)
    submitted_at: float = 0.0


@dataclass(frozen=True)
class Place:
    """Where a ticket stands: "running", "queued" (with position and estimated wait) or "gone"."""

    state: str
    position: int | None = None  # 1 for the next to start
    wait_s: float | None = None
    run: object | None = None


class TrainingQueue:
    """Slots, a FIFO of tickets, and the runs that hold the slots; thread-safe."""

    def __init__(
        self,
        slots: int,
        max_queue: int = DEFAULT_MAX_QUEUE,
        alive: Callable[[str], bool] = lambda owner: True,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not is_int(slots) or slots < 1 or not is_int(max_queue) or max_queue < 0:
            raise ValueError(f"need at least one slot and a queue of 0 or more, got {slots!r} and {max_queue!r}")
        self.slots, self.max_queue = slots, max_queue
        self._alive, self._clock = alive, clock
        self._lock = threading.RLock()
        self._waiting: list[Ticket] = []
        self._running: dict[int, tuple[Ticket, object, float]] = {}  # id -> (ticket, run, started at)
        self._ended: dict[int, tuple[Ticket, object]] = {}  # kept for their owners' pages until forgotten
        self._ids = itertools.count(1)

    def submit(
        self, owner: str, start: Callable[[], object], name: str = "training", expected_s: float = 60.0
    ) -> Ticket:
        """Queue a training (``start()`` makes and starts the run); it starts at once when it can."""
        with self._lock:
            ticket = Ticket(next(self._ids), owner, name, float(expected_s), start, self._clock())
            if len(self._waiting) >= self.max_queue and not self._can_start_now(ticket):
                raise QueueFullError(
                    N_(
                        "The training queue is full: {waiting} trainings wait for the server's {slots} training "
                        "slot(s). Try again in a few minutes."
                    ),
                    waiting=len(self._waiting),
                    slots=self.slots,
                )
            self._waiting.append(ticket)
            self._start_ready()
            return ticket

    def cancel(self, ticket: Ticket) -> None:
        """Leave the queue, or cancel the run if it already started."""
        with self._lock:
            self._waiting = [t for t in self._waiting if t.id != ticket.id]
            held = self._running.get(ticket.id)
        if held is not None:
            held[1].cancel()

    def place(self, ticket: Ticket) -> Place:
        """Running (with its run), queued (position and wait), ended (with its run) or gone."""
        with self._lock:
            if ticket.id in self._running:
                return Place("running", run=self._running[ticket.id][1])
            if ticket.id in self._ended:
                return Place("ended", run=self._ended[ticket.id][1])
            waits = self._estimated_waits()
            for position, waiting in enumerate(self._waiting, start=1):
                if waiting.id == ticket.id:
                    return Place("queued", position, waits[waiting.id])
            return Place("gone")

    def forget(self, ticket: Ticket) -> None:
        """Drop an ended run the page has taken its results from."""
        with self._lock:
            self._ended.pop(ticket.id, None)

    def tick(self) -> None:
        """Free ended slots, drop gone sessions' tickets, start what can start (see the module doc)."""
        with self._lock:
            for ticket_id, (ticket, run, _) in list(self._running.items()):
                if run.done:
                    del self._running[ticket_id]
                    self._ended[ticket_id] = (ticket, run)
            owners = {t.owner for t in self._waiting} | {t.owner for t, _, _ in self._running.values()}
            gone = {owner for owner in owners | {t.owner for t, _ in self._ended.values()} if not self._alive(owner)}
            self._waiting = [t for t in self._waiting if t.owner not in gone]
            self._ended = {i: (t, run) for i, (t, run) in self._ended.items() if t.owner not in gone}
            doomed = [run for ticket, run, _ in self._running.values() if ticket.owner in gone]
            self._start_ready()
        for run in doomed:
            run.cancel()

    @property
    def running(self) -> int:
        """Slots taken now."""
        with self._lock:
            return len(self._running)

    @property
    def waiting(self) -> int:
        """Tickets in the queue now."""
        with self._lock:
            return len(self._waiting)

    def _can_start_now(self, ticket: Ticket) -> bool:
        # With a slot free, everything still waiting is held back by its owner's running slot.
        busy = {t.owner for t, _, _ in self._running.values()}
        return len(self._running) < self.slots and ticket.owner not in busy

    def _start_ready(self) -> None:
        """Start waiting tickets in order while slots are free, one slot per owner (lock held)."""
        for ticket in list(self._waiting):
            if len(self._running) >= self.slots:
                return
            if ticket.owner in {t.owner for t, _, _ in self._running.values()}:
                continue
            self._waiting.remove(ticket)
            try:
                run = ticket.start()
            except Exception as exc:  # A run that cannot start must not stop the queue for everyone.
                run = FailedStart(f"{type(exc).__name__}: {exc}")
            self._running[ticket.id] = (ticket, run, self._clock())

    def _estimated_waits(self) -> dict[int, float]:
        """Seconds until each waiting ticket starts, simulating the same policy on expected times."""
        now = self._clock()
        free_at, owner_free = [], {}
        for ticket, run, started in self._running.values():
            remaining = getattr(run, "remaining_s", None)
            left = remaining if isinstance(remaining, (int, float)) else ticket.expected_s - (now - started)
            free_at.append(max(0.0, left))
            owner_free[ticket.owner] = max(owner_free.get(ticket.owner, 0.0), free_at[-1])
        free_at += [0.0] * (self.slots - len(free_at))
        waits = {}
        for ticket in self._waiting:
            slot = min(range(len(free_at)), key=free_at.__getitem__)
            begin = max(free_at[slot], owner_free.get(ticket.owner, 0.0))
            waits[ticket.id] = begin
            free_at[slot] = owner_free[ticket.owner] = begin + ticket.expected_s
        return waits


def max_trainings() -> int:
    """``CNN_LAB_MAX_TRAININGS`` (default 2): how many trainings the server runs at once."""
    return _env_int(MAX_TRAININGS_ENV, DEFAULT_MAX_TRAININGS, minimum=1)


def max_queue() -> int:
    """``CNN_LAB_MAX_QUEUE`` (default 8): how many trainings may wait for a slot."""
    return _env_int(MAX_QUEUE_ENV, DEFAULT_MAX_QUEUE, minimum=0)


def _env_int(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < minimum:
        raise LabError(
            N_("{setting} must be a whole number of at least {minimum}, got {value!r}"),
            setting=name,
            minimum=minimum,
            value=raw,
        )
    return int(raw)
