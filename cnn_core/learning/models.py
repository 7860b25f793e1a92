"""Model builders: the seed's MNIST and cats-vs-dogs convnets, and a configurable convnet.

Keras is imported inside each function, so importing this module stays cheap. Every model takes
float32 images scaled to [0, 1], channels last, and starts with a ``keras.Input`` so that the
activation and Grad-CAM tools can reach every layer, even before the model has been called.
"""

from __future__ import annotations

from collections.abc import Sequence

POOLING_MODES = ("max", "average", "none")


def head_units(num_classes: int) -> int:
    """Units of the output layer: one sigmoid unit for two classes, else one softmax unit each.

    >>> head_units(2), head_units(10)
    (1, 10)
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    return 1 if num_classes == 2 else num_classes


def build_convnet(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    filters: Sequence[int] = (32, 64, 64),
    kernel_size: int = 3,
    pooling: str = "max",
    pool_last: bool = False,
    dropout: float = 0.0,
    dense_units: int = 64,
):
    """Build a Conv-Pool stack, then Flatten - [Dropout] - Dense - output, as a Sequential model.

    Each entry of ``filters`` is one conv block (3x3 ReLU conv, "valid" padding). A 2x2 pooling
    layer follows every block but the last, and the last too when ``pool_last`` is true. The
    defaults are the seed's MNIST convnet (93,322 parameters).
    """
    import keras
    from keras import layers

    _check_convnet_args(input_shape, num_classes, filters, kernel_size, pooling, dropout, dense_units)
    model = keras.Sequential(name="convnet")
    model.add(keras.Input(shape=tuple(input_shape), name="image"))
    for i, n_filters in enumerate(filters, start=1):
        model.add(layers.Conv2D(n_filters, kernel_size, activation="relu", name=f"conv2d_{i}"))
        is_last = i == len(filters)
        if pooling != "none" and (pool_last or not is_last):
            pool = layers.MaxPooling2D if pooling == "max" else layers.AveragePooling2D
            model.add(pool(2, name=f"{pooling}_pooling2d_{i}"))
    model.add(layers.Flatten(name="flatten"))
    if dropout > 0:
        model.add(layers.Dropout(dropout, name="dropout"))
    model.add(layers.Dense(dense_units, activation="relu", name="dense"))
    units = head_units(num_classes)
    model.add(layers.Dense(units, activation="sigmoid" if units == 1 else "softmax", name="output"))
    return model


def build_mnist_convnet():
    """The seed's MNIST convnet: Conv 32 - Pool - Conv 64 - Pool - Conv 64 - Dense 64 - Dense 10.

    Input (28, 28, 1), 93,322 parameters.
    """
    model = build_convnet()
    model.name = "mnist_convnet"
    return model


def build_cats_dogs_convnet(dropout: float = 0.0, input_shape: Sequence[int] = (150, 150, 3), num_classes: int = 2):
    """The seed's cats-vs-dogs convnet: four Conv/Pool blocks (32, 64, 128, 128), Dense 512.

    With the default two classes the head is one sigmoid unit and the model has 3,453,121
    parameters; more classes get a softmax head. ``dropout`` (the seed uses 0.5) goes after Flatten.
    """
    model = build_convnet(
        input_shape=input_shape,
        num_classes=num_classes,
        filters=(32, 64, 128, 128),
        pool_last=True,
        dropout=dropout,
        dense_units=512,
    )
    model.name = "cats_dogs_convnet"
    return model


def _check_convnet_args(input_shape, num_classes, filters, kernel_size, pooling, dropout, dense_units):
    if len(input_shape) != 3 or min(input_shape) < 1:
        raise ValueError(f"input_shape must be (height, width, channels), got {tuple(input_shape)}")
    head_units(num_classes)
    if len(filters) < 1 or min(filters) < 1:
        raise ValueError(f"filters needs at least one positive count, got {tuple(filters)}")
    if kernel_size < 1:
        raise ValueError(f"kernel_size must be a positive int, got {kernel_size}")
    if pooling not in POOLING_MODES:
        raise ValueError(f"pooling must be one of {POOLING_MODES}, got {pooling!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    if dense_units < 1:
        raise ValueError(f"dense_units must be a positive int, got {dense_units}")
