"""The output layer in numbers: softmax and sigmoid (stable for any logit), step by step, and cross-entropy.

A classifier's last Dense layer gives one number per unit, its logits z. Softmax turns them into
probabilities in four steps: 1. subtract the largest logit (the result does not change, and exp
never overflows); 2. exp of each; 3. their sum; 4. divide each exp by the sum. A two-class head
has one unit and a sigmoid instead. The loss of one example is then -log of the probability
given to its true class, whichever way the label is written: an integer (the sparse labels this
app trains with) or a one-hot vector (the note's ``to_categorical``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnn_core.i18n import N_, LabError
from cnn_core.ops.checks import is_int

# Keras clips probabilities to [EPSILON, 1 - EPSILON] before taking a log (keras.config.epsilon()),
# so a probability of exactly 0 costs -log(1e-7) = 16.1 instead of infinity; the steps here do too.
EPSILON = 1e-7
# Probabilities from a float32 model sum to 1 within a few units of float32's 1.2e-7 per term.
SUM_TOLERANCE = 1e-3


def softmax(logits, axis: int = -1) -> np.ndarray:
    """softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z), along ``axis``, as float64.

    Subtracting the largest logit leaves the result unchanged (it cancels in the fraction) and
    keeps every exp in (0, 1], so logits of 1000 give probabilities, not inf / inf.

    >>> softmax([1.0, 2.0, 3.0]).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax([1000.0, 0.0])
    array([1., 0.])
    """
    z = _finite(logits, "logits")
    shifted = z - z.max(axis=axis, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=axis, keepdims=True)


def sigmoid(x) -> np.ndarray:
    """sigmoid(x) = 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0, as float64.

    Both branches are the same function; each takes exp of -|x| only, which never overflows.

    >>> sigmoid([0.0, 2.0, -1000.0, 1000.0]).round(4)
    array([0.5   , 0.8808, 0.    , 1.    ])
    """
    x = _finite(x, "x")
    e = np.exp(-np.abs(x))  # in (0, 1]
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


@dataclass(frozen=True, eq=False)
class SoftmaxSteps:
    """Softmax of one vector of logits, step by step; every array is (K,), float64."""

    logits: np.ndarray  # z
    shift: float  # max z, subtracted first
    shifted: np.ndarray  # z - max z, all <= 0
    exps: np.ndarray  # exp(z - max z), all in (0, 1]
    total: float  # sum of the exps, in [1, K]
    probabilities: np.ndarray  # exps / total, summing to 1


def softmax_steps(logits) -> SoftmaxSteps:
    """The steps of ``softmax`` for one example's logits (K,): shift, exp, sum, divide.

    >>> steps = softmax_steps([2.0, 1.0, 0.0])
    >>> steps.shift, steps.shifted.tolist(), round(steps.total, 4), steps.probabilities.round(3).tolist()
    (2.0, [0.0, -1.0, -2.0], 1.5032, [0.665, 0.245, 0.09])
    """
    z = _finite(logits, "logits")
    if z.ndim != 1:
        raise LabError(N_("the logits of one example must be a vector (K,), got shape {shape}"), shape=z.shape)
    shift = float(z.max())
    shifted = z - shift
    exps = np.exp(shifted)
    total = float(exps.sum())
    return SoftmaxSteps(_frozen(z), shift, _frozen(shifted), _frozen(exps), total, _frozen(exps / total))


@dataclass(frozen=True)
class SigmoidSteps:
    """Sigmoid of one logit z, step by step, by the branch that fits its sign."""

    logit: float  # z
    exp: float  # exp(-|z|), in (0, 1]
    probability: float  # 1 / (1 + exp(-z)) for z >= 0, exp(z) / (1 + exp(z)) for z < 0

    @property
    def positive_branch(self) -> bool:
        """True when z >= 0 and the probability is 1 / (1 + exp(-z))."""
        return self.logit >= 0


def sigmoid_steps(logit: float) -> SigmoidSteps:
    """The steps of ``sigmoid`` for one logit: exp(-|z|), then the fraction of its branch.

    >>> s = sigmoid_steps(-2.0)
    >>> round(s.exp, 4), round(s.probability, 4), s.positive_branch
    (0.1353, 0.1192, False)
    """
    z = _one(logit, "logit")
    return SigmoidSteps(z, float(np.exp(-abs(z))), float(sigmoid(z)))


@dataclass(frozen=True, eq=False)
class CrossEntropySteps:
    """The cross-entropy of one example: the probability of its true class and -log of it.

    ``probabilities`` is (K,); for the binary case K = 2, (1 - p, p), so class 1 is the sigmoid's
    p. ``one_hot`` is the label as ``to_categorical`` writes it; sum(-one_hot * log(clipped))
    equals -log(p_true): every other term is multiplied by 0.
    """

    kind: str  # "categorical" or "binary"
    probabilities: np.ndarray  # (K,)
    label: int
    one_hot: np.ndarray  # (K,)
    p_true: float  # probabilities[label]
    clipped: float  # p_true clipped to [EPSILON, 1 - EPSILON], as Keras does
    loss: float  # -log(clipped)


def categorical_cross_entropy_steps(probabilities, label: int) -> CrossEntropySteps:
    """Cross-entropy of one softmax output (K,) against an integer label: -log p[label].

    The number Keras's ``SparseCategoricalCrossentropy`` gives for the label and
    ``CategoricalCrossentropy`` for ``to_categorical(label, K)``.

    >>> steps = categorical_cross_entropy_steps([0.1, 0.7, 0.2], 1)
    >>> steps.one_hot.tolist(), steps.p_true, round(steps.loss, 4)
    ([0.0, 1.0, 0.0], 0.7, 0.3567)
    """
    p = _probabilities(probabilities)
    return _cross_entropy("categorical", p, _label(label, len(p)))


def binary_cross_entropy_steps(probability: float, label: int) -> CrossEntropySteps:
    """Cross-entropy of one sigmoid output p against a label 0 or 1: -(y log p + (1 - y) log(1 - p)).

    One of the two terms is 0, so it is -log p for a 1 and -log(1 - p) for a 0, the number of
    Keras's ``BinaryCrossentropy``.

    >>> round(binary_cross_entropy_steps(0.8, 1).loss, 4), round(binary_cross_entropy_steps(0.8, 0).loss, 4)
    (0.2231, 1.6094)
    """
    p = _one(probability, "probability")
    if not 0.0 <= p <= 1.0:
        raise LabError(N_("a sigmoid output is one probability from 0 to 1, got {value}"), value=probability)
    return _cross_entropy("binary", np.array([1.0 - p, p]), _label(label, 2))


def _cross_entropy(kind: str, p: np.ndarray, label: int) -> CrossEntropySteps:
    one_hot = np.zeros_like(p)
    one_hot[label] = 1.0
    p_true = float(p[label])
    clipped = min(max(p_true, EPSILON), 1.0 - EPSILON)
    return CrossEntropySteps(kind, _frozen(p), label, _frozen(one_hot), p_true, clipped, float(-np.log(clipped)))


def _probabilities(probabilities) -> np.ndarray:
    p = _finite(probabilities, "probabilities")
    if p.ndim != 1 or len(p) < 2 or p.min() < 0 or abs(p.sum() - 1.0) > SUM_TOLERANCE:
        raise LabError(
            N_("probabilities must be a vector of two or more numbers from 0 to 1 that sum to 1, got {values}"),
            values=np.array2string(p, precision=4, threshold=12),
        )
    return p


def _label(label, classes: int) -> int:
    if not is_int(label) or not 0 <= label < classes:
        raise LabError(
            N_("the label must be a class index from 0 to {last}, got {label!r}"), last=classes - 1, label=label
        )
    return int(label)


def _one(value, name: str) -> float:
    x = _finite(value, name)
    if x.size != 1:
        raise LabError(N_("{name} must be one number, got {count}"), name=name, count=x.size)
    return float(x.reshape(-1)[0])


def _finite(values, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise LabError(N_("{name} must be finite numbers, got {values}"), name=name, values=np.array2string(x))
    return x


def _frozen(x: np.ndarray) -> np.ndarray:
    x.flags.writeable = False
    return x
