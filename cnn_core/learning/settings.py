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
# Validation batches hold about this many input values (16 MB of float32): 256 MNIST digits, or
# 62 cats-and-dogs pictures, whose 150x150x3 batches of 256 would take 69 MB each.
VALIDATION_BATCH_VALUES = 4_194_304


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
    if not is_int(epochs) or not 1 <= epochs <= MAX_EPOCHS:
        raise LabError(N_("epochs must be an int from 1 to {maximum}, got {value!r}"), maximum=MAX_EPOCHS, value=epochs)
    if not is_int(batch_size) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise LabError(
            N_("batch_size must be an int from 1 to {maximum}, got {value!r}"), maximum=MAX_BATCH_SIZE, value=batch_size
        )
    if optimizer not in OPTIMIZERS:
        raise LabError(N_("optimizer must be one of {allowed}, got {value!r}"), allowed=OPTIMIZERS, value=optimizer)
    low, high = LEARNING_RATE_RANGE
    if not isinstance(learning_rate, (int, float)) or not low <= learning_rate <= high:
        raise LabError(
            N_("learning_rate must be a number from {low:g} to {high:g}, got {value!r}"),
            low=low,
            high=high,
            value=learning_rate,
        )


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
    """Batch size for validation and prediction: at least ``batch_size``, about 16 MB of floats.

    >>> validation_batch_size(64, (28, 28, 1)), validation_batch_size(20, (150, 150, 3))
    (256, 62)
    """
    values = 1
    for size in image_shape:
        values *= int(size)
    return max(batch_size, min(256, VALIDATION_BATCH_VALUES // values))
