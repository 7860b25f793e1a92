"""A model's results on test data: probabilities, predicted labels, loss, accuracy, confusion matrix."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np

from cnn_core.data.rows import as_rows
from cnn_core.i18n import N_, LabError


@dataclass
class Evaluation:
    """A model's results on a test set: loss, accuracy, predicted labels, confusion matrix."""

    loss: float
    accuracy: float
    labels: np.ndarray  # (N,) int, the truth
    predictions: np.ndarray  # (N,) int
    confusion: np.ndarray  # (K, K) int, rows true, columns predicted

    @property
    def misclassified(self) -> np.ndarray:
        """Indices of the wrongly predicted examples."""
        return misclassified_indices(self.labels, self.predictions)


def predict_proba(model, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Class probabilities (N, K), or (N, 1) for a sigmoid head, scaled like training.

    ``images`` (N, H, W) or (N, H, W, C): uint8 (divided by 255) or float in [0, 1]. The model is
    called directly, ``model(x, training=False)``, batch by batch: for one image this is several
    times faster than ``model.predict``, which sets up a whole input pipeline per call.
    """
    images = as_rows(images)  # A worker's RowFile reads each batch from its file.
    input_shape = tuple(model.input_shape[1:])  # (H, W, C)
    add_channel = images.ndim == len(input_shape)
    shape = images.shape[1:] + ((1,) if add_channel else ())
    if len(shape) != len(input_shape) or any(e is not None and e != s for e, s in zip(input_shape, shape)):
        raise LabError(
            N_("the images are {shape} but model {model!r} takes {expected}"),
            shape=images.shape[1:],
            model=model.name,
            expected=input_shape,
        )
    outputs = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype(np.float32)  # (B, H, W[, C])
        if images.dtype == np.uint8:
            batch /= 255.0
        outputs.append(np.asarray(model(batch[..., None] if add_channel else batch, training=False), dtype=np.float32))
    return np.concatenate(outputs)


def class_probabilities(model, image: np.ndarray) -> np.ndarray:
    """The model's class probabilities for one image, (num_classes,); a sigmoid unit gives [1-p, p]."""
    output = predict_proba(model, np.asarray(image)[None])[0].astype(np.float64)
    return np.array([1.0 - output[0], output[0]]) if output.size == 1 else output


def labels_from_proba(proba: np.ndarray) -> np.ndarray:
    """Predicted labels: argmax, or ``p >= 0.5`` for a one-unit sigmoid head.

    >>> labels_from_proba(np.array([[0.1, 0.9], [0.8, 0.2]])).tolist()
    [1, 0]
    >>> labels_from_proba(np.array([[0.3], [0.7]])).tolist()
    [0, 1]
    """
    if proba.shape[-1] == 1:
        return (proba[:, 0] >= 0.5).astype(np.int64)
    return proba.argmax(axis=-1)


def cross_entropy(proba: np.ndarray, labels: np.ndarray, epsilon: float = 1e-7) -> float:
    """Mean cross-entropy of probabilities against int labels, clipped like Keras.

    >>> round(cross_entropy(np.array([[0.5, 0.5], [0.9, 0.1]]), np.array([0, 0])), 4)
    0.3993
    """
    proba = np.clip(proba.astype(np.float64), epsilon, 1.0 - epsilon)
    labels = np.asarray(labels).astype(np.int64)
    if proba.shape[-1] == 1:
        p = proba[:, 0]
        return float(-np.mean(labels * np.log(p) + (1 - labels) * np.log(1 - p)))
    return float(-np.mean(np.log(proba[np.arange(len(labels)), labels])))


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts (K, K): row = true class, column = predicted class.

    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 0, 1]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    true, predicted = np.asarray(true).astype(np.int64), np.asarray(predicted).astype(np.int64)
    if true.shape != predicted.shape:
        raise ValueError(f"true and predicted labels differ in shape: {true.shape} vs {predicted.shape}")
    for name, values in (("true", true), ("predicted", predicted)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} labels must be in [0, {num_classes}), got {values.min()}..{values.max()}")
    counts = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(counts, (true, predicted), 1)
    return counts


def misclassified_indices(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Indices where the prediction differs from the truth.

    >>> misclassified_indices(np.array([3, 1, 4, 1]), np.array([3, 7, 4, 2])).tolist()
    [1, 3]
    """
    return np.flatnonzero(np.asarray(true) != np.asarray(predicted))


def evaluate(model, images: np.ndarray, labels: np.ndarray, num_classes: int, batch_size: int = 256) -> Evaluation:
    """Loss, accuracy, predictions and confusion matrix of ``model`` on a test set."""
    proba = predict_proba(model, images, batch_size)  # (N, K)
    predictions = labels_from_proba(proba)
    labels = np.asarray(labels).astype(np.int64)
    return Evaluation(
        loss=cross_entropy(proba, labels),
        accuracy=float(np.mean(predictions == labels)),
        labels=labels,
        predictions=predictions,
        confusion=confusion_matrix(labels, predictions, num_classes),
    )


def history_to_csv(history: dict[str, list[float]], epochs_done: float | None = None) -> str:
    """A Keras-style history as CSV text: one row per epoch, an ``epoch`` column first.

    When ``epochs_done`` says the last epoch was cut short (a stopped run: 1.4 epochs), a
    ``fraction_of_epoch`` column gives each row's share of a full epoch (1 for whole ones).

    >>> print(history_to_csv({"loss": [0.5, 0.25], "accuracy": [0.8, 0.9]}), end="")
    epoch,loss,accuracy
    1,0.5,0.8
    2,0.25,0.9
    >>> print(history_to_csv({"loss": [0.5, 0.25]}, epochs_done=1.4), end="")
    epoch,fraction_of_epoch,loss
    1,1,0.5
    2,0.4,0.25
    """
    keys = list(history)
    rows = max((len(values) for values in history.values()), default=0)
    partial = epochs_done is not None and rows > 0 and epochs_done < rows - 1e-9
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *(["fraction_of_epoch"] if partial else []), *keys])
    for i in range(rows):
        share = []
        if partial:
            share = ["1" if i < rows - 1 else f"{epochs_done - (rows - 1):.3g}"]
        writer.writerow([i + 1, *share, *(repr(history[key][i]) if i < len(history[key]) else "" for key in keys)])
    return out.getvalue()
