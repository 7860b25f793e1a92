"""Which visitors are still there (SessionWatch on fakes), and what the supervisor frees once one is gone.

The same mechanism through a real server and a real closed tab: tests/browser/test_training_queue.py.
"""

import time

from cnn_core.data.budget import MemoryBudget
from ui import sessions
from ui.sessions import Liveness, SessionWatch


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


# --- fakes -------------------------------------------------------------------------------------


def test_blip_within_window_stays_alive_and_window_end_is_final():
    clock, active = Clock(), {"s"}
    watch = SessionWatch(ttl_s=10, is_active=active.__contains__, is_stored=lambda _: None, clock=clock)
    assert watch.state("s") is Liveness.CONNECTED
    active.clear()
    clock.now = 3
    assert watch.state("s") is Liveness.DISCONNECTED
    active.add("s")  # reconnected with the same id
    clock.now = 20
    assert watch.state("s") is Liveness.CONNECTED
    active.clear()
    clock.now = 21
    assert watch.state("s") is Liveness.DISCONNECTED  # a new window starts at this disconnect
    clock.now = 31.5
    assert watch.state("s") is Liveness.GONE
    active.add("s")
    assert watch.state("s") is Liveness.GONE  # final: a late browser gets a new id anyway


def test_the_store_decides_before_the_clock():
    clock, stored = Clock(), {"s": True}
    watch = SessionWatch(ttl_s=100, is_active=lambda _: False, is_stored=stored.get, clock=clock)
    assert watch.state("s") is Liveness.DISCONNECTED
    stored["s"] = False  # evicted early (128-entry store) or logged out
    assert watch.state("s") is Liveness.GONE


def test_a_reconnect_between_the_two_reads_is_connected():
    answers = iter([False, True])  # not active, (store says absent), active again
    watch = SessionWatch(ttl_s=10, is_active=lambda _: next(answers), is_stored=lambda _: False)
    assert watch.state("s") is Liveness.CONNECTED


def test_outside_a_server_nothing_is_connected():
    assert sessions.session_connected("nobody") is False
    assert sessions.session_stored("nobody") is None


class Gone:
    """A watch stand-in: sessions named in ``gone`` are gone, every other one is connected."""

    def __init__(self):
        self.gone = set()

    def state(self, session_id):
        return Liveness.GONE if session_id in self.gone else Liveness.CONNECTED

    def alive(self, session_id):
        return session_id not in self.gone

    def forget(self, session_id):
        pass


def test_a_gone_session_frees_its_budget_its_files_and_its_queued_training(monkeypatch):
    dropped = []
    monkeypatch.setattr(sessions, "_drop_uploads", dropped.append)
    watch = Gone()
    supervisor = sessions.Supervisor(watch, budget=MemoryBudget(1000), start=False)
    released, cleaned = [], []
    supervisor.budget.register("alice", "folder data", 10, lambda: released.append("alice"))
    supervisor.budget.register("bob", "folder data", 10, lambda: released.append("bob"))
    supervisor.track("alice", cleanup=lambda: cleaned.append("alice folder"))
    supervisor.track("bob")
    supervisor.tick()
    assert released == cleaned == dropped == []
    watch.gone.add("alice")
    supervisor.tick()
    assert released == ["alice"] and cleaned == ["alice folder"] and dropped == ["alice"]
    assert supervisor.budget.owners() == {"bob": 10}
    supervisor.tick()  # once only
    assert released == ["alice"] and dropped == ["alice"]


def test_a_release_collects_cycles_that_were_frozen_while_alive():
    """A gone session's objects frozen by ui.resources (gc.freeze) are freed by the release's collection."""
    import gc
    import weakref

    from ui.sessions import _collect_thawed

    class Held:
        pass

    held = Held()
    held.cycle = held  # only a collection frees a cycle
    alive = weakref.ref(held)
    gc.collect()
    gc.freeze()
    try:
        del held
        gc.collect()
        assert alive() is not None  # frozen: an ordinary collection leaves it
        _collect_thawed()
        assert alive() is None
        assert gc.get_freeze_count() > 0  # what is still alive is frozen again
    finally:
        gc.unfreeze()


def test_a_tick_reaps_ended_training_processes():
    """A worker that ended on its own is waited for by the next tick, not left a zombie under the server."""
    from cnn_core.learning.processes import Worker

    supervisor = sessions.Supervisor(Gone(), budget=MemoryBudget(1000), start=False)
    worker = Worker()
    worker.messages.get(timeout=120)  # ready
    worker.send(None)  # dismissed: it exits by itself
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _state(worker.process.pid) != "Z":
        time.sleep(0.1)
    assert _state(worker.process.pid) == "Z"  # ended, not yet waited for
    deadline = time.monotonic() + 5  # the supervisor ticks every second; a zombie goes within a few
    while time.monotonic() < deadline and _state(worker.process.pid) == "Z":
        supervisor.tick()
        time.sleep(0.2)
    assert _state(worker.process.pid) == "gone"


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
