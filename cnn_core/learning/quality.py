"""Honest labels for a trained model: too little data to learn from, or results no better than chance."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Fewer examples than this per class and a convnet mostly memorises (the "about 50").
MIN_PER_CLASS = 50


@dataclass(frozen=True)
class Quality:
    """What a run's data and results allow a learner to conclude."""

    min_per_class: int  # training examples of the rarest class
    chance: float  # the accuracy of always answering the commonest test class
    accuracy: float | None
    one_class: bool  # every test prediction was the same class
    samples: int = 0  # test examples behind ``accuracy``

    @property
    def too_little_data(self) -> bool:
        """Fewer than ``MIN_PER_CLASS`` examples of some class to learn from."""
        return self.min_per_class < MIN_PER_CLASS

    @property
    def near_chance(self) -> bool:
        """The accuracy is within two standard errors of guessing, or the model gives one answer."""
        return self.accuracy is not None and (self.one_class or self.accuracy <= self._chance_band)

    @property
    def trustworthy(self) -> bool:
        """Neither too little data nor a result at chance."""
        return not (self.too_little_data or self.near_chance)

    @property
    def _chance_band(self) -> float:
        se = math.sqrt(self.chance * (1 - self.chance) / max(self.samples, 1))
        return self.chance + max(2 * se, 0.02)


def run_quality(train_labels, num_classes: int, evaluation=None) -> Quality:
    """The ``Quality`` of a run from its training labels and, when it has one, its test ``Evaluation``.

    >>> q = run_quality(np.array([0, 1]), 10)
    >>> q.too_little_data, q.near_chance
    (True, False)
    """
    counts = np.bincount(np.asarray(train_labels).astype(np.int64), minlength=num_classes)
    if evaluation is None:
        return Quality(int(counts.min()), 1.0 / num_classes, None, False)
    truth = np.bincount(np.asarray(evaluation.labels).astype(np.int64), minlength=num_classes)
    chance = float(truth.max() / max(truth.sum(), 1))
    one_class = len(np.unique(evaluation.predictions)) == 1
    return Quality(int(counts.min()), chance, float(evaluation.accuracy), one_class, int(truth.sum()))
