"""A server-wide memory budget for what sessions keep (decoded data sets, trained models), LRU evicted.

Each session registers what it holds with its size and a release callback. When a new
registration would pass the budget, the least recently used entries are released first, other
sessions' before the registering session's own, and each owner whose entry went gets a notice
its page shows on its next run. Releasing a whole session (it ended) frees all of its entries.

    >>> budget = MemoryBudget(limit_bytes=100)
    >>> freed = []
    >>> a = budget.register("alice", "folder data", 60, lambda: freed.append("alice"))
    >>> b = budget.register("bob", "folder data", 60, lambda: freed.append("bob"))
    >>> freed, budget.alive(a), budget.used
    (['alice'], False, 60)
    >>> [template.format(kind=kind) for template, kind in budget.pop_notices("alice")]
    ['Your folder data was released to make room for others; load it again.']

Callbacks run outside the lock, after the bookkeeping, so one may call back into the budget. A
notice is an English template and the kind of thing released, for the page to translate.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from cnn_core.i18n import N_, LabError

MEMORY_ENV = "CNN_LAB_MEMORY_MB"
# Two full-size folder data sets (4,000 pictures of 150x150x3 are 270 MB) would pass it: on
# Community Cloud's largest tier (2.7 GB) this keeps the server process near 1 GB.
DEFAULT_MEMORY_MB = 300
NOTICE = N_("Your {kind} was released to make room for others; load it again.")
NOTICE_TRAINED = N_("Your {kind} was released to make room for others; it loads again when a page needs it.")


class BudgetError(LabError):
    """A registration the budget can never hold."""


@dataclass(frozen=True)
class Handle:
    """What ``register`` returns: pass it to ``touch`` and ``release``."""

    id: int
    owner: str
    kind: str
    nbytes: int


@dataclass
class _Entry:
    handle: Handle
    release: Callable[[], None]


class MemoryBudget:
    """Thread-safe byte budget over all sessions, evicting least recently used entries."""

    def __init__(self, limit_bytes: int):
        if not isinstance(limit_bytes, int) or limit_bytes < 1:
            raise ValueError(f"the memory budget must be a positive number of bytes, got {limit_bytes!r}")
        self.limit_bytes = limit_bytes
        self._lock = threading.Lock()
        self._entries: OrderedDict[int, _Entry] = OrderedDict()  # least recently used first
        self._used = 0
        self._notices: dict[str, list[tuple[str, str]]] = {}
        self._ids = itertools.count(1)

    def register(self, owner: str, kind: str, nbytes: int, release: Callable[[], None]) -> Handle:
        """Account ``nbytes`` held by ``owner``; evicts others (then ``owner``'s older entries) to fit.

        ``kind`` names the thing in the notice ("folder data", "trained model"). Raises
        ``BudgetError`` when ``nbytes`` alone is more than the whole budget.
        """
        if nbytes > self.limit_bytes:
            raise BudgetError(
                N_(
                    "This {kind} needs {needed_mb:,.0f} MB; the server keeps at most {limit_mb:,.0f} MB of data "
                    "for all visitors together. Load fewer or smaller images."
                ),
                kind=LabError(kind),  # The kind is a template too (a LabError parameter is translated).
                needed_mb=nbytes / 1e6,
                limit_mb=self.limit_bytes / 1e6,
            )
        with self._lock:
            evicted = self._make_room(owner, nbytes)
            handle = Handle(next(self._ids), owner, kind, int(nbytes))
            self._entries[handle.id] = _Entry(handle, release)
            self._used += handle.nbytes
        self._call(evicted)
        return handle

    def touch(self, handle: Handle) -> bool:
        """Mark ``handle`` used now; False when it was already released (the data is gone)."""
        with self._lock:
            entry = self._entries.get(handle.id)
            if entry is None:
                return False
            self._entries.move_to_end(handle.id)
            return True

    def release(self, handle: Handle) -> None:
        """The owner let go of it (replaced or deleted): no notice; the callback is not called."""
        with self._lock:
            entry = self._entries.pop(handle.id, None)
            if entry is not None:
                self._used -= entry.handle.nbytes

    def release_owner(self, owner: str) -> int:
        """Free everything ``owner`` holds (its session ended), calling each callback; returns bytes freed."""
        with self._lock:
            gone = [entry for entry in self._entries.values() if entry.handle.owner == owner]
            for entry in gone:
                del self._entries[entry.handle.id]
                self._used -= entry.handle.nbytes
            self._notices.pop(owner, None)
        self._call(gone)
        return sum(entry.handle.nbytes for entry in gone)

    def alive(self, handle: Handle) -> bool:
        """True while ``handle`` is held."""
        with self._lock:
            return handle.id in self._entries

    def pop_notices(self, owner: str) -> list[tuple[str, str]]:
        """The (template, kind) notices for ``owner`` about its evicted entries, once."""
        with self._lock:
            return self._notices.pop(owner, [])

    @property
    def used(self) -> int:
        """Bytes registered now."""
        with self._lock:
            return self._used

    def owners(self) -> dict[str, int]:
        """Bytes held per owner."""
        with self._lock:
            totals: dict[str, int] = {}
            for entry in self._entries.values():
                totals[entry.handle.owner] = totals.get(entry.handle.owner, 0) + entry.handle.nbytes
            return totals

    def _make_room(self, owner: str, nbytes: int) -> list[_Entry]:
        """Pick and remove entries, others' oldest first, then the owner's own oldest (lock held)."""
        evicted = []
        for own in (False, True):
            for entry in list(self._entries.values()):
                if self._used + nbytes <= self.limit_bytes:
                    return evicted
                if (entry.handle.owner == owner) == own:
                    del self._entries[entry.handle.id]
                    self._used -= entry.handle.nbytes
                    evicted.append(entry)
                    template = NOTICE_TRAINED if "model" in entry.handle.kind else NOTICE
                    self._notices.setdefault(entry.handle.owner, []).append((template, entry.handle.kind))
        return evicted

    @staticmethod
    def _call(entries: list[_Entry]) -> None:
        for entry in entries:
            try:
                entry.release()
            except Exception:  # One owner's broken callback must not stop the others' release.
                pass


def memory_budget_bytes() -> int:
    """The budget from ``CNN_LAB_MEMORY_MB`` (default 300 MB), in bytes."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if not raw:
        return DEFAULT_MEMORY_MB * 1_000_000
    if not raw.isdigit() or int(raw) < 1:
        raise LabError(
            N_("{setting} must be a positive whole number of megabytes, got {value!r}"), setting=MEMORY_ENV, value=raw
        )
    return int(raw) * 1_000_000


_budget: MemoryBudget | None = None
_budget_lock = threading.Lock()


def memory_budget() -> MemoryBudget:
    """The process-wide budget, made on first use from ``CNN_LAB_MEMORY_MB``."""
    global _budget
    with _budget_lock:
        if _budget is None:
            _budget = MemoryBudget(memory_budget_bytes())
        return _budget
