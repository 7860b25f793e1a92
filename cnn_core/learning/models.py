"""Model builders: the seed's MNIST and cats-vs-dogs convnets, and a configurable convnet.

Keras is imported inside each function, so importing this module stays cheap. Every model takes
float32 images scaled to [0, 1], channels last, and starts with a ``keras.Input`` so that the
activation and Grad-CAM tools can reach every layer, even before the model has been called.
"""

from __future__ import annotations

from collections.abc import Sequence

from cnn_core.learning.architecture import LayerSpec, convnet_layers


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
    defaults are the seed's MNIST convnet (93,322 parameters). The layers are those of
    ``architecture.convnet_layers`` with the same arguments, one Keras layer per ``LayerSpec``.
    """
    import keras

    specs = convnet_layers(input_shape, num_classes, filters, kernel_size, pooling, pool_last, dropout, dense_units)
    model = keras.Sequential(name="convnet")
    model.add(keras.Input(shape=tuple(int(size) for size in input_shape), name="image"))
    for spec in specs:
        model.add(keras_layer(spec))
    return model


def keras_layer(spec: LayerSpec):
    """The Keras layer a ``LayerSpec`` describes."""
    from keras import layers

    if spec.kind == "Conv2D":
        return layers.Conv2D(spec.units, spec.window, activation=spec.activation, name=spec.name)
    if spec.kind in ("MaxPooling2D", "AveragePooling2D"):
        return getattr(layers, spec.kind)(spec.window, name=spec.name)
    if spec.kind == "Flatten":
        return layers.Flatten(name=spec.name)
    if spec.kind == "Dropout":
        return layers.Dropout(spec.rate, name=spec.name)
    if spec.kind == "Dense":
        return layers.Dense(spec.units, activation=spec.activation, name=spec.name)
    raise ValueError(f"no Keras layer for a {spec.kind!r} spec; kinds: Conv2D, pooling, Flatten, Dropout, Dense")


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
