"""Train models/mnist_convnet_augmented.keras: the seed's MNIST convnet with light augmentation.

Run from the repository root::

    python -m scripts.train_mnist_augmented            # train, save, then report
    python -m scripts.train_mnist_augmented --report   # only report on the saved models

The architecture is ``cnn_core.build_mnist_convnet()`` and the recipe is the seed's (RMSprop,
batch 64, inputs / 255), with one change: every training batch is randomly rotated (up to ±15°),
zoomed (±12%) and shifted (±8%), filled with black like MNIST's background, through the app's one
training path (``cnn_core.train`` with an ``AugmentSettings``). MNIST stays uint8 in memory.
Seeds are fixed, so a rerun on the same machine and library versions gives the same model.

The report gives the clean MNIST test accuracy and the accuracy on synthetic camera snapshots
(``cnn_core.synthetic_snapshot``) read through ``cnn_core.prepare_digit``, plain and
with the digits slanted first, for this model and, when present, the seed-recipe model
``models/mnist_convnet.keras``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

SEED = 2026
EPOCHS = 10
BATCH_SIZE = 64
ROTATION_DEGREES = 15.0
ZOOM = 0.12
SHIFT = 0.08
MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
OUTPUT = MODELS_DIR / "mnist_convnet_augmented.keras"
SEED_MODEL = MODELS_DIR / "mnist_convnet.keras"
SNAPSHOTS = 1000
PROBE_DIGITS = (3, 2, 1, 18, 4, 8, 11, 0)  # test digits a 0, 1, ... 7, as scripts/train_mnist.py watches


AUGMENTATION = dict(
    rotation_range=ROTATION_DEGREES,
    width_shift_range=SHIFT,
    height_shift_range=SHIFT,
    zoom_range=ZOOM,
    fill_mode="constant",
    cval=0.0,
)


def train(epochs: int = EPOCHS, seed: int = SEED):
    """Train the seed's convnet on augmented MNIST, watched epoch by epoch through a few test digits.

    Returns the ``TrainResult`` (model, seconds, history and its ``snapshots``, every weight kept)
    and the probe digits.
    """
    import keras
    import tensorflow as tf

    from cnn_core import AugmentSettings, build_mnist_convnet, load_mnist
    from cnn_core import train as train_model

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    (x_train, y_train), (x_test, _y_test) = load_mnist()
    probes = x_test[list(PROBE_DIGITS)]  # watched only: the test digits never steer training
    result = train_model(
        build_mnist_convnet,
        (x_train, y_train),
        epochs=epochs,
        batch_size=BATCH_SIZE,
        optimizer="rmsprop",
        learning_rate=1e-3,
        augmentation=AugmentSettings(**AUGMENTATION),
        seed=seed,
        watch=probes,
        watch_weights=True,
    )
    return result, probes


def clean_accuracy(model, batch_size: int = 1000) -> float:
    """Accuracy on MNIST's 10,000 clean test digits, scaled per batch."""
    from cnn_core import load_mnist, predict_proba

    _, (x_test, y_test) = load_mnist()
    predicted = predict_proba(model, x_test, batch_size).argmax(axis=1)
    return float(np.mean(predicted == y_test))


def snapshot_accuracy(model, count: int = SNAPSHOTS, slant: float = 0.0, seed: int = SEED) -> float:
    """Accuracy on synthetic camera snapshots of the first ``count`` MNIST test digits.

    ``slant`` > 0 first shears each digit by a random factor in [-slant, slant], the way writers
    outside MNIST slant their digits; augmentation never shears, so this tests generalization.
    """
    from cnn_core import load_mnist, predict_proba, prepare_digit, synthetic_snapshot

    _, (x_test, y_test) = load_mnist()
    rng = np.random.default_rng(seed)
    prepared = []
    for digit in x_test[:count]:
        if slant:
            digit = slanted(digit, rng.uniform(-slant, slant))
        prepared.append(prepare_digit(synthetic_snapshot(digit, rng)))
    predicted = np.argmax(predict_proba(model, np.stack(prepared)), axis=1)
    return float(np.mean(predicted == y_test[:count]))


def slanted(digit: np.ndarray, shear: float) -> np.ndarray:
    """Shear a (28, 28) digit horizontally about its centre: x' = x + shear * (y - 14); (28, 56) out."""
    import cv2

    matrix = np.float32([[1, shear, 14 - 14 * shear], [0, 1, 0]])  # also moves it 14 pixels right
    return cv2.warpAffine(digit, matrix, (56, 28), flags=cv2.INTER_LINEAR)


def report(paths: list[Path]) -> None:
    """Print clean and snapshot accuracy for each model file that exists."""
    import keras

    for path in paths:
        if not path.is_file():
            print(f"{path.name}: not found, skipped")
            continue
        model = keras.models.load_model(path, compile=False)
        print(
            f"{path.name}: clean MNIST test accuracy {clean_accuracy(model):.4f}; on {SNAPSHOTS} synthetic "
            f"snapshots {snapshot_accuracy(model):.4f}, slanted by up to ±0.35 {snapshot_accuracy(model, slant=0.35):.4f}"
        )


def main(argv: list[str] | None = None) -> None:
    """Command line: train and save (default), or only report with ``--report``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--report", action="store_true", help="skip training; report on the saved models")
    args = parser.parse_args(argv)
    if not args.report:
        from cnn_core.learning.snapshots import save_epoch_snapshots

        result, probes = train(epochs=args.epochs)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        result.model.save(args.output)
        history_path = args.output.with_name(f"{args.output.stem}_epochs.npz")
        save_epoch_snapshots(history_path, result.snapshots, probes)
        print(f"saved {args.output} and {history_path.name} after {result.seconds / 60:.1f} min ({args.epochs} epochs)")
        for epoch, (loss, accuracy) in enumerate(zip(result.history["loss"], result.history["accuracy"]), 1):
            print(f"epoch {epoch}: loss {loss:.4f}, accuracy {accuracy:.4f}")
    report([args.output, SEED_MODEL])


if __name__ == "__main__":
    main()
