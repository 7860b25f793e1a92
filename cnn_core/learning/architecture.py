"""A convnet's layers from ``build_convnet``'s arguments, with every shape and parameter count, before Keras builds it.

``convnet_layers`` is the one description of the configurable convnet: ``build_convnet`` turns
each ``LayerSpec`` into a Keras layer and ``keras_code`` into a line of Python, so the model, its
listing and the numbers on the pages cannot drift apart. Nothing here imports Keras.

    >>> [(spec.name, spec.output_shape, spec.params) for spec in convnet_layers()][:3]
    [('conv2d_1', (26, 26, 32), 320), ('max_pooling2d_1', (13, 13, 32), 0), ('conv2d_2', (11, 11, 64), 18496)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cnn_core.i18n import N_, LabError
from cnn_core.ops.checks import is_int
from cnn_core.ops.shapes import conv_output_size

POOLING_MODES = ("max", "average", "none")
# The pooling window of every block: 2x2 with stride 2 halves each side, as in the note.
POOL_SIZE = 2


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the convnet: its Keras class, settings, output shape and parameter count.

    ``units`` is the filter count of a Conv2D and the unit count of a Dense; ``window`` the kernel
    or pool size; ``strides`` 1 for a conv and the pool size for a pooling; ``rate`` the Dropout's.
    ``output_shape`` leaves out the batch axis: (H, W, C) or (units,).
    """

    name: str
    kind: str  # "Conv2D", "MaxPooling2D", "AveragePooling2D", "Flatten", "Dropout" or "Dense"
    output_shape: tuple[int, ...]
    params: int
    units: int | None = None
    window: int | None = None
    strides: int | None = None
    activation: str | None = None
    rate: float | None = None


def head_units(num_classes: int) -> int:
    """Units of the output layer: one sigmoid unit for two classes, else one softmax unit each.

    >>> head_units(2), head_units(10)
    (1, 10)
    """
    if not is_int(num_classes) or num_classes < 2:
        raise ValueError(f"num_classes must be an int of at least 2, got {num_classes!r}")
    return 1 if num_classes == 2 else num_classes


def conv_params(kernel_size: int, channels_in: int, filters: int) -> int:
    """Weights of a conv layer with biases: (k * k * C_in + 1) * filters, one bias per filter.

    >>> conv_params(3, 1, 32), conv_params(3, 32, 64)
    (320, 18496)
    """
    return (kernel_size * kernel_size * channels_in + 1) * filters


def dense_params(inputs: int, units: int) -> int:
    """Weights of a Dense layer with biases: (inputs + 1) * units.

    >>> dense_params(576, 64), dense_params(3 * 3 * 64, 64) == dense_params(576, 64)
    (36928, True)
    """
    return (inputs + 1) * units


def convnet_layers(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    filters: Sequence[int] = (32, 64, 64),
    kernel_size: int = 3,
    pooling: str = "max",
    pool_last: bool = False,
    dropout: float = 0.0,
    dense_units: int = 64,
) -> list[LayerSpec]:
    """The layers ``build_convnet`` builds for these arguments, in order, with shapes and parameters.

    Each entry of ``filters`` is one block: a ReLU conv (``kernel_size``, stride 1, Keras's default
    padding="valid", so each side shrinks by k - 1), then a 2x2 pooling unless it is the last
    block and ``pool_last`` is false or ``pooling`` is "none". Then Flatten, Dropout when
    ``dropout`` > 0, a ReLU Dense of ``dense_units`` and the output layer (``head_units``).
    Raises ``ValueError`` when the maps shrink to nothing before Flatten.
    """
    check_convnet_args(input_shape, num_classes, filters, kernel_size, pooling, dropout, dense_units)
    height, width, channels = (int(size) for size in input_shape)
    specs = []
    for i, n_filters in enumerate(filters, start=1):
        height, width = (_fit(size, kernel_size, 1, f"conv2d_{i}", input_shape) for size in (height, width))
        params = conv_params(kernel_size, channels, n_filters)
        channels = n_filters
        specs.append(
            LayerSpec(f"conv2d_{i}", "Conv2D", (height, width, channels), params, n_filters, kernel_size, 1, "relu")
        )
        if pooling != "none" and (pool_last or i < len(filters)):
            name = f"{pooling}_pooling2d_{i}"
            height, width = (_fit(size, POOL_SIZE, POOL_SIZE, name, input_shape) for size in (height, width))
            kind = "MaxPooling2D" if pooling == "max" else "AveragePooling2D"
            specs.append(LayerSpec(name, kind, (height, width, channels), 0, window=POOL_SIZE, strides=POOL_SIZE))
    flat = height * width * channels
    specs.append(LayerSpec("flatten", "Flatten", (flat,), 0))
    if dropout > 0:
        specs.append(LayerSpec("dropout", "Dropout", (flat,), 0, rate=float(dropout)))
    specs.append(
        LayerSpec("dense", "Dense", (dense_units,), dense_params(flat, dense_units), dense_units, activation="relu")
    )
    units = head_units(num_classes)
    head = "sigmoid" if units == 1 else "softmax"
    specs.append(LayerSpec("output", "Dense", (units,), dense_params(dense_units, units), units, activation=head))
    return specs


