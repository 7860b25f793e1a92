"""Every conv and pooling layer's feature maps for one image, and the seed's grid of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cnn_core.i18n import N_, LabError
from cnn_core.learning.graph import as_batch, check_image_shape, derived_entry, is_conv, is_feature_layer, model_graph

if TYPE_CHECKING:
    import keras


# A channel whose spread is below a millionth of its magnitude is flat: float32 activations carry
# about seven significant digits, so such a spread is rounding noise, not signal.
FLAT_CHANNEL_RTOL = 1e-6


def layer_activations(model: keras.Model, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Feature maps of every conv and pooling layer for one image, in order: [(name, (H, W, C))].

    ``image`` is (H, W) or (H, W, C) float in [0, 1], shaped as the model's input. One call of a
    cached multi-output model computes every map at once (a direct call, not ``predict``).
    """
    import keras

    batch = as_batch(model, image)  # (1, H, W, C)
    names, activation_model = _activation_model(model, batch.shape[1:])
    outputs = activation_model(batch, training=False)
    if len(names) == 1:
        outputs = [outputs]  # A one-output functional model returns a tensor, not a list.
    return [(name, keras.ops.convert_to_numpy(out)[0]) for name, out in zip(names, outputs)]


def probe_activations(model: keras.Model, images: np.ndarray) -> dict[str, np.ndarray]:
    """Every conv and pooling layer's maps for a batch of images: {name: (N, H, W, C)}.

    ``images`` are (N, H, W[, C]), uint8 (scaled by 1/255 as in training) or float in [0, 1].
    """
    import keras

    batch = np.asarray(images)
    batch = batch.astype(np.float32) / 255.0 if batch.dtype == np.uint8 else batch.astype(np.float32)
    if batch.ndim == 3:
        batch = batch[..., None]  # (N, H, W, 1)
    check_image_shape(model, batch.shape[1:])
    names, activation_model = _activation_model(model, batch.shape[1:])
    outputs = activation_model(batch, training=False)
    if len(names) == 1:
        outputs = [outputs]
    return {name: keras.ops.convert_to_numpy(out) for name, out in zip(names, outputs)}


def feature_layer_names(model: keras.Model, image_shape: Sequence[int]) -> list[str]:
    """Names of the conv and pooling layers whose maps ``layer_activations`` returns."""
    return list(_activation_model(model, check_image_shape(model, image_shape))[0])


def conv_layer_names(model: keras.Model, image_shape: Sequence[int]) -> list[str]:
    """Names of the conv layers, first to last (the layers Grad-CAM and filter patterns use)."""
    graph = model_graph(model, check_image_shape(model, image_shape))
    return [layer.name for layer, _, _ in graph.steps if is_conv(layer)]


