"""The fair training queue with fake runs and a fake clock: order, one slot per visitor, cancel, full, gone sessions."""

import threading

import pytest

from cnn_core.learning.queue import FailedStart, QueueFullError, TrainingQueue, max_queue, max_trainings


class FakeRun:
    def __init__(self, name, log):
        self.name, self.done, self.cancelled, self.remaining_s = name, False, False, None
        log.append(name)

    def cancel(self):
        self.cancelled = self.done = True

    def stop(self):
        self.done = True


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def world():
    started, alive, clock = [], {}, Clock()
    queue = TrainingQueue(slots=2, max_queue=3, alive=lambda owner: alive.get(owner, True), clock=clock)

    def submit(owner, name=None, expected_s=60):
        name = name or owner
        return queue.submit(owner, lambda: FakeRun(name, started), name=name, expected_s=expected_s)

    return queue, submit, started, alive, clock


def test_the_third_visitor_waits_first_in_line_and_starts_by_itself(world):
    queue, submit, started, _, _ = world
    a, _, c = submit("alice"), submit("bob"), submit("carol")
    assert started == ["alice", "bob"]
    place = queue.place(c)
    assert (place.state, place.position) == ("queued", 1)
    queue.place(a).run.done = True
    queue.tick()
    assert started == ["alice", "bob", "carol"] and queue.place(c).state == "running"
    assert queue.place(a).state == "ended"


def test_one_visitor_holds_one_slot_and_does_not_block_others(world):
    queue, submit, started, _, _ = world
    first, second = submit("alice", "lab plain"), submit("alice", "lab dropout")
    assert started == ["lab plain"] and queue.place(second).position == 1
    submit("bob")  # a free slot, and bob holds none: he starts, alice's second keeps its place
    assert started == ["lab plain", "bob"]
    queue.place(first).run.done = True
    queue.tick()
    assert started == ["lab plain", "bob", "lab dropout"]


def test_cancel_leaves_the_queue_and_positions_move_up(world):
    queue, submit, _, _, _ = world
    submit("alice"), submit("bob")
    c, d = submit("carol"), submit("dave")
    queue.cancel(c)
    assert queue.place(c).state == "gone" and queue.place(d).position == 1


def test_cancel_of_a_running_ticket_cancels_its_run(world):
    queue, submit, _, _, _ = world
    a = submit("alice")
    run = queue.place(a).run
    queue.cancel(a)
    assert run.cancelled
    queue.tick()
    assert queue.place(a).state == "ended" and queue.running == 0


def test_a_full_queue_says_so(world):
    queue, submit, _, _, _ = world
    for owner in ("a", "b", "c", "d", "e"):
        submit(owner)
    assert queue.waiting == 3
    with pytest.raises(QueueFullError, match=r"3 trainings wait for the server's 2 training slot"):
        submit("f")


def test_a_gone_session_loses_its_queued_and_running_tickets(world):
    queue, submit, _, alive, _ = world
    a, b = submit("alice"), submit("bob")
    c1, c2 = submit("carol", "carol 1"), submit("carol", "carol 2")
    run_a = queue.place(a).run
    alive["alice"] = alive["carol"] = False
    queue.tick()
    assert run_a.cancelled
    assert queue.place(c1).state == queue.place(c2).state == "gone"
    queue.tick()  # alice's slot frees once her run reports done
    assert queue.running == 1 and queue.place(b).state == "running"


def test_estimated_waits_follow_the_same_policy(world):
    queue, submit, _, _, clock = world
    submit("alice", expected_s=100)
    submit("bob", expected_s=300)
    clock.now = 40  # alice has 60 s left, bob 260 s
    c = submit("carol", expected_s=50)
    d = submit("alice", "alice 2", expected_s=50)  # waits for a slot and for her own first run
    e = submit("dave", expected_s=50)
    assert [queue.place(t).wait_s for t in (c, d, e)] == [60, 110, 160]


def test_a_run_reporting_its_remaining_time_is_believed(world):
    queue, submit, _, _, _ = world
    a = submit("alice", expected_s=100)
    submit("bob", expected_s=100)
    queue.place(a).run.remaining_s = 5
    assert queue.place(submit("carol")).wait_s == 5


def test_threads_never_exceed_the_slots():
    started, peak, lock = [], [0], threading.Lock()
    queue = TrainingQueue(slots=2, max_queue=1000)

    def submit(i):
        queue.submit(f"owner{i % 7}", lambda: FakeRun(i, started))
        with lock:
            peak[0] = max(peak[0], queue.running)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] <= 2 and queue.running == 2 and queue.waiting == 48


def test_a_run_that_cannot_start_ends_with_its_reason_and_frees_its_slot(world):
    queue, _, _, _, _ = world

    def broken():
        raise ValueError("no such data")

    ticket = queue.submit("alice", broken)
    run = queue.place(ticket).run
    assert isinstance(run, FailedStart) and run.done and "no such data" in run.error
    queue.tick()
    assert queue.place(ticket).state == "ended" and queue.running == 0


@pytest.mark.parametrize(
    "name, function, raw, expected",
    [
        ("CNN_LAB_MAX_TRAININGS", max_trainings, "", 2),
        ("CNN_LAB_MAX_TRAININGS", max_trainings, "3", 3),
        ("CNN_LAB_MAX_QUEUE", max_queue, "", 8),
        ("CNN_LAB_MAX_QUEUE", max_queue, "0", 0),
    ],
)
def test_slots_and_queue_length_read_the_environment(monkeypatch, name, function, raw, expected):
    monkeypatch.setenv(name, raw)
    assert function() == expected


@pytest.mark.parametrize(
    "name, function, raw",
    [
        ("CNN_LAB_MAX_TRAININGS", max_trainings, "0"),
        ("CNN_LAB_MAX_TRAININGS", max_trainings, "two"),
        ("CNN_LAB_MAX_QUEUE", max_queue, "-1"),
    ],
)
def test_bad_settings_are_refused_by_name(monkeypatch, name, function, raw):
    monkeypatch.setenv(name, raw)
    with pytest.raises(ValueError, match=name):
        function()
