"""Visitors' sessions on this server: which are still there, and what to free when one is gone.

Streamlit keeps a disconnected session for ``server.disconnectedSessionTTL`` (120 s) so that a
browser after a network blip gets it back, and calls nothing when that window ends. So the app
notices for itself: ``SessionWatch`` tells, from any thread, whether a session is connected,
disconnected but still resumable, or gone (see its docstring for the Streamlit calls it reads),
and one supervisor thread per process (``supervisor()``) ticks twice a second:

1. the training queue (``cnn_core.learning.queue``): ended runs free their slots, a gone
   session's queued and running trainings are cancelled, waiting ones start;
2. every session seen by a page run (``track()``): once gone, its data is released from the
   memory budget, its uploads are dropped from Streamlit's upload manager, its folders are
   deleted, its session state is cleared and the interpreter collects (see ``_drop_state``).
"""

from __future__ import annotations

import enum
import gc
import logging
import multiprocessing
import threading
import time
from collections.abc import Callable

DEFAULT_TTL_S = 120.0  # Streamlit's own default for server.disconnectedSessionTTL.
TICK_S = 0.5


class Liveness(enum.StrEnum):
    """Where a session stands: a string enum, so it logs and compares as plain text."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # no websocket, but the browser may still come back
    GONE = "gone"


def session_connected(session_id: str) -> bool:
    """True while a browser's websocket is attached to this session (safe from any thread)."""
    from streamlit import runtime

    return runtime.exists() and runtime.get_instance().is_active_session(session_id)


def session_stored(session_id: str) -> bool | None:
    """True while Streamlit keeps the disconnected session for a reconnect, False once it does
    not, None when this Streamlit version's internals are not the ones read here.

    Reads ``Runtime._session_mgr._session_storage._cache`` with ``in``, which in Streamlit 1.67's
    ``TTLCache.__contains__`` is a single dict lookup plus a clock read: it neither reorders nor
    reaps entries, so it is safe next to the event loop's writes (under the GIL). Calling
    ``get_session_info`` instead would move the entry (a write) from a foreign thread.
    """
    from streamlit import runtime

    if not runtime.exists():
        return None
    manager = getattr(runtime.get_instance(), "_session_mgr", None)
    cache = getattr(getattr(manager, "_session_storage", None), "_cache", None)
    if cache is None or not hasattr(cache, "__contains__"):
        return None
    return session_id in cache


def reconnect_ttl_s() -> float:
    """``server.disconnectedSessionTTL`` of the running server, in seconds (120 by default)."""
    from streamlit import config

    value = config.get_option("server.disconnectedSessionTTL")
    return DEFAULT_TTL_S if value is None else float(value)