@dataclass(frozen=True)
class PoolingSaving:
    """What pooling saves: the maps Flatten receives and the first Dense layer's weights, with and without it."""

    pooled_maps: tuple[int, int, int]  # (H, W, C) before Flatten, with pooling
    unpooled_maps: tuple[int, int, int]  # the same convs with no pooling layer at all
    dense_units: int
    dense_pooled: int  # (H * W * C + 1) * units with pooling
    dense_unpooled: int
    total_pooled: int  # the whole model's parameters
    total_unpooled: int

    @property
    def ratio(self) -> float:
        """How many times more weights the first Dense layer needs without pooling."""
        return self.dense_unpooled / self.dense_pooled


def pooling_saving(**convnet_arguments) -> PoolingSaving:
    """The first Dense layer's weight count with the arguments' pooling and with pooling="none".

    The note's MNIST convnet: 3x3x64 = 576 inputs with pooling, 22x22x64 = 30,976 without.

    >>> saving = pooling_saving()
    >>> saving.pooled_maps, saving.dense_pooled, saving.unpooled_maps, saving.dense_unpooled
    ((3, 3, 64), 36928, (22, 22, 64), 1982528)
    >>> saving.total_pooled, saving.total_unpooled, round(saving.ratio, 1)
    (93322, 2038922, 53.7)
    """
    pooled = convnet_layers(**convnet_arguments)
    unpooled = convnet_layers(**{**convnet_arguments, "pooling": "none"})
    dense = next(spec for spec in pooled if spec.name == "dense").units
    return PoolingSaving(
        _maps_before_flatten(pooled),
        _maps_before_flatten(unpooled),
        dense,
        next(spec.params for spec in pooled if spec.name == "dense"),
        next(spec.params for spec in unpooled if spec.name == "dense"),
        sum(spec.params for spec in pooled),
        sum(spec.params for spec in unpooled),
    )


def check_convnet_args(input_shape, num_classes, filters, kernel_size, pooling, dropout, dense_units) -> None:
    """Raise ``ValueError`` naming the first of ``build_convnet``'s arguments that is out of range."""
    if len(input_shape) != 3 or not all(is_int(size) and size >= 1 for size in input_shape):
        raise ValueError(f"input_shape must be (height, width, channels) of positive ints, got {tuple(input_shape)}")
    head_units(num_classes)
    if len(filters) < 1 or not all(is_int(count) and count >= 1 for count in filters):
        raise ValueError(f"filters needs at least one positive count, got {tuple(filters)}")
    if not is_int(kernel_size) or kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive int, got {kernel_size!r}")
    if pooling not in POOLING_MODES:
        raise ValueError(f"pooling must be one of {POOLING_MODES}, got {pooling!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if not is_int(dense_units) or dense_units < 1:
        raise ValueError(f"dense_units must be a positive int, got {dense_units!r}")


def _fit(size: int, window: int, strides: int, name: str, input_shape) -> int:
    try:
        return conv_output_size(size, window, strides)
    except ValueError:
        raise LabError(
            N_(
                "the maps are {size} wide at {name}, too small for its {window}x{window} window: "
                "input {shape} is too small for this many blocks"
            ),
            size=size,
            name=name,
            window=window,
            shape=tuple(input_shape),
        ) from None


def _maps_before_flatten(specs: list[LayerSpec]) -> tuple[int, int, int]:
    return next(spec for spec in reversed(specs) if len(spec.output_shape) == 3).output_shape
