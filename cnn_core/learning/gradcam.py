"""Grad-CAM: where in the picture the evidence for a class lies (the keras.io recipe)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from cnn_core.i18n import N_, LabError
from cnn_core.learning.activations import conv_layer_names
from cnn_core.learning.graph import as_batch, derived_entry, is_conv, model_graph

if TYPE_CHECKING:
    import keras


def grad_cam(model: keras.Model, image: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Grad-CAM heatmap of the last conv layer for one image: (h, w) float32 in [0, 1].

    The keras.io recipe: the gradient of the class score with respect to the last conv layer's
    maps, averaged over space, weights each map; the weighted sum goes through ReLU and is divided
    by its maximum. The score is the class logit, read before the output layer's softmax or sigmoid
    so a confident prediction does not saturate the gradient. For a single sigmoid unit, class 1 is
    scored by the logit and class 0 by its negative. ``class_index=None`` explains the predicted
    class. Where no position argues for the class, the heatmap is all zeros.
    """
    import tensorflow as tf

    batch = as_batch(model, image)  # (1, H, W, C)
    _, cam_model, head = _grad_cam_model(model, batch.shape[1:])
    with tf.GradientTape() as tape:
        conv_maps, head_input = cam_model(batch, training=False)  # (1, h, w, K), head input
        scores = _logits(head, head_input)[0]  # (units,)
        score = _class_score(scores, class_index, logits=head is not None)
    grads = tape.gradient(score, conv_maps)  # (1, h, w, K)
    weights = tf.reduce_mean(grads, axis=(0, 1, 2))  # (K,)
    heatmap = tf.maximum(conv_maps[0] @ weights[:, None], 0.0)[..., 0].numpy()  # (h, w)
    peak = float(heatmap.max())
    return (heatmap / peak if peak > 0 else np.zeros_like(heatmap)).astype(np.float32)


def last_conv_layer_name(model: keras.Model, image_shape: Sequence[int]) -> str:
    """Name of the last conv layer, the one Grad-CAM explains."""
    names = conv_layer_names(model, image_shape)
    if not names:
        raise LabError(N_("model {name!r} has no Conv2D layer for Grad-CAM"), name=model.name)
    return names[-1]


def _grad_cam_model(model, image_shape):
    """(last conv name, model -> [conv maps, head input], head layer or None if the output is used as is)."""
    import keras

    entry = derived_entry(model)
    if "grad_cam" not in entry:
        graph = model_graph(model, image_shape)
        conv = [(layer, output) for layer, _, output in graph.steps if is_conv(layer)]
        if not conv:
            raise LabError(N_("model {name!r} has no Conv2D layer for Grad-CAM"), name=model.name)
        last_layer, last_input, last_output = graph.steps[-1]
        head = last_layer if _squashing_activation(last_layer) else None
        head_input = last_input if head is not None else last_output
        cam_model = keras.Model(graph.inputs, [conv[-1][1], head_input])
        entry["grad_cam"] = (conv[-1][0].name, cam_model, head)
    return entry["grad_cam"]


def _logits(head, head_input):
    """Class scores before the final softmax/sigmoid (or the output itself when there is no head)."""
    import keras

    if head is None:
        return head_input
    if isinstance(head, keras.layers.Dense):
        logits = keras.ops.matmul(head_input, head.kernel)
        return logits + head.bias if head.bias is not None else logits
    return head_input  # An Activation or Softmax layer: its input is the logits.


def _class_score(scores, class_index, logits: bool):
    """The scalar Grad-CAM differentiates: the chosen (or predicted) class's score."""
    import tensorflow as tf

    units = int(scores.shape[-1])
    classes = 2 if units == 1 else units
    if class_index is not None and not 0 <= class_index < classes:
        raise LabError(
            N_("class_index must be in [0, {classes}) for this model, got {class_index}"),
            classes=classes,
            class_index=class_index,
        )
    if units == 1:
        threshold = 0.0 if logits else 0.5
        index = int(scores[0] > threshold) if class_index is None else class_index
        if index == 1:
            return scores[0]
        return -scores[0] if logits else 1.0 - scores[0]
    index = int(tf.argmax(scores)) if class_index is None else class_index
    return scores[index]


def _squashing_activation(layer) -> bool:
    import keras

    squash = (keras.activations.softmax, keras.activations.sigmoid)
    if isinstance(layer, keras.layers.Softmax):
        return True
    if isinstance(layer, (keras.layers.Dense, keras.layers.Activation)):
        return getattr(layer, "activation", None) in squash
    return False