class SessionWatch:
    """Liveness of sessions by id, from any thread; remembers when each was first seen inactive.

    Poll it at least every few seconds for every session it should judge (a training checks
    once per progress report, the queue once per tick): the clock's window starts at the first
    poll that finds the session inactive.

    >>> active = {"a"}
    >>> watch = SessionWatch(ttl_s=10, is_active=active.__contains__, is_stored=lambda s: None,
    ...                      clock=iter([0.0, 1.0, 5.0, 12.0]).__next__)
    >>> watch.state("a").value
    'connected'
    >>> active.clear(); watch.state("a").value, watch.state("a").value, watch.state("a").value
    ('disconnected', 'disconnected', 'gone')
    """

    def __init__(
        self,
        ttl_s: float | None = None,
        is_active: Callable[[str], bool] = session_connected,
        is_stored: Callable[[str], bool | None] = session_stored,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._ttl_s = ttl_s
        self._is_active, self._is_stored, self._clock = is_active, is_stored, clock
        self._lock = threading.Lock()
        self._inactive_since: dict[str, float] = {}
        self._gone: set[str] = set()

    def state(self, session_id: str) -> Liveness:
        """CONNECTED, DISCONNECTED (still resumable) or GONE (final) for ``session_id``."""
        now = self._clock()
        with self._lock:
            if session_id in self._gone:
                return Liveness.GONE
        if self._is_active(session_id):
            with self._lock:
                self._inactive_since.pop(session_id, None)
            return Liveness.CONNECTED
        # The peek, then a second look at the active map: a reconnect adds the session to the
        # active map before it deletes it from the store, so "in neither" read in this order
        # means gone, not "caught between the two".
        stored = self._is_stored(session_id)
        if stored is False:
            if self._is_active(session_id):
                return Liveness.CONNECTED
            return self._mark_gone(session_id)
        with self._lock:
            since = self._inactive_since.setdefault(session_id, now)
        if stored is None and now - since > self.ttl_s:
            return self._mark_gone(session_id)
        return Liveness.DISCONNECTED

    def alive(self, session_id: str) -> bool:
        """True unless the session is gone: a disconnected one may still come back."""
        return self.state(session_id) is not Liveness.GONE

    def forget(self, session_id: str) -> None:
        """Drop what is remembered about a session (its jobs ended)."""
        with self._lock:
            self._inactive_since.pop(session_id, None)
            self._gone.discard(session_id)

    @property
    def ttl_s(self) -> float:
        """The reconnect window the clock uses: the given one, else the server's option."""
        return self._ttl_s if self._ttl_s is not None else reconnect_ttl_s()

    def _mark_gone(self, session_id: str) -> Liveness:
        with self._lock:
            self._gone.add(session_id)
            self._inactive_since.pop(session_id, None)
        return Liveness.GONE


class Supervisor:
    """The process's one supervisor: the training queue, the memory budget, and gone sessions' leftovers."""

    def __init__(self, watch: SessionWatch | None = None, budget=None, start: bool = True):
        from cnn_core.data.budget import memory_budget
        from cnn_core.learning.queue import TrainingQueue, max_queue, max_trainings

        self.watch = watch or SessionWatch()
        self.queue = TrainingQueue(max_trainings(), max_queue(), alive=self.watch.alive)
        self.budget = budget or memory_budget()
        self._lock = threading.Lock()
        self._sessions: dict[str, list[Callable[[], None]]] = {}  # id -> cleanups to run when it is gone
        if start:
            threading.Thread(target=self._loop, name="cnn-lab-supervisor", daemon=True).start()

    def track(self, session_id: str, cleanup: Callable[[], None] | None = None) -> None:
        """Watch ``session_id``; ``cleanup`` (e.g. deleting a folder) runs once it is gone."""
        with self._lock:
            cleanups = self._sessions.setdefault(session_id, [])
            if cleanup is not None:
                cleanups.append(cleanup)

    def tick(self) -> None:
        """One round: the queue, then every tracked session that is gone, then ended workers reaped."""
        self.queue.tick()
        multiprocessing.active_children()  # Waits for ended training processes, so none is left a zombie.
        with self._lock:
            tracked = list(self._sessions)
        gone = [session_id for session_id in tracked if self.watch.state(session_id) is Liveness.GONE]
        for session_id in gone:
            self._release(session_id)
        if gone:
            _collect_thawed()  # One full collection per tick, however many sessions left in it.

    def _release(self, session_id: str) -> None:
        with self._lock:
            cleanups = self._sessions.pop(session_id, [])
        self.budget.release_owner(session_id)
        _drop_uploads(session_id)
        for cleanup in cleanups:
            try:
                cleanup()
            except Exception:  # One leftover that cannot be removed must not keep the others.
                logging.getLogger(__name__).exception("cleanup of session %s failed", session_id)
        _drop_state(session_id)
        self.watch.forget(session_id)

    def _loop(self) -> None:
        while True:
            time.sleep(TICK_S)
            try:
                self.tick()
            except Exception:  # One bad tick must not end the supervisor for every visitor.
                logging.getLogger(__name__).exception("supervisor tick failed")


def _drop_uploads(session_id: str) -> None:
    """Free a gone session's uploaded files, which Streamlit keeps until the session is collected."""
    from streamlit import runtime

    if runtime.exists():
        runtime.get_instance().uploaded_file_mgr.remove_session_files(session_id)


def _drop_state(session_id: str) -> None:
    """Clear a gone session's state and have Streamlit's store let go of it, so that what it held
    leaves the server's memory now rather than when the next visitor connects.

    Streamlit keeps a gone session's ``AppSession`` in its reconnect store (a ``TTLCache``) until
    the store is next written, and with it the session state and the fragments: widget callbacks
    and fragment functions, and the page globals they close over, such as a decoded data set.
    ``benchmarks/server_memory.py`` found eight released data sets (2.4 GB) still mapped after
    their visitors had left. The session is gone for good (its reconnect window has passed), so
    its state and fragments are cleared here, and the store's expired entries are dropped on the
    event loop's thread, the one that writes the store; a full collection then frees the cycles
    (``_collect_thawed``).
    """
    from streamlit import runtime

    if not runtime.exists():
        return
    instance = runtime.get_instance()
    manager = getattr(instance, "_session_mgr", None)
    cache = getattr(getattr(manager, "_session_storage", None), "_cache", None)
    entries = getattr(cache, "_data", None)  # the store's dict: a read, not a write
    info = entries.get(session_id) if isinstance(entries, dict) else None
    session = getattr(info, "session", None)
    if session is not None:
        session.session_state.clear()
        fragments = getattr(session, "_fragment_storage", None)
        if fragments is not None:
            fragments.clear()
    if hasattr(cache, "expire"):
        _on_event_loop(instance, cache.expire)


def _on_event_loop(instance, function, timeout_s: float = 2.0) -> None:
    """Run ``function`` on the Streamlit runtime's event loop thread and wait for it (bounded)."""
    import concurrent.futures

    done: concurrent.futures.Future = concurrent.futures.Future()

    def call() -> None:
        try:
            done.set_result(function())
        except Exception as exc:  # Reported to the waiting thread, which logs it.
            done.set_exception(exc)

    try:
        instance._get_async_objs().eventloop.call_soon_threadsafe(call)
        done.result(timeout_s)
    except Exception:  # The runtime is stopping, or the call took too long: the next visitor reaps.
        logging.getLogger(__name__).warning("could not drop expired sessions from Streamlit's store", exc_info=True)


def _collect_thawed() -> None:
    """A full collection that also sees the objects frozen out of collections (``ui.resources``),
    which are frozen again after: a session frozen while it was alive is not kept for ever."""
    frozen = gc.get_freeze_count()
    gc.unfreeze()
    gc.collect()
    if frozen:
        gc.freeze()
    _return_free_memory()


def _return_free_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``).

    What a gone class freed (decoding buffers of the threads that unpacked its zips, its figures)
    otherwise stays in the process's malloc arenas: free for reuse, but still counted as the
    server's memory. A no-op where the C library has no ``malloc_trim`` (macOS, Windows, musl).
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


_supervisor: Supervisor | None = None
_supervisor_lock = threading.Lock()


def supervisor() -> Supervisor:
    """The process's supervisor, started on first use."""
    global _supervisor
    with _supervisor_lock:
        if _supervisor is None:
            _supervisor = Supervisor()
        return _supervisor


def session_id() -> str:
    """This script run's session id (what a training or a budget entry is owned by)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def track(cleanup: Callable[[], None] | None = None) -> str:
    """Watch this session (every page run calls this through app.py); returns its id."""
    current = session_id()
    supervisor().track(current, cleanup)
    return current
