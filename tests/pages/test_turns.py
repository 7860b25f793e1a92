"""The light pages' runs take turns in arrival order (``ui.turns``); the other pages never wait for them."""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.pages_manager import PagesManager

from tests.support.apptest import app_test
from ui import turns


def _wait_until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_waiters_get_the_turn_in_the_order_they_came():
    lock = turns.Turns()
    assert lock.acquire(1.0)
    order: list[int] = []

    def visitor(number: int) -> None:
        assert lock.acquire(10.0)
        order.append(number)
        lock.release()

    threads = []
    for number in range(8):
        thread = threading.Thread(target=visitor, args=(number,))
        thread.start()
        threads.append(thread)
        _wait_until(lambda n=number: lock.waiting == n + 1)  # queued before the next one comes
    lock.release()
    for thread in threads:
        thread.join(10)
    assert order == list(range(8))
    assert not lock.taken and lock.waiting == 0


def test_the_releasing_run_cannot_jump_the_queue():
    """threading.Lock lets the thread that just released take it again; a turn goes to the waiter."""
    lock = turns.Turns()
    assert lock.acquire(1.0)
    got = []
    waiter = threading.Thread(target=lambda: got.append(lock.acquire(10.0)))
    waiter.start()
    _wait_until(lambda: lock.waiting == 1)
    lock.release()
    assert not lock.acquire(0.01)  # the waiter holds it now, even if it has not woken yet
    waiter.join(10)
    assert got == [True] and lock.taken
    lock.release()
    assert not lock.taken


def test_a_run_that_waits_too_long_goes_without_its_turn_and_leaves_the_queue():
    lock = turns.Turns()
    assert lock.acquire(1.0)
    assert lock.acquire(0.05) is False
    assert lock.waiting == 0 and lock.taken  # the holder still holds it
    late = []
    waiter = threading.Thread(target=lambda: late.append(lock.acquire(10.0)))
    waiter.start()
    _wait_until(lambda: lock.waiting == 1)
    lock.release()  # goes to the waiter that is still there, not to the one that gave up
    waiter.join(10)
    assert late == [True]
    lock.release()
    with pytest.raises(RuntimeError):
        lock.release()


def test_a_turn_leaves_once_and_a_run_without_one_releases_nothing():
    lock = turns.Turns()
    with turns.Turn(lock, timeout=1.0) as turn:
        assert turn.held and lock.taken
        turn.leave()
        assert not lock.taken
        turn.leave()  # twice: still nothing to release
    assert lock.acquire(1.0)
    other = turns.Turn(lock, timeout=0.01)
    assert not other.held
    other.leave()  # must not release the holder's turn
    assert lock.taken
    lock.release()


@pytest.fixture
def page_runs(monkeypatch):
    """(page URL path, whether a run held the turn) each time app.py runs a page.

    A real server runs app.py on every run once its ``st.navigation`` has turned off Streamlit's
    ``pages/`` folder mode; AppTest turns that mode back on before every run, and then runs a page
    it switched to without app.py. Here it stays off, so each run goes through app.py as on a server.
    """
    seen: list[tuple[str, bool]] = []
    init = PagesManager.__init__

    def init_without_pages_folder_mode(self, *args, **kwargs):
        init(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init_without_pages_folder_mode)
    run = StreamlitPage.run

    def recording_run(page):
        seen.append((page.url_path, turns.TURNS.taken))
        return run(page)

    monkeypatch.setattr(StreamlitPage, "run", recording_run)
    return seen


@pytest.mark.parametrize("name", ["convolution", "pooling", "glossary"])
def test_a_light_page_runs_in_its_turn_and_gives_it_back(page_runs, name):
    at = app_test(name)
    assert not at.exception
    assert page_runs[-1] == (name, True)
    assert not turns.TURNS.taken and turns.TURNS.waiting == 0


def test_home_runs_in_its_turn(page_runs):
    at = app_test("home")
    assert not at.exception
    assert page_runs[-1] == ("", True)
    assert not turns.TURNS.taken


def test_a_page_that_may_load_tensorflow_lets_the_next_run_go_first(page_runs):
    at = app_test("training", timeout=120)
    assert not at.exception
    assert page_runs[-1] == ("training", False)
    assert not turns.TURNS.taken


def test_a_page_that_stops_early_gives_its_turn_back(page_runs):
    at = app_test("convolution")
    at.session_state["conv_rows"] = 3
    at.session_state["conv_cols"] = 3
    at.session_state["conv_ksize"] = 5
    at.run()  # the kernel does not fit: the page says so and stops (st.stop)
    assert "does not fit in a 3×3 input" in at.warning[0].value
    assert page_runs[-1] == ("convolution", True)
    assert not turns.TURNS.taken
    at.run()  # and the next run gets a turn at once
    assert not at.exception and not turns.TURNS.taken


def test_a_run_goes_without_its_turn_after_the_wait(monkeypatch, page_runs):
    """A run that is slow for a reason nobody foresaw holds up the others for WAIT_S at most."""
    monkeypatch.setattr(turns, "WAIT_S", 0.2)
    assert turns.TURNS.acquire(1.0)  # a run that never ends
    try:
        at = app_test("stride")
        assert not at.exception
        assert page_runs[-1] == ("stride", True)  # taken by the stuck run, not by this one
        assert at.title[0].value  # the page was drawn all the same
    finally:
        turns.TURNS.release()
    assert not turns.TURNS.taken


def test_a_fragment_waits_in_line_when_it_reruns_alone_but_not_inside_its_pages_turn(monkeypatch):
    lock = turns.Turns()
    monkeypatch.setattr(turns, "TURNS", lock)
    calls = []

    @turns.in_turn
    def fragment(tag):
        calls.append((tag, lock.taken, lock.held_here()))
        return tag

    with turns.Turn():  # the page's own run draws the fragment: it already has the turn
        assert fragment("inside") == "inside"
        alone = threading.Thread(target=fragment, args=("alone",))  # a rerun of the fragment alone
        alone.start()
        _wait_until(lambda: lock.waiting == 1)
        assert [tag for tag, *_ in calls] == ["inside"]  # it waits for the page's run to end
    alone.join(10)
    assert calls == [("inside", True, True), ("alone", True, True)]
    assert not lock.taken
