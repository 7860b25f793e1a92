"""MemoryBudget: LRU order, others first, notices, a session's end, threads, the env setting."""

import threading

import pytest

import cnn_core.data.budget as mb
from cnn_core.data.budget import BudgetError, MemoryBudget


def notices(budget, owner):
    return [template.format(kind=kind) for template, kind in budget.pop_notices(owner)]


def make(limit=100):
    freed = []
    budget = MemoryBudget(limit)

    def add(owner, nbytes, kind="folder data"):
        return budget.register(owner, kind, nbytes, lambda: freed.append((owner, nbytes)))

    return budget, add, freed


def test_least_recently_used_of_others_goes_first():
    budget, add, freed = make(100)
    a = add("alice", 30)
    b = add("bob", 30)
    c = add("carol", 30)
    assert budget.touch(a)  # alice used hers now: bob's is the oldest
    add("dave", 30)
    assert freed == [("bob", 30)] and not budget.alive(b) and budget.alive(a) and budget.alive(c)
    assert notices(budget, "bob") == ["Your folder data was released to make room for others; load it again."]
    assert notices(budget, "bob") == []  # once


def test_others_before_own_older_entries():
    budget, add, freed = make(100)
    own_old = add("alice", 40)
    add("bob", 40)
    add("alice", 40)
    assert freed == [("bob", 40)] and budget.alive(own_old)
    add("alice", 40)  # nothing of others left: alice's own oldest goes
    assert freed[-1] == ("alice", 40) and not budget.alive(own_old)
    assert notices(budget, "alice") == ["Your folder data was released to make room for others; load it again."]


def test_several_evictions_for_one_big_registration():
    budget, add, freed = make(100)
    for owner in "abcde":
        add(owner, 20)
    add("f", 70)
    assert [owner for owner, _ in freed] == ["a", "b", "c", "d"] and budget.used == 90


def test_models_get_their_own_notice():
    budget, add, _ = make(100)
    add("alice", 80, kind="trained model")
    add("bob", 80)
    assert notices(budget, "alice") == [
        "Your trained model was released to make room for others; it loads again when a page needs it."
    ]


def test_too_big_for_the_whole_budget():
    budget, add, freed = make(100)
    add("alice", 50)
    with pytest.raises(BudgetError, match="needs 0 MB; the server keeps at most 0 MB"):
        add("bob", 101)
    assert freed == [] and budget.used == 50  # nothing was evicted for a hopeless request


def test_release_owner_frees_everything_of_a_session_without_notices():
    budget, add, freed = make(1000)
    add("alice", 10)
    add("bob", 20)
    add("alice", 30)
    assert budget.release_owner("alice") == 40
    assert sorted(freed) == [("alice", 10), ("alice", 30)] and budget.owners() == {"bob": 20}
    assert notices(budget, "alice") == []


def test_release_by_the_owner_calls_nothing():
    budget, add, freed = make(100)
    handle = add("alice", 60)
    budget.release(handle)
    assert freed == [] and budget.used == 0 and not budget.touch(handle)


def test_a_callback_may_call_back_and_a_broken_one_does_not_stop_others():
    budget = MemoryBudget(100)
    calls = []
    budget.register("a", "folder data", 40, lambda: (_ for _ in ()).throw(RuntimeError("broken")))
    budget.register("b", "folder data", 40, lambda: calls.append(budget.used))  # re-enters the budget
    budget.register("c", "folder data", 100, lambda: None)
    assert calls == [100] and budget.owners() == {"c": 100}


def test_threads_keep_the_books_straight():
    budget = MemoryBudget(1000)
    freed = []
    lock = threading.Lock()

    def work(owner):
        for i in range(300):
            handle = budget.register(
                owner, "folder data", 7 + i % 5, lambda: (lock.acquire(), freed.append(1), lock.release())
            )
            budget.touch(handle)
            if i % 3 == 0:
                budget.release(handle)

    threads = [threading.Thread(target=work, args=(f"s{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert budget.used == sum(budget.owners().values()) <= 1000
    assert freed  # evictions happened


@pytest.mark.parametrize("raw, expected", [("", 300_000_000), ("512", 512_000_000)])
def test_the_environment_setting(monkeypatch, raw, expected):
    monkeypatch.setenv(mb.MEMORY_ENV, raw)
    assert mb.memory_budget_bytes() == expected


@pytest.mark.parametrize("raw", ["0", "-5", "1.5", "lots"])
def test_bad_environment_settings(monkeypatch, raw):
    monkeypatch.setenv(mb.MEMORY_ENV, raw)
    with pytest.raises(ValueError, match=f"must be a positive whole number of megabytes, got '{raw}'"):
        mb.memory_budget_bytes()
