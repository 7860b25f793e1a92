"""Inside a trained convnet: every layer's feature maps, the seed's display grid, Grad-CAM, filter patterns.

The seed ends by opening up its cats-vs-dogs network: it builds a model whose outputs are the first
eight layers' outputs, runs one cat picture through it, and lays every channel out 16 per row.
``layer_activations`` and ``activation_grid`` do the same for any Sequential or functional model.
``grad_cam`` answers "where did the model look?" (the keras.io recipe) and ``filter_patterns``
answers "what does this filter respond to?" by gradient ascent in input space (Deep Learning with
Python, 1st edition, section 5.4.2).

Keras and TensorFlow load inside the functions that need them. The derived models (the
multi-output activation model, the Grad-CAM model, the ascent step) are cached per model object in
a ``WeakKeyDictionary``: they share the model's weight variables, so they stay right when the model
trains further, and they disappear with the model.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

if TYPE_CHECKING:
    import keras

# A channel whose spread is below a millionth of its magnitude is flat: float32 activations carry
# about seven significant digits, so such a spread is rounding noise, not signal.
FLAT_CHANNEL_RTOL = 1e-6
DEFAULT_ASCENT_STEPS = 40
# The book steps 1 grey level (1/255 of the range) per iteration on VGG16. Our small models
# respond more weakly, and at 1/255 their deeper filters' patterns are still mostly noise after
# 40 steps; 0.02 of the [0, 1] range gives clear patterns in the same number of steps.
DEFAULT_ASCENT_STEP_SIZE = 0.02

_derived: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_derived_lock = threading.Lock()


@dataclass(frozen=True)
class FilterPattern:
    """The input that maximises one filter's mean activation, found by gradient ascent."""

    layer_name: str
    filter_index: int
    image: np.ndarray  # (H, W, C) uint8, contrast-stretched for display as in the book
    losses: tuple[float, ...]  # the filter's mean activation before each ascent step


# ---------------------------------------------------------------------------------------------
# Feature maps
# ---------------------------------------------------------------------------------------------


