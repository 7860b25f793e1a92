"""Filter patterns by gradient ascent: the input each filter responds to most (DLwP 5.4.2)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cnn_core.i18n import N_, LabError
from cnn_core.learning.graph import derived_entry, input_hwc, known_input_shape, model_graph

if TYPE_CHECKING:
    import keras


DEFAULT_ASCENT_STEPS = 40


# The book steps 1 grey level (1/255 of the range) per iteration on VGG16. Our small models
# respond more weakly, and at 1/255 their deeper filters' patterns are still mostly noise after
# 40 steps; 0.02 of the [0, 1] range gives clear patterns in the same number of steps.
DEFAULT_ASCENT_STEP_SIZE = 0.02


@dataclass(frozen=True)
class FilterPattern:
    """The input that maximises one filter's mean activation, found by gradient ascent."""

    layer_name: str
    filter_index: int
    image: np.ndarray  # (H, W, C) uint8, contrast-stretched for display as in the book
    losses: tuple[float, ...]  # the filter's mean activation before each ascent step


def filter_patterns(
    model: keras.Model,
    layer_name: str,
    filter_indices: Sequence[int],
    steps: int = DEFAULT_ASCENT_STEPS,
    step_size: float = DEFAULT_ASCENT_STEP_SIZE,
    seed: int = 0,
) -> Iterator[FilterPattern]:
    """Yield, filter by filter, the input pattern each chosen filter of ``layer_name`` responds to most.

    Deep Learning with Python 5.4.2: start from a grey image with a little noise, then ``steps``
    times add ``step_size`` times the gradient of the filter's mean activation, normalized to RMS
    1. One change from the book: a conv layer with a ReLU is scored before its ReLU, since a filter
    that does not fire on the grey start would otherwise get a zero gradient and stay grey. The
    result is contrast-stretched for display (mean 0.5, std 0.1). Each filter's noise comes
    from ``(seed, filter_index)``, so a pattern does not depend on which others are asked for.
    Being a generator lets a page advance a progress bar as each pattern arrives.
    """
    import tensorflow as tf

    if steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps}")
    if not step_size > 0:
        raise ValueError(f"step_size must be positive, got {step_size}")
    shape = input_hwc(known_input_shape(model))
    ascent_step, filters = _ascent_step(model, layer_name, shape)
    for index in filter_indices:
        if not 0 <= int(index) < filters:
            raise LabError(
                N_("filter_index must be in [0, {filters}) for layer {layer!r}, got {index}"),
                filters=filters,
                layer=layer_name,
                index=index,
            )
    for index in filter_indices:
        rng = np.random.default_rng([seed, int(index)])
        image = tf.constant(rng.random((1, *shape)) * 20 / 255 + 128 / 255, dtype=tf.float32)
        losses = []
        for _ in range(steps):
            loss, image = ascent_step(image, tf.constant(int(index)), tf.constant(step_size, tf.float32))
            losses.append(float(loss))
        yield FilterPattern(layer_name, int(index), deprocess_pattern(image.numpy()[0]), tuple(losses))


def deprocess_pattern(pattern: np.ndarray) -> np.ndarray:
    """The book's display stretch: standardize, scale to std 0.1 around 0.5, clip, to uint8.

    >>> deprocess_pattern(np.array([[[0.0], [1.0]]]))[..., 0]  # z = -1, +1: 0.4 and just under 0.6, of 255
    array([[102, 152]], dtype=uint8)
    """
    x = np.asarray(pattern, dtype=np.float64)
    x = (x - x.mean()) / (x.std() + 1e-5) * 0.1 + 0.5
    return (np.clip(x, 0, 1) * 255).astype(np.uint8)


def _ascent_step(model, layer_name: str, image_shape):
    """A compiled gradient-ascent step for ``layer_name`` (cached), and the layer's filter count."""
    import keras
    import tensorflow as tf

    entry = derived_entry(model)
    steps = entry.setdefault("ascent", {})
    if layer_name not in steps:
        graph = model_graph(model, image_shape)
        found = [step for step in graph.steps if step[0].name == layer_name]
        if not found or len(found[0][2].shape) != 4:
            choices = [layer.name for layer, _, output in graph.steps if len(output.shape) == 4]
            raise LabError(
                N_("layer_name must name a layer with (H, W, C) maps, one of {choices}; got {layer!r}"),
                choices=choices,
                layer=layer_name,
            )
        layer, layer_input, layer_output = found[0]
        # A ReLU conv is ascended on its response before the ReLU: a filter that is silent on the
        # grey start image would otherwise have a zero gradient and never move.
        linear = isinstance(layer, keras.layers.Conv2D) and layer.activation is not keras.activations.linear
        feature_model = keras.Model(graph.inputs, layer_input if linear else layer_output)

        @tf.function
        def ascent_step(image, filter_index, step_size):
            with tf.GradientTape() as tape:
                tape.watch(image)
                maps = feature_model(image, training=False)
                maps = _conv_response(layer, maps) if linear else maps  # (1, h, w, K)
                loss = tf.reduce_mean(tf.gather(maps, filter_index, axis=-1))
            grads = tape.gradient(loss, image)
            grads /= tf.sqrt(tf.reduce_mean(tf.square(grads))) + 1e-5  # RMS-normalize, as the book does.
            return loss, image + step_size * grads

        filters = int(layer_output.shape[-1])
        steps[layer_name] = (ascent_step, filters)
    return steps[layer_name]


def _conv_response(layer, inputs):
    """A Conv2D layer's output before its activation: convolution plus bias."""
    import keras

    response = layer.convolution_op(inputs, layer.kernel)
    return response if layer.bias is None else response + keras.ops.reshape(layer.bias, (1, 1, 1, -1))
