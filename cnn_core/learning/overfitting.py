"""The overfitting gap: training against validation accuracy of a run, and what two runs show together."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this gap (in accuracy) a run has not started to memorise its training data yet.
NO_GAP = 0.05


@dataclass(frozen=True)
class Gap:
    """A finished run's overfitting figures, from its Keras-style history."""

    train_accuracy: float  # last epoch
    val_accuracy: float  # last epoch
    best_val_accuracy: float
    lowest_val_loss_epoch: int  # 1-based

    @property
    def gap(self) -> float:
        """Training minus validation accuracy at the last epoch: how much was memorised."""
        return self.train_accuracy - self.val_accuracy


def overfitting_gap(history: dict) -> Gap | None:
    """The gap figures of one history, or None before its first validated epoch.

    >>> g = overfitting_gap({"accuracy": [0.6, 0.9], "val_accuracy": [0.62, 0.7], "val_loss": [0.7, 0.9]})
    >>> round(g.gap, 2), g.best_val_accuracy, g.lowest_val_loss_epoch
    (0.2, 0.7, 1)
    """
    if not history.get("val_accuracy") or not history.get("accuracy"):
        return None
    return Gap(
        float(history["accuracy"][-1]),
        float(history["val_accuracy"][-1]),
        float(max(history["val_accuracy"])),
        int(np.argmin(history["val_loss"])) + 1,
    )


def compare_gaps(plain: Gap, regularised: Gap) -> str:
    """What a plain run and a regularised one show side by side.

    "no gap yet" (neither has opened a gap), "closed" (the regularised gap is narrower by more than
    ``NO_GAP``) or "unclear" (a small validation set moves these numbers a lot).

    >>> compare_gaps(Gap(0.99, 0.7, 0.72, 4), Gap(0.85, 0.8, 0.81, 9))
    'closed'
    """
    if plain.gap < NO_GAP and regularised.gap < NO_GAP:
        return "no gap yet"
    if plain.gap > regularised.gap + NO_GAP:
        return "closed"
    return "unclear"