def layer_activations(model: "keras.Model", image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Feature maps of every conv and pooling layer for one image, in order: [(name, (H, W, C))].

    ``image`` is (H, W) or (H, W, C) float in [0, 1], shaped as the model's input. One call of a
    cached multi-output model computes every map at once (a direct call, not ``predict``).
    """
    import keras

    batch = _as_batch(model, image)  # (1, H, W, C)
    names, activation_model = _activation_model(model, batch.shape[1:])
    outputs = activation_model(batch, training=False)
    if len(names) == 1:
        outputs = [outputs]  # A one-output functional model returns a tensor, not a list.
    return [(name, keras.ops.convert_to_numpy(out)[0]) for name, out in zip(names, outputs)]


def feature_layer_names(model: "keras.Model", image_shape: Sequence[int]) -> list[str]:
    """Names of the conv and pooling layers whose maps ``layer_activations`` returns."""
    return list(_activation_model(model, _check_image_shape(model, image_shape))[0])


def conv_layer_names(model: "keras.Model", image_shape: Sequence[int]) -> list[str]:
    """Names of the conv layers, first to last (the layers Grad-CAM and filter patterns use)."""
    graph = _graph(model, _check_image_shape(model, image_shape))
    return [layer.name for layer, _, _ in graph.steps if _is_conv(layer)]


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


def first_conv_kernel(model: "keras.Model", image_shape: Sequence[int]) -> np.ndarray:
    """The first conv layer's kernel, (kh, kw, C, F): what the model looks for in raw pixels."""
    graph = _graph(model, _check_image_shape(model, image_shape))
    for layer, _, _ in graph.steps:
        if _is_conv(layer):
            return np.asarray(layer.get_weights()[0])
    raise ValueError(f"model {model.name!r} has no Conv2D layer")


def prepare_image(image: np.ndarray, input_shape: Sequence[int]) -> np.ndarray:
    """Turn a uint8 (H, W) or (H, W, 3) picture into a model input: float32 (h, w, c) in [0, 1].

    Colour is converted to what the model takes (luma for one channel, repeated grey for three)
    and the picture is resized to (h, w) without keeping its aspect ratio, as the seed's
    ``load_img(target_size=...)`` does.
    """
    from cnn_core import images

    height, width, channels = _input_hwc(input_shape)
    pixels = np.asarray(image)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[-1] != 3) or min(pixels.shape[:2]) < 1:
        raise ValueError(f"image must be (H, W) grey or (H, W, 3) RGB, got shape {pixels.shape}")
    pixels = pixels.astype(np.uint8)
    if channels == 1 and pixels.ndim == 3:
        # ITU-R 601 luma, the weights PIL's convert("L") uses.
        pixels = np.rint(pixels @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    if channels == 3 and pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    if pixels.shape[:2] != (height, width):
        pixels = images.resize(pixels, (height, width))
    return (pixels.astype(np.float32) / 255.0).reshape(height, width, channels)


# ---------------------------------------------------------------------------------------------
# Grad-CAM and predictions
# ---------------------------------------------------------------------------------------------


def class_probabilities(model: "keras.Model", image: np.ndarray) -> np.ndarray:
    """The model's class probabilities for one image, (num_classes,); a sigmoid unit gives [1-p, p]."""
    import keras

    output = keras.ops.convert_to_numpy(model(_as_batch(model, image), training=False))[0]
    output = output.reshape(-1).astype(np.float64)
    return np.array([1.0 - output[0], output[0]]) if output.size == 1 else output


def grad_cam(model: "keras.Model", image: np.ndarray, class_index: int | None = None) -> np.ndarray:
    """Grad-CAM heatmap of the last conv layer for one image: (h, w) float32 in [0, 1].

    The keras.io recipe: the gradient of the class score with respect to the last conv layer's
    maps, averaged over space, weights each map; the weighted sum goes through ReLU and is divided
    by its maximum. The score is the class logit, read before the output layer's softmax or sigmoid
    so a confident prediction does not saturate the gradient. For a single sigmoid unit, class 1 is
    scored by the logit and class 0 by its negative. ``class_index=None`` explains the predicted
    class. Where no position argues for the class, the heatmap is all zeros.
    """
    import tensorflow as tf

    batch = _as_batch(model, image)  # (1, H, W, C)
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


def last_conv_layer_name(model: "keras.Model", image_shape: Sequence[int]) -> str:
    """Name of the last conv layer, the one Grad-CAM explains."""
    names = conv_layer_names(model, image_shape)
    if not names:
        raise ValueError(f"model {model.name!r} has no Conv2D layer for Grad-CAM")
    return names[-1]


# ---------------------------------------------------------------------------------------------
# Filter patterns by gradient ascent
# ---------------------------------------------------------------------------------------------


def filter_patterns(
    model: "keras.Model",
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
    shape = _input_hwc(_known_input_shape(model))
    ascent_step, filters = _ascent_step(model, layer_name, shape)
    for index in filter_indices:
        if not 0 <= int(index) < filters:
            raise ValueError(f"filter_index must be in [0, {filters}) for layer {layer_name!r}, got {index}")
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


def model_fingerprint(model: "keras.Model") -> str:
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


# ---------------------------------------------------------------------------------------------
# Pictures and figures (pure: arrays in, arrays or plotly figures out)
# ---------------------------------------------------------------------------------------------


def colorize(values: np.ndarray, colorscale: str = "viridis") -> np.ndarray:
    """Map a uint8 (H, W) array through a plotly colorscale: (H, W, 3) uint8 RGB."""
    values = np.asarray(values)
    if values.ndim != 2 or values.dtype != np.uint8:
        raise ValueError(f"values must be a 2-D uint8 array, got {values.dtype} of shape {values.shape}")
    return _lookup_table(colorscale)[values]


def grid_picture(grid: np.ndarray, cell_shape: tuple[int, int], scale: int = 1) -> np.ndarray:
    """A coloured activation grid for display: viridis, enlarged ``scale`` times, cells split by white lines."""
    if scale < 1:
        raise ValueError(f"scale must be a positive int, got {scale}")
    picture = colorize(grid).repeat(scale, axis=0).repeat(scale, axis=1)  # (rows*H*s, cols*W*s, 3)
    cell_h, cell_w = cell_shape[0] * scale, cell_shape[1] * scale
    if scale > 1:  # Lines at scale 1 would hide a whole row of a small map's pixels.
        picture[cell_h::cell_h] = 255
        picture[:, cell_w::cell_w] = 255
    return picture


def display_scale(width: int, target_width: int = 960, max_scale: int = 16) -> int:
    """Integer enlargement that brings ``width`` pixels close to ``target_width`` without passing it.

    >>> display_scale(48), display_scale(416), display_scale(2368)
    (16, 2, 1)
    """
    return int(np.clip(target_width // max(width, 1), 1, max_scale))


def overlay_heatmap(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.4) -> np.ndarray:
    """Grad-CAM overlay: the heatmap in jet, resized to the image and blended in: (H, W, 3) uint8.

    ``image`` is float in [0, 1] or uint8, (H, W), (H, W, 1) or (H, W, 3); ``heatmap`` is (h, w)
    in [0, 1]. Each output pixel is ``(1 - alpha) * image + alpha * jet(heatmap)``.
    """
    from cnn_core import images

    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    rgb = _as_rgb_uint8(image)
    heat = np.asarray(heatmap, dtype=np.float64)
    if heat.ndim != 2:
        raise ValueError(f"heatmap must be (h, w), got shape {heat.shape}")
    heat8 = np.uint8(np.rint(255 * np.clip(heat, 0, 1)))
    heat8 = images.resize(heat8, rgb.shape[:2])  # (H, W)
    blended = (1 - alpha) * rgb + alpha * colorize(heat8, "jet")
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def channel_figure(channel: np.ndarray, title: str):
    """One feature map as a heatmap with hover values and a colour bar of its real range."""
    import plotly.graph_objects as go

    channel = np.asarray(channel, dtype=np.float32)
    figure = go.Figure(go.Heatmap(z=channel, colorscale="Viridis", hovertemplate="row %{y}, col %{x}: %{z:.4f}<extra></extra>"))
    figure.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    figure.update_xaxes(constrain="domain")
    figure.update_layout(title=title, height=420, margin=dict(l=10, r=10, t=40, b=10))
    return figure


def kernels_figure(kernel: np.ndarray, columns: int = 8):
    """The first conv layer's kernels (kh, kw, C, F) as F small pictures.

    One input channel: weights on a red-blue scale centred on 0, with hover values. Three input
    channels: RGB pictures, all kernels min-max scaled together so their colours compare.
    """
    import plotly.express as px

    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 4:
        raise ValueError(f"kernel must be (kh, kw, C, F), got shape {kernel.shape}")
    filters = kernel.shape[-1]
    columns = max(1, min(columns, filters))
    if kernel.shape[2] == 3:
        low, high = float(kernel.min()), float(kernel.max())
        scaled = (kernel - low) / (high - low) if high > low else np.full_like(kernel, 0.5)
        pictures = np.rint(np.moveaxis(scaled, -1, 0) * 255).astype(np.uint8)  # (F, kh, kw, 3)
        figure = px.imshow(pictures, facet_col=0, facet_col_wrap=columns, facet_row_spacing=0.02, facet_col_spacing=0.01)
    else:
        pictures = np.moveaxis(kernel.mean(axis=2), -1, 0)  # (F, kh, kw)
        limit = float(np.abs(pictures).max()) or 1.0
        figure = px.imshow(
            pictures, facet_col=0, facet_col_wrap=columns, zmin=-limit, zmax=limit,
            color_continuous_scale="RdBu_r", facet_row_spacing=0.02, facet_col_spacing=0.01,
        )
    figure.for_each_annotation(lambda a: a.update(text=f"filter {int(a.text.split('=')[-1])}"))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    rows = -(-filters // columns)
    figure.update_layout(height=110 * rows + 60, margin=dict(l=10, r=10, t=30, b=10))
    return figure


# ---------------------------------------------------------------------------------------------
# Internals: the symbolic graph of a model, and the models derived from it
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Graph:
    """A model's layers in call order with their symbolic inputs and outputs, from one input."""

    inputs: object  # the KerasTensor the derived models start from
    steps: tuple  # ((layer, symbolic input, symbolic output), ...)


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


def _derived_entry(model) -> dict:
    with _derived_lock:
        entry = _derived.get(model)
        if entry is None:
            entry = _derived[model] = {}
        return entry


def _graph(model, image_shape: tuple[int, ...]) -> _Graph:
    entry = _derived_entry(model)
    if "graph" not in entry:
        entry["graph"] = _build_graph(model, image_shape)
    return entry["graph"]


def _build_graph(model, image_shape) -> _Graph:
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
        return _Graph(inputs, tuple(steps))
    if not _is_functional(model):
        raise ValueError(
            f"model {model.name!r} is a subclassed {type(model).__name__}; only Sequential and "
            "functional models expose their layers' outputs"
        )
    steps = tuple(
        (layer, layer.input, layer.output)
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    )
    return _Graph(model.inputs[0], steps)


def _sequential_layers(model):
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.Sequential):
            yield from _sequential_layers(layer)
        else:
            yield layer


def _activation_model(model, image_shape):
    import keras

    entry = _derived_entry(model)
    if "activations" not in entry:
        graph = _graph(model, image_shape)
        picked = [(layer.name, output) for layer, _, output in graph.steps if _is_feature_layer(layer, output)]
        if not picked:
            raise ValueError(f"model {model.name!r} has no Conv2D or 2-D pooling layer to show")
        names = tuple(name for name, _ in picked)
        entry["activations"] = (names, keras.Model(graph.inputs, [output for _, output in picked]))
    return entry["activations"]


def _grad_cam_model(model, image_shape):
    """(last conv name, model -> [conv maps, head input], head layer or None if the output is used as is)."""
    import keras

    entry = _derived_entry(model)
    if "grad_cam" not in entry:
        graph = _graph(model, image_shape)
        conv = [(layer, output) for layer, _, output in graph.steps if _is_conv(layer)]
        if not conv:
            raise ValueError(f"model {model.name!r} has no Conv2D layer for Grad-CAM")
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
        raise ValueError(f"class_index must be in [0, {classes}) for this model, got {class_index}")
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


def _ascent_step(model, layer_name: str, image_shape):
    """A compiled gradient-ascent step for ``layer_name`` (cached), and the layer's filter count."""
    import keras
    import tensorflow as tf

    entry = _derived_entry(model)
    steps = entry.setdefault("ascent", {})
    if layer_name not in steps:
        graph = _graph(model, image_shape)
        found = [step for step in graph.steps if step[0].name == layer_name]
        if not found or len(found[0][2].shape) != 4:
            choices = [layer.name for layer, _, output in graph.steps if len(output.shape) == 4]
            raise ValueError(f"layer_name must name a layer with (H, W, C) maps, one of {choices}; got {layer_name!r}")
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


def _is_functional(model) -> bool:
    try:
        return bool(model.inputs) and len(model.inputs) > 0
    except (AttributeError, ValueError):
        return False


def _is_conv(layer) -> bool:
    from keras import layers

    return isinstance(layer, (layers.Conv2D, layers.SeparableConv2D, layers.DepthwiseConv2D))


def _is_feature_layer(layer, output) -> bool:
    from keras import layers

    pooling = isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D))
    return (_is_conv(layer) or pooling) and len(output.shape) == 4


def _model_input_shape(model) -> tuple | None:
    """The model's declared (H, W, C) input, or None for a Sequential model never built or called."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    if len(inputs) != 1:
        raise ValueError(f"model {model.name!r} has {len(inputs)} inputs; only one image input is supported")
    return tuple(inputs[0].shape[1:])


def _known_input_shape(model) -> tuple | None:
    """The declared input shape, else the one a never-called Sequential model was first shown."""
    declared = _model_input_shape(model)
    if declared is not None:
        return declared
    entry = _derived_entry(model)
    return tuple(entry["graph"].inputs.shape[1:]) if "graph" in entry else None


def _check_image_shape(model, image_shape) -> tuple[int, ...]:
    image_shape = tuple(int(size) for size in image_shape)
    expected = _known_input_shape(model)
    if expected is not None and (
        len(expected) != len(image_shape) or any(e is not None and e != s for e, s in zip(expected, image_shape))
    ):
        raise ValueError(f"the image is {image_shape} but model {model.name!r} takes {expected}")
    return image_shape


def _as_batch(model, image) -> np.ndarray:
    """(H, W) or (H, W, C) image -> (1, H, W, C) float32, checked against the model's input."""
    pixels = np.asarray(image, dtype=np.float32)
    if pixels.ndim == 2:
        pixels = pixels[..., None]
    if pixels.ndim != 3:
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {pixels.shape}")
    _check_image_shape(model, pixels.shape)
    return pixels[None]


def _input_hwc(input_shape) -> tuple[int, int, int]:
    if input_shape is None:
        raise ValueError("the model has no defined input shape yet; build it or call it once first")
    shape = tuple(input_shape)
    if len(shape) != 3 or any(size is None for size in shape) or shape[-1] not in (1, 3):
        raise ValueError(f"the model input must be (H, W, 1) or (H, W, 3) with fixed sizes, got {shape}")
    return shape


def _as_rgb_uint8(image) -> np.ndarray:
    pixels = np.asarray(image)
    if pixels.dtype != np.uint8:
        pixels = np.rint(np.clip(pixels.astype(np.float64), 0, 1) * 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=-1)
    if pixels.ndim != 3 or pixels.shape[-1] != 3:
        raise ValueError(f"image must be (H, W), (H, W, 1) or (H, W, 3), got shape {np.shape(image)}")
    return pixels


@functools.lru_cache(maxsize=8)
def _lookup_table(colorscale: str) -> np.ndarray:
    """A 256-entry RGB table interpolated from a plotly colorscale's stops."""
    from plotly.colors import get_colorscale, unlabel_rgb, hex_to_rgb

    stops = get_colorscale(colorscale)
    positions = np.array([position for position, _ in stops])
    colors = np.array([
        hex_to_rgb(color) if color.startswith("#") else unlabel_rgb(color) for _, color in stops
    ], dtype=np.float64)
    levels = np.linspace(0, 1, 256)
    table = np.stack([np.interp(levels, positions, colors[:, i]) for i in range(3)], axis=-1)
    return np.rint(table).astype(np.uint8)
