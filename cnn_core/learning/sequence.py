"""Several runs of one visitor, started one after the other, or together when training slots allow."""

from __future__ import annotations

from cnn_core.learning.runs import TrainingRun
from cnn_core.learning.slots import TrainingBusyError


class RunSequence:
    """Runs by key, started in order: the next one when the previous ended (or at once, ``together``).

    ``advance()`` starts what may start now and says why the rest waits: "turn" (the previous
    run is still training), "slot" (the server's training slots are taken), or None.
    """

    def __init__(self, runs: dict[str, TrainingRun], together: bool = False):
        self.runs = dict(runs)
        self.together = together
        self._waiting = list(self.runs)
        self._started: list[str] = []

    def advance(self) -> str | None:
        """Start the waiting runs whose turn has come and that get a slot; returns why any still waits."""
        while self._waiting:
            if not self.together and any(not run.done for run in self.started.values()):
                return "turn"
            try:
                self.runs[self._waiting[0]].start()
            except TrainingBusyError:
                return "slot"
            self._started.append(self._waiting.pop(0))
        return None

    @property
    def started(self) -> dict[str, TrainingRun]:
        """The runs started so far, by key."""
        return {key: self.runs[key] for key in self._started}

    def waiting(self, key: str) -> bool:
        """True while run ``key`` has not started."""
        return key in self._waiting

    @property
    def active(self) -> bool:
        """True while a run trains or waits to start."""
        return bool(self._waiting) or any(not run.done for run in self.started.values())

    def stop(self) -> None:
        """Drop the waiting runs and stop the started ones after their current batch."""
        self._waiting.clear()
        for run in self.started.values():
            run.stop()
