"""One reader for every digit the app is shown: a drawing, a photo, a camera frame or a row of them.

``read_digit`` answers with a ``DigitReading``: the digit, or ``None`` when the picture holds no
digit, its probabilities, whether the model is sure, what the model saw and, when it is not a
sure digit, why. In steps:

1. prepare the picture twice: as ``prepare_digit`` does, and with its strokes redrawn at MNIST's
   width (``cnn_core.vision.strokes``); no ink at all is "not a digit" straight away;
2. run the model once on both (batch of 2, ``model(x, training=False)``);
3. keep the surer of the two readings (the higher top probability);
4. the default model has an eleventh class, "not a digit"; when it wins, there is no digit. A
   ten-class model (the seed recipe's) can only be unsure;
5. a digit whose probability is under ``THRESHOLD`` is read, but not with confidence.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from cnn_core.i18n import DEFAULT_LANGUAGE, N_, translate
from cnn_core.vision.digits import DigitRow, prepare_digits
from cnn_core.vision.ink import NoDigitError
from cnn_core.vision.strokes import prepare_digit_strokes, row_strokes

DEFAULT_MODEL = "models/digit_reader.keras"  # relative to the repository root
ROOT = Path(__file__).resolve().parents[2]
THRESHOLD = 0.7  # A digit is read with confidence at 70% or more.
DIGITS = 10  # Classes 0-9 are digits; an eleventh class, when the model has one, is "not a digit".

NOT_A_DIGIT = N_('This does not look like a digit: the model gives {other:.0%} to "not a digit".')
NOT_SURE = N_("Not sure: {digit} is the likeliest at only {probability:.0%} (a sure reading needs {threshold:.0%}).")


@dataclass(frozen=True)
class DigitReading:
    """What the reader made of one digit; ``reason`` says why it is not a sure digit."""

    digit: int | None  # None when the picture holds no digit
    probabilities: tuple[float, ...]  # 10 floats, digit i's probability (with a rejection class they sum to <= 1)
    confident: bool
    prepared: np.ndarray  # (28, 28) float32 in [0, 1]: what the model saw
    reason_template: str | None = None  # an English template (for ``translate``), None for a sure digit
    reason_params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def reason(self) -> str | None:
        """Why it is not a sure digit, in English; None for a sure digit."""
        return self.reason_text(DEFAULT_LANGUAGE)

    def reason_text(self, language: str) -> str | None:
        """``reason`` in ``language``."""
        if self.reason_template is None:
            return None
        return translate(self.reason_template, language, **self.reason_params)


@dataclass(frozen=True)
class RowReading:
    """A row of digits ("2026") read left to right; ``row`` is None when no digit was found."""

    readings: tuple[DigitReading, ...]
    row: DigitRow | None
    reason_template: str | None = None
    reason_params: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    @property
    def digits(self) -> tuple[int | None, ...]:
        return tuple(reading.digit for reading in self.readings)


def read_digit(image: np.ndarray, model=None) -> DigitReading:
    """Read one digit from a uint8 image (H, W), (H, W, 3) RGB or (H, W, 4) RGBA.

    ``model`` is a Keras model, a path to one, or None for ``DEFAULT_MODEL``. Raises
    ``ValueError`` for arrays that are not images; a picture without a digit is a reading too.
    """
    try:
        plain, redrawn = prepare_digit_strokes(image)  # (28, 28) each
    except NoDigitError as error:
        return _no_ink(error)
    probabilities = _probabilities(_load(model), np.stack([plain, redrawn]))  # (2, classes)
    return _reading(probabilities[0], plain, probabilities[1], redrawn)


def read_digits(image: np.ndarray, model=None) -> RowReading:
    """Read a row of digits left to right, each like ``read_digit``, in one call of the model."""
    try:
        row = prepare_digits(image)
    except NoDigitError as error:
        reading = _no_ink(error)
        return RowReading((), None, reading.reason_template, reading.reason_params)
    plain, redrawn = row.digits, row_strokes(row)  # (N, 28, 28) each
    probabilities = _probabilities(_load(model), np.concatenate([plain, redrawn]))  # (2N, classes)
    count = len(plain)
    readings = tuple(_reading(probabilities[i], plain[i], probabilities[count + i], redrawn[i]) for i in range(count))
    return RowReading(readings, row)


def _no_ink(error: NoDigitError) -> DigitReading:
    template = getattr(error, "template", str(error))
    params = getattr(error, "params", {})
    empty = np.zeros((28, 28), np.float32)
    return DigitReading(None, (0.0,) * DIGITS, False, empty, template, MappingProxyType(dict(params)))


def _reading(first: np.ndarray, first_image: np.ndarray, second: np.ndarray, second_image: np.ndarray) -> DigitReading:
    """Step 3-5: the surer of two preparations' probabilities, as a reading."""
    probabilities, prepared = (first, first_image) if first.max() >= second.max() else (second, second_image)
    digits = tuple(float(p) for p in probabilities[:DIGITS])
    best = int(np.argmax(probabilities))
    if best >= DIGITS:
        params = {"other": float(probabilities[DIGITS:].sum())}
        return DigitReading(None, digits, False, prepared, NOT_A_DIGIT, MappingProxyType(params))
    if probabilities[best] < THRESHOLD:
        params = {"digit": best, "probability": float(probabilities[best]), "threshold": THRESHOLD}
        return DigitReading(best, digits, False, prepared, NOT_SURE, MappingProxyType(params))
    return DigitReading(best, digits, True, prepared)


def _probabilities(model, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) float32 -> (N, classes) float64 softmax outputs, in one call of the model."""
    outputs = model(images[..., None].astype(np.float32), training=False)  # (N, 28, 28, 1) in
    return np.asarray(outputs, np.float64)


def _load(model):
    if model is None:
        model = DEFAULT_MODEL
    if isinstance(model, (str, Path)):
        path = Path(model)
        return _load_file(str(path if path.is_absolute() else ROOT / path))
    return model


@functools.cache
def _load_file(path: str):
    """A saved Keras model, loaded once per process and path (read-only: never trained further)."""
    import keras

    return keras.saving.load_model(path, compile=False)
