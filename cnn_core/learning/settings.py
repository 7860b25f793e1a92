"""Training settings: their allowed ranges, the optimizer by name and the loss that fits a model's head.

A ``TrainingSettings`` is checked once, when it is made, and then trusted by everything that
trains with it::

    >>> TrainingSettings(epochs=5, batch_size=64, optimizer="rmsprop", learning_rate=0.001).epochs
    5
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.i18n import N_, LabError
from cnn_core.ops.checks import is_int

OPTIMIZERS = ("rmsprop", "adam", "sgd")
LEARNING_RATE_RANGE = (1e-6, 1.0)
MAX_EPOCHS = 100
MAX_BATCH_SIZE = 4096
# Validation batches hold about this many input values (4 MB of float32): 256 MNIST digits, or
# 15 cats-and-dogs pictures (or the training batch, if larger), whose 150x150x3 batches of 256 would take 69 MB each.
VALIDATION_BATCH_VALUES = 1_048_576
# Keras's own default learning rate of each optimizer (keras.optimizers.RMSprop(), Adam(), SGD());
# a test reads them from the installed Keras.
DEFAULT_LEARNING_RATES = {"rmsprop": 0.001, "adam": 0.001, "sgd": 0.01}


@dataclass(frozen=True)
class TrainingSettings:
    """How to train: epochs, batch size, optimizer name and learning rate, checked on creation."""

    epochs: int = 5
    batch_size: int = 64
    optimizer: str = "rmsprop"
    learning_rate: float = 1e-3

    def __post_init__(self):
        check_settings(self.epochs, self.batch_size, self.optimizer, self.learning_rate)


def check_settings(epochs: int, batch_size: int, optimizer: str, learning_rate: float) -> None:
    """Raise ``LabError`` (a ``ValueError``) naming the first training setting that is out of range.

    >>> check_settings(5, 64, "rmsprop", 0.001)
    >>> check_settings(0, 64, "rmsprop", 0.001)
    Traceback (most recent call last):
    ...
    cnn_core.i18n.LabError: epochs must be an int from 1 to 100, got 0
    """
    problems = setting_problems(epochs, batch_size, optimizer, learning_rate)
    if problems:
        raise next(iter(problems.values()))


def setting_problems(epochs: int, batch_size: int, optimizer: str, learning_rate: float) -> dict[str, LabError]:
    """Each out-of-range setting by its argument name, with its error, so a page can show it by its field.

    >>> sorted(setting_problems(0, 64, "rmsprop", 5.0))
    ['epochs', 'learning_rate']
    """
    problems = {}
    if not is_int(epochs) or not 1 <= epochs <= MAX_EPOCHS:
        problems["epochs"] = LabError(
            N_("epochs must be an int from 1 to {maximum}, got {value!r}"), maximum=MAX_EPOCHS, value=epochs
        )
    if not is_int(batch_size) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        problems["batch_size"] = LabError(
            N_("batch_size must be an int from 1 to {maximum}, got {value!r}"), maximum=MAX_BATCH_SIZE, value=batch_size
        )
    if optimizer not in OPTIMIZERS:
        problems["optimizer"] = LabError(
            N_("optimizer must be one of {allowed}, got {value!r}"), allowed=OPTIMIZERS, value=optimizer
        )
    low, high = LEARNING_RATE_RANGE
    if not isinstance(learning_rate, (int, float)) or not low <= learning_rate <= high:
        problems["learning_rate"] = LabError(
            N_("learning_rate must be a number from {low:g} to {high:g}, got {value!r}"),
            low=low,
            high=high,
            value=learning_rate,
        )
    return problems


def make_optimizer(name: str, learning_rate: float):
    """A fresh Keras optimizer by name: "rmsprop" (the seed's), "adam" or "sgd"."""
    import keras

    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")
    classes = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    return classes[name](learning_rate=learning_rate)


def loss_for(model) -> str:
    """The loss matching the model's head: binary cross-entropy for one sigmoid unit, else sparse."""
    return "binary_crossentropy" if model.output_shape[-1] == 1 else "sparse_categorical_crossentropy"


def validation_batch_size(batch_size: int, image_shape) -> int:
    """Batch size for validation and prediction: at least ``batch_size``, about 4 MB of floats.

    Larger batches predict no faster on a CPU, and a worker's memory peaks at its final
    evaluation: at 150x150 a batch of 62 took it about 200 MB above its training.

    >>> validation_batch_size(64, (28, 28, 1)), validation_batch_size(20, (150, 150, 3))
    (256, 20)
    """
    values = 1
    for size in image_shape:
        values *= int(size)
    return max(batch_size, min(256, VALIDATION_BATCH_VALUES // values))
