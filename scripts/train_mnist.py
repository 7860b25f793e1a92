"""Train the shipped MNIST convnet with the seed's recipe, reproducibly.

    python -m scripts.train_mnist                       # writes models/mnist_convnet.keras
    python -m scripts.train_mnist --epochs 1 --train-size 2000 --output /tmp/small.keras

The recipe is the seed's: the Conv 32 - Pool - Conv 64 - Pool - Conv 64 - Dense 64 - Dense 10
model, rmsprop (learning rate 0.001), batch 64, 5 epochs, inputs / 255, all 60,000 training
digits, the 10,000 test digits watched after each epoch as in the seed (they never steer training).
Python, NumPy and TensorFlow are seeded and TensorFlow's ops are made deterministic, so the same
command on the same software gives the same weights.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "models" / "mnist_convnet.keras"
SEED = 42
# Test digits whose maps the epoch snapshots keep: the first 0, 1, ... of the test set's opening.
PROBE_DIGITS = (3, 2, 1, 18, 4, 8, 11, 0)  # a 0, 1, 2, 3, 4, 5, 6 and 7


class PrintProgress:
    """A progress sink that prints one line per epoch, as a notebook user might write one."""

    def begin(self, epochs: int, steps_per_epoch: int) -> None:
        print(f"training {epochs} epochs of {steps_per_epoch} batches", flush=True)

    def batch(self, epoch: int, step: int, logs: dict) -> None:
        pass

    def epoch(self, epoch: int, step: int, logs: dict) -> None:
        metrics = "  ".join(f"{key} {value:.4f}" for key, value in logs.items())
        print(f"epoch {epoch + 1}: {metrics}", flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to save the .keras model")
    parser.add_argument("--epochs", type=int, default=5, help="epochs (the seed's recipe: 5)")
    parser.add_argument(
        "--train-size", type=int, default=60000, help="use only the first N training digits (for quick checks)"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="seed for Python, NumPy, TensorFlow and shuffling")
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    """Train, evaluate on the 10,000 test digits, save; returns the figures it printed."""
    args = parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    from cnn_core import build_mnist_convnet, evaluate, load_mnist, subset, train
    from cnn_core.learning.snapshots import save_epoch_snapshots

    # 1. Seeds and deterministic ops, before anything draws a random number.
    keras.utils.set_random_seed(args.seed)
    tf.config.experimental.enable_op_determinism()

    # 2. Data, kept uint8; scaled by 1/255 per batch inside tf.data.
    (x_train, y_train), (x_test, y_test) = load_mnist()
    x_train, y_train = subset(x_train, y_train, args.train_size)

    # 3. The seed's model and recipe, watched through a few test digits epoch by epoch.
    probes = x_test[list(PROBE_DIGITS)]
    result = train(
        build_mnist_convnet,
        (x_train, y_train),
        (x_test, y_test),
        epochs=args.epochs,
        batch_size=64,
        optimizer="rmsprop",
        learning_rate=1e-3,
        progress=PrintProgress(),
        seed=args.seed,
        watch=probes,
        watch_weights=True,
    )

    # 4. Evaluate and save.
    evaluation = evaluate(result.model, x_test, y_test, num_classes=10)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    result.model.save(args.output)
    history_path = args.output.with_name(f"{args.output.stem}_epochs.npz")
    save_epoch_snapshots(history_path, result.snapshots, probes)
    figures = {
        "test_accuracy": evaluation.accuracy,
        "test_loss": evaluation.loss,
        "train_seconds": result.seconds,
        "history": result.history,
    }
    print(
        f"test accuracy {evaluation.accuracy:.4f} ({int(round(evaluation.accuracy * len(y_test)))} of "
        f"{len(y_test)}), test loss {evaluation.loss:.4f}"
    )
    print(
        f"training took {result.seconds:.1f} s on {os.cpu_count()} CPU cores; TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, Python {sys.version.split()[0]}"
    )
    print(f"saved {args.output} and its epoch snapshots {history_path.name}")
    return figures


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - started:.1f} s")
