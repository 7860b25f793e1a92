"""A class on one server, in real browsers: the fair queue, and a training that ends with its visitor.

Each test runs a server of its own, so the training slots and the session TTL can be set for it:

- three visitors press Start on two slots: the third is told "position 1" and starts by itself
  when a slot frees, without another click;
- with one slot, a visitor starts a long training and closes the tab: once Streamlit's reconnect
  window (``server.disconnectedSessionTTL``) has passed, the run is cancelled and a second visitor,
  waiting in the queue, starts by itself.
"""

from __future__ import annotations

import time

import pytest

from tests.support import browser as bh
from tests.support.server import launch_server, stop_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
QUEUED = "Waiting for a training slot"


def server(slots: int, ttl_s: int = 120):
    process, url, _, _ = launch_server(
        extra_env={"CNN_LAB_MAX_TRAININGS": str(slots)}, options=(f"server.disconnectedSessionTTL={ttl_s}",)
    )
    return process, url


def visitor(browser, url: str, subset: int, epochs: int):
    tab = bh.new_tab(browser, height=1200)
    bh.open_app(tab, url)
    bh.open_page(tab, "Train on MNIST")
    bh.set_up_mnist_training(tab, subset=subset, epochs=epochs)
    return tab


def queued_text(tab) -> str:
    alert = tab.locator('[data-testid="stAlertContentInfo"]').filter(has_text=QUEUED)
    # all_inner_texts does not wait: the alert may leave between a count and a read
    return "\n".join(alert.all_inner_texts())


def wait_until(condition, timeout_s: float, what: str) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if condition():
            return time.monotonic() - started
        time.sleep(0.25)
    raise AssertionError(f"{what} did not happen within {timeout_s:.0f} s")


def test_the_third_visitor_waits_first_in_line_and_starts_by_itself(browser):
    process, url = server(slots=2)
    try:
        tabs = [visitor(browser, url, subset=3000, epochs=2) for _ in range(3)]
        for tab in tabs[:2]:
            bh.press_start_training(tab)
            bh.wait_training_started(tab)
        bh.press_start_training(tabs[2])
        wait_until(lambda: "position 1" in queued_text(tabs[2]), 60, "the third visitor's 'position 1'")
        assert "next in line" in queued_text(tabs[2])
        assert not queued_text(tabs[0]) and not queued_text(tabs[1])
        wait_until(lambda: not queued_text(tabs[2]), 300, "the third visitor's start")  # no click needed
        bh.wait_training_done(tabs[2], timeout_s=300)
        assert not bh.problems(tabs[2]), bh.problems(tabs[2])
        for tab in tabs:
            tab.context.close()
    finally:
        stop_server(process)


def test_a_training_stops_when_its_visitor_leaves_and_the_next_one_starts(browser):
    ttl_s = 4
    process, url = server(slots=1, ttl_s=ttl_s)
    try:
        leaving = visitor(browser, url, subset=60000, epochs=50)  # far longer than the test
        bh.press_start_training(leaving)
        bh.wait_training_started(leaving)
        staying = visitor(browser, url, subset=600, epochs=1)
        bh.press_start_training(staying)
        wait_until(lambda: "position 1" in queued_text(staying), 60, "the waiting visitor's 'position 1'")
        leaving.context.close()  # the tab closed: no reconnect will come
        closed = time.monotonic()
        wait_until(lambda: not queued_text(staying), ttl_s + 60, "the waiting visitor's start")
        waited = time.monotonic() - closed
        assert waited >= ttl_s - 1, f"the run was stopped {waited:.1f} s after the tab closed, inside the window"
        bh.wait_training_done(staying, timeout_s=300)
        assert not bh.problems(staying), bh.problems(staying)
        staying.context.close()
    finally:
        stop_server(process)
