"""A model's layers as a symbolic graph, and the models derived from it, cached per model object."""

from __future__ import annotations

import hashlib
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cnn_core.i18n import N_, LabError

if TYPE_CHECKING:
    import keras


_derived: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_derived_lock = threading.Lock()


@dataclass(frozen=True)
class Graph:
    """A model's layers in call order with their symbolic inputs and outputs, from one input."""

    inputs: object  # the KerasTensor the derived models start from
    steps: tuple  # ((layer, symbolic input, symbolic output), ...)


def derived_entry(model) -> dict:
    with _derived_lock:
        entry = _derived.get(model)
        if entry is None:
            entry = _derived[model] = {}
        return entry


def model_graph(model, image_shape: tuple[int, ...]) -> Graph:
    entry = derived_entry(model)
    if "graph" not in entry:
        entry["graph"] = _build_graph(model, image_shape)
    return entry["graph"]


def _build_graph(model, image_shape) -> Graph:
    """Sequential: replay the layers on a fresh Input, which also works for a never-called model.

    Functional: read each layer's first (and usually only) node. Layers inside nested models stay
    hidden: a functional graph cannot output a tensor from inside a nested model.
    """
    import keras

    if isinstance(model, keras.Sequential):
        inputs = keras.Input(shape=tuple(image_shape), name="activations_input")
        tensor, steps = inputs, []
        for layer in _sequential_layers(model):
            output = layer(tensor)
            steps.append((layer, tensor, output))
            tensor = output
        return Graph(inputs, tuple(steps))
    if not _is_functional(model):
        raise LabError(
            N_(
                "model {model!r} is a subclassed {kind}; only Sequential and functional models expose their "
                "layers' outputs"
            ),
            model=model.name,
            kind=type(model).__name__,
        )
    steps = tuple(
        (layer, layer.input, layer.output) for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)
    )
    return Graph(model.inputs[0], steps)


def _sequential_layers(model):
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Sequential):
            yield from _sequential_layers(layer)
        else:
            yield layer


def _is_functional(model) -> bool:
    try:
        return bool(model.inputs) and len(model.inputs) > 0
    except (AttributeError, ValueError):
        return False


def is_conv(layer) -> bool:
    from keras import layers

    return isinstance(layer, (layers.Conv2D, layers.SeparableConv2D, layers.DepthwiseConv2D))


def is_feature_layer(layer, output) -> bool:
    from keras import layers

    pooling = isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D))
    return (is_conv(layer) or pooling) and len(output.shape) == 4


def _model_input_shape(model) -> tuple | None:
    """The model's declared (H, W, C) input, or None for a Sequential model never built or called."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    if len(inputs) != 1:
        raise LabError(
            N_("model {model!r} has {count} inputs; only one image input is supported"),
            model=model.name,
            count=len(inputs),
        )
    return tuple(inputs[0].shape[1:])


def known_input_shape(model) -> tuple | None:
    """The declared input shape, else the one a never-called Sequential model was first shown."""
    declared = _model_input_shape(model)
    if declared is not None:
        return declared
    entry = derived_entry(model)
    return tuple(entry["graph"].inputs.shape[1:]) if "graph" in entry else None


def check_image_shape(model, image_shape) -> tuple[int, ...]:
    image_shape = tuple(int(size) for size in image_shape)
    expected = known_input_shape(model)
    if expected is not None and (
        len(expected) != len(image_shape) or any(e is not None and e != s for e, s in zip(expected, image_shape))
    ):
        raise LabError(
            N_("the image is {shape} but model {model!r} takes {expected}"),
            shape=image_shape,
            model=model.name,
            expected=expected,
        )
    return image_shape


def as_batch(model, image) -> np.ndarray:
    """(H, W) or (H, W, C) image -> (1, H, W, C) float32, checked against the model's input."""
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3:
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {pixels.shape}")
    check_image_shape(model, pixels.shape)
    return pixels[None]


def input_hwc(input_shape) -> tuple[int, int, int]:
    if input_shape is None:
        raise LabError(N_("the model has no defined input shape yet; build it or call it once first"))
    shape = tuple(input_shape)
    if len(shape) != 3 or any(size is None for size in shape) or shape[-1] not in (1, 3):
        raise LabError(N_("the model input must be (H, W, 1) or (H, W, 3) with fixed sizes, got {shape}"), shape=shape)
    return shape


def model_fingerprint(model: keras.Model) -> str:
    """A digest of the model's architecture and weights, to key caches of results computed from it.

    Unlike ``id(model)``, which Python reuses after an object dies, two models share a fingerprint
    only if they compute the same function.
    """
    digest = hashlib.blake2b(digest_size=16)
    digest.update(model.to_json().encode())
    for weights in model.get_weights():
        digest.update(str(weights.shape).encode())
        digest.update(np.ascontiguousarray(weights).tobytes())
    return digest.hexdigest()
