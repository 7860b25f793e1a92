"""The Keras code behind a convnet the widgets describe: the Sequential listing, ``compile`` and ``fit``.

The layers come from ``architecture.convnet_layers``, the same list ``build_convnet`` builds from,
so running the listing's model part builds the app's model layer for layer. The loss is the one
``settings.loss_for`` picks for the head, and the labels are the app's sparse integer labels; a
comment says what the note's ``to_categorical`` one-hot labels would need instead.

    >>> keras_code().splitlines()[5].strip()
    'keras.Input(shape=(28, 28, 1), name="image"),'
"""

from __future__ import annotations

from collections.abc import Sequence

from cnn_core.learning.architecture import LayerSpec, convnet_layers, head_units
from cnn_core.learning.settings import TrainingSettings

OPTIMIZER_CLASSES = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD"}

# The note's models, as keras_code arguments: the MNIST convnet with its fit settings, and the
# cats-vs-dogs convnet (Adam, learning rate 0.001, batches of 20) plain for 30 epochs and with
# Dropout(0.5) for 100, as the note trains them.
NOTE_MODELS = {
    "mnist": dict(),
    "cats_dogs": dict(
        input_shape=(150, 150, 3),
        num_classes=2,
        filters=(32, 64, 128, 128),
        pool_last=True,
        dense_units=512,
        optimizer="adam",
        epochs=30,
        batch_size=20,
    ),
    "cats_dogs_dropout": dict(
        input_shape=(150, 150, 3),
        num_classes=2,
        filters=(32, 64, 128, 128),
        pool_last=True,
        dropout=0.5,
        dense_units=512,
        optimizer="adam",
        epochs=100,
        batch_size=20,
    ),
}


def keras_code(
    input_shape: Sequence[int] = (28, 28, 1),
    num_classes: int = 10,
    filters: Sequence[int] = (32, 64, 64),
    kernel_size: int = 3,
    pooling: str = "max",
    pool_last: bool = False,
    dropout: float = 0.0,
    dense_units: int = 64,
    optimizer: str = "rmsprop",
    learning_rate: float = 1e-3,
    epochs: int = 5,
    batch_size: int = 64,
) -> str:
    """The Python listing that builds, compiles and fits ``build_convnet(...)`` with these arguments.

    The first eight arguments are ``build_convnet``'s, the last four the training settings
    (checked as ``TrainingSettings``). Each layer line ends with its output shape as a comment.
    """
    settings = TrainingSettings(epochs, batch_size, optimizer, learning_rate)
    specs = convnet_layers(input_shape, num_classes, filters, kernel_size, pooling, pool_last, dropout, dense_units)
    return "\n".join(
        [
            *model_code_lines(input_shape, specs),
            "",
            *_compile_lines(num_classes, settings),
            "",
            *_fit_lines(input_shape, num_classes, settings),
        ]
    )


def model_code_lines(input_shape: Sequence[int], specs: Sequence[LayerSpec]) -> list[str]:
    """The imports and the ``keras.Sequential([...])`` of these layers, one line each."""
    shape = tuple(int(size) for size in input_shape)
    lines = ["import keras", "from keras import layers", "", "model = keras.Sequential(", "    ["]
    lines.append(f'        keras.Input(shape={shape}, name="image"),')
    for spec in specs:
        if spec.kind == "Conv2D" and spec.name == specs[0].name:
            k = spec.window
            lines.append(
                f'        # padding="valid" is Keras\'s default: no zeros added, so each {k}x{k} conv takes '
                f"{k} - 1 = {k - 1} off the height and the width."
            )
        lines.append(f"        {_layer_code(spec)},  # -> {_shape_text(spec.output_shape)}")
    lines += ["    ],", '    name="convnet",', ")", "model.summary()"]
    return lines


def _layer_code(spec: LayerSpec) -> str:
    name = f'name="{spec.name}"'
    if spec.kind == "Conv2D":
        return f'layers.Conv2D({spec.units}, {spec.window}, activation="{spec.activation}", {name})'
    if spec.kind in ("MaxPooling2D", "AveragePooling2D"):
        return f"layers.{spec.kind}({spec.window}, {name})"
    if spec.kind == "Flatten":
        return f"layers.Flatten({name})"
    if spec.kind == "Dropout":
        return f"layers.Dropout({spec.rate:g}, {name})"
    return f'layers.Dense({spec.units}, activation="{spec.activation}", {name})'


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def loss_name(num_classes: int) -> str:
    """The loss ``settings.loss_for`` gives this head: binary for one sigmoid unit, else sparse categorical.

    >>> loss_name(2), loss_name(10)
    ('binary_crossentropy', 'sparse_categorical_crossentropy')
    """
    return "binary_crossentropy" if head_units(num_classes) == 1 else "sparse_categorical_crossentropy"


def _compile_lines(num_classes: int, settings: TrainingSettings) -> list[str]:
    optimizer = OPTIMIZER_CLASSES[settings.optimizer]
    loss = loss_name(num_classes)
    lines = ["model.compile("]
    lines.append(f"    optimizer=keras.optimizers.{optimizer}(learning_rate={settings.learning_rate:g}),")
    if loss == "sparse_categorical_crossentropy":
        lines.append(
            f"    # Labels are integers 0 to {num_classes - 1}; one-hot labels (to_categorical) "
            "would take categorical_crossentropy."
        )
    lines += [f'    loss="{loss}",', '    metrics=["accuracy"],', ")"]
    return lines


def _fit_lines(input_shape: Sequence[int], num_classes: int, settings: TrainingSettings) -> list[str]:
    h, w, c = (int(size) for size in input_shape)
    labels = "0 or 1" if head_units(num_classes) == 1 else f"0 to {num_classes - 1}"
    return [
        f"# x_train: (N, {h}, {w}, {c}) float32 in [0, 1]; y_train: (N,) integer labels {labels}.",
        "history = model.fit(",
        "    x_train,",
        "    y_train,",
        f"    epochs={settings.epochs},",
        f"    batch_size={settings.batch_size},",
        "    validation_data=(x_val, y_val),",
        ")",
    ]
