"""Page runs of the light pages take turns, first come first served, instead of sharing the interpreter.

Streamlit runs every visitor's script in its own thread of one interpreter, and Python gives the
threads the interpreter in slices of a few milliseconds. With a class of 30 all clicking at once,
each run then lasts as long as every run in flight put together, and the heaviest page's runs
(Convolution's, twice Padding's cost) are the last to finish: the class's slowest answers come from
sharing, not from work. Taking turns in arrival order, each run waits for the ones that came
before it and then runs alone: the same work gets done in the same time, every visitor waits about
as long as the others, and fewer threads fight over the interpreter (``benchmarks/classroom.py``
measures both).

Only the pages whose runs are short and bounded whatever a visitor types take turns (Home, the
lesson, the glossary and the four concept pages: their inputs have size limits). Every run waits
in the same line for app.py's first part (the page is not known before ``st.navigation``); a run of
a page that may load TensorFlow or a model, or read an upload, leaves the line as soon as its page
is chosen and runs beside the others, so it never holds up the class. A run that has waited
``WAIT_S`` for its turn runs anyway, so a run that is slow for a reason nobody foresaw delays the
others by at most that long. Fragment reruns do not run app.py: a light page's fragment that reruns its page's results takes its
turn itself (``in_turn``); a player's step, a small fragment of its own, does not wait.
"""

from __future__ import annotations

import collections
import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# The URL paths of the pages whose runs take turns ("" is Home, the default page).
LIGHT_PAGES = frozenset({"", "lesson", "glossary", "convolution", "padding", "stride", "pooling"})
WAIT_S = 5.0  # The longest a run waits for its turn before it runs beside the one in front.


class Turns:
    """A first-come-first-served lock: ``acquire`` hands the lock to the waiters in arrival order.

    ``threading.Lock`` promises no order: a thread that has just released it often takes it again
    before a waiting one wakes, and under load some waiters lose many times in a row.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiting: collections.deque[threading.Event] = collections.deque()
        self._held = False
        self._owner: int | None = None  # The thread holding the lock, once it has woken.

    def acquire(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for this thread's turn; True once it holds the lock."""
        with self._mutex:
            if not self._held and not self._waiting:
                self._held, self._owner = True, threading.get_ident()
                return True
            called = threading.Event()
            self._waiting.append(called)
        if called.wait(timeout):
            with self._mutex:
                self._owner = threading.get_ident()
            return True
        with self._mutex:
            if called.is_set():  # Handed over between the timeout and this check: the turn is ours.
                self._owner = threading.get_ident()
                return True
            self._waiting.remove(called)
            return False

    def release(self) -> None:
        """Hand the lock to the longest waiter, or leave it free when nobody waits."""
        with self._mutex:
            if not self._held:
                raise RuntimeError("release of a turn nobody holds")
            self._owner = None
            if self._waiting:
                self._waiting.popleft().set()  # Still held: it passes straight to that waiter.
            else:
                self._held = False

    def held_here(self) -> bool:
        """Whether this thread holds the lock (a fragment drawn by a run that has its turn)."""
        with self._mutex:
            return self._held and self._owner == threading.get_ident()

    @property
    def taken(self) -> bool:
        """Whether a run holds the lock now."""
        with self._mutex:
            return self._held

    @property
    def waiting(self) -> int:
        """How many runs are waiting for their turn now."""
        with self._mutex:
            return len(self._waiting)


TURNS = Turns()


class Turn:
    """One script run's turn of ``TURNS``, taken on creation (or not, after ``WAIT_S``); ``leave`` gives it up."""

    def __init__(self, turns: Turns | None = None, timeout: float | None = None) -> None:
        self._turns = TURNS if turns is None else turns
        # Inside a run that has its turn (a fragment drawn by the page's run) there is nothing to wait for.
        self.held = not self._turns.held_here() and self._turns.acquire(WAIT_S if timeout is None else timeout)

    def leave(self) -> None:
        """Let the next run go; safe to call twice, and a no-op for a run that never got its turn."""
        if self.held:
            self.held = False
            self._turns.release()

    def __enter__(self) -> Turn:
        return self

    def __exit__(self, *exc_info) -> None:
        self.leave()


def in_turn(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` in a turn: for a light page's fragment, whose reruns do not run app.py.

    Put it under ``@st.fragment``. When the page's own run draws the fragment it already has its
    turn; a rerun of the fragment alone (a changed setting inside it) waits in line like a page run.
    """

    @functools.wraps(function)
    def in_line(*args: P.args, **kwargs: P.kwargs) -> R:
        with Turn():
            return function(*args, **kwargs)

    return in_line