def activation_grid(activation: np.ndarray, images_per_row: int = 16) -> np.ndarray:
    """Lay out the channels of an (H, W, C) feature map as the seed does: (rows*H, cols*W) uint8.

    Each channel is standardized, then mapped to ``z * 64 + 128`` and clipped to 0-255 (so the
    channel mean shows as 128 and two standard deviations either side span the range). A flat
    channel, such as a ReLU that never fired, shows as a uniform 128 where the seed divides by a
    zero std. Channels fill rows of ``images_per_row`` cells (fewer if there are fewer channels);
    the cells after the last channel of a partial last row stay 0.

    >>> a = np.zeros((2, 2, 3)); a[0, 0, 0] = 1.0  # channel 0: one bright pixel; 1 and 2: flat
    >>> activation_grid(a, images_per_row=2)
    array([[238,  91, 128, 128],
           [ 91,  91, 128, 128],
           [128, 128,   0,   0],
           [128, 128,   0,   0]], dtype=uint8)
    """
    values = np.asarray(activation, dtype=np.float32)
    if values.ndim != 3 or min(values.shape) < 1:
        raise ValueError(f"activation must be (H, W, C) with no empty axis, got shape {values.shape}")
    if images_per_row < 1:
        raise ValueError(f"images_per_row must be a positive int, got {images_per_row}")
    height, width, channels = values.shape
    mean, std, peak = _channel_stats(values)
    live = std > FLAT_CHANNEL_RTOL * peak
    # z * 64 + 128 folded into one multiply-add per pixel: cells = values * scale + offset.
    scale = np.divide(64.0, std, out=np.zeros_like(std), where=live)  # 0 for a flat channel
    offset = 128.0 - mean * scale
    cells = values * scale.astype(np.float32) + offset.astype(np.float32)  # (H, W, C)
    cells = np.clip(cells, 0, 255, out=cells).astype(np.uint8)  # Truncates, as the seed's astype does.
    cols = min(images_per_row, channels)
    rows = -(-channels // cols)
    padded = np.zeros((height, width, rows * cols), dtype=np.uint8)
    padded[..., :channels] = cells
    grid = padded.reshape(height, width, rows, cols).transpose(2, 0, 3, 1)  # (rows, H, cols, W)
    return grid.reshape(rows * height, cols * width)


def flat_channels(activation: np.ndarray) -> np.ndarray:
    """Which channels of an (H, W, C) map are flat (the same value everywhere): (C,) bool.

    >>> flat_channels(np.stack([np.eye(2), np.zeros((2, 2)), np.full((2, 2), 0.7)], axis=-1))
    array([False,  True,  True])
    """
    _, std, peak = _channel_stats(np.asarray(activation, dtype=np.float32))
    return ~(std > FLAT_CHANNEL_RTOL * peak)


@dataclass(frozen=True)
class MapSparsity:
    """How much of one layer's maps responded to an image: the note's "deeper layers keep fewer features"."""

    name: str
    shape: tuple[int, int, int]  # (H, W, C)
    values: int  # H * W * C
    active_share: float  # the share of values above 0
    blank_channels: int  # channels with no value above 0: filters that found nothing in this image


def activation_sparsity(activations: Sequence[tuple[str, np.ndarray]]) -> list[MapSparsity]:
    """Per layer of ``layer_activations``' output: its size, the share of active values and the blank channels.

    After ReLU a value is 0 where the filter's pattern is absent; a channel that is 0 everywhere is
    one of the blank squares of the note's last grids.

    >>> maps = np.zeros((2, 2, 3)); maps[0, 0, 0] = 1.0; maps[:, :, 1] = 0.5
    >>> activation_sparsity([("conv", maps)])
    [MapSparsity(name='conv', shape=(2, 2, 3), values=12, active_share=0.4166666666666667, blank_channels=1)]
    """
    rows = []
    for name, maps in activations:
        maps = np.asarray(maps)
        if maps.ndim != 3:
            raise ValueError(f"the maps of {name!r} must be (H, W, C), got shape {maps.shape}")
        active = maps > 0
        blank = int((~active.any(axis=(0, 1))).sum())
        rows.append(MapSparsity(name, tuple(int(n) for n in maps.shape), int(maps.size), float(active.mean()), blank))
    return rows


def first_conv_kernel(model: keras.Model, image_shape: Sequence[int]) -> np.ndarray:
    """The first conv layer's kernel, (kh, kw, C, F): what the model looks for in raw pixels."""
    graph = model_graph(model, check_image_shape(model, image_shape))
    for layer, _, _ in graph.steps:
        if is_conv(layer):
            return np.asarray(layer.get_weights()[0])
    raise LabError(N_("model {name!r} has no Conv2D layer"), name=model.name)


def _channel_stats(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-channel mean, std and largest magnitude of an (H, W, C) array, each (C,) float64.

    The variance is E[x^2] - E[x]^2 accumulated in float64: one pass over the pixels instead of
    the three of ``np.std``, and exact enough for float32 data.
    """
    pixels = values.reshape(-1, values.shape[-1])  # (H*W, C)
    mean = pixels.mean(axis=0, dtype=np.float64)
    mean_square = np.einsum("pc,pc->c", pixels, pixels, dtype=np.float64) / pixels.shape[0]
    std = np.sqrt(np.maximum(mean_square - mean * mean, 0.0))
    peak = np.maximum(pixels.max(axis=0), -pixels.min(axis=0)).astype(np.float64)
    return mean, std, peak


def _activation_model(model, image_shape):
    import keras

    entry = derived_entry(model)
    if "activations" not in entry:
        graph = model_graph(model, image_shape)
        picked = [(layer.name, output) for layer, _, output in graph.steps if is_feature_layer(layer, output)]
        if not picked:
            raise LabError(N_("model {name!r} has no Conv2D or 2-D pooling layer to show"), name=model.name)
        names = tuple(name for name, _ in picked)
        entry["activations"] = (names, keras.Model(graph.inputs, [output for _, output in picked]))
    return entry["activations"]
