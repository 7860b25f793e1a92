"""Train models/digit_reader.keras, the default model of ``cnn_core.read_digit``: ten digits and "not a digit".

Run from the repository root (about ten minutes on two CPU cores)::

    python -m scripts.train_digit_reader
    python -m scripts.train_digit_reader --digits 2000 --negatives 500 --epochs 1 --output /tmp/small.keras

1. ``DIGITS`` MNIST training digits are each redrawn ``PASSES`` times by another hand and pen
   (``scripts.reader_data.pen_digit``: slant, rotation, zoom, elastic wobble, thin pen to thick
   marker), half the 1s and 7s with a flag or a bar (``continental``), and ``NEGATIVES``
   non-digits are generated (letters in four fonts, shapes, a Pac-Man, smileys, scribbles,
   textures, crops of data/chelsea.png, specks on blank paper);
2. each picture is binarised and cropped, then prepared both ways the reader prepares it: as
   ``prepare_digit`` does and with its strokes redrawn at MNIST's width, so the model learns
   both views (two samples per picture);
3. a small convnet (``build_reader``, 11 softmax outputs, class 10 = not a digit) is trained with
   Adam, its learning rate decayed along a cosine. Every seed is fixed (the data's, per chunk,
   and TensorFlow's, with deterministic ops); two runs made the same 205,570 views, but
   bit-identical weights across reruns have not been checked.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from scripts import reader_data

SEED = 11
EPOCHS = 6
PASSES = 2  # each digit is redrawn this many times, each time by another pen and hand
BATCH_SIZE = 128
DIGITS = 40_000  # of MNIST's 60,000 training digits: keeps a training within minutes on two CPU cores
NEGATIVES = 24_000
CHUNK = 2_000  # pictures per worker task; each chunk has its own seed, so workers don't change the data
OUTPUT = Path(__file__).resolve().parents[1] / "models" / "digit_reader.keras"
NOT_A_DIGIT = 10


def views(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """White-on-black ink (H, W) -> (plain, redrawn) 28x28 float32, or None if nothing is left.

    The ink is blurred and thresholded at half intensity (as ``find_ink`` does a camera's), cropped
    to its box, then fitted and centred as ``prepare_digit`` does, with and without redrawing.
    """
    import cv2

    from cnn_core.vision.digits import _crop_stages
    from cnn_core.vision.strokes import centred_strokes

    mask = cv2.GaussianBlur(ink, (5, 5), 1.0) >= 128
    ys, xs = np.nonzero(mask)
    if len(ys) < 12:
        return None
    crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return _crop_stages(crop)[-1].image, centred_strokes(crop)


def _digit_chunk(args) -> tuple[np.ndarray, np.ndarray]:
    digits, labels, seed = args
    rng = np.random.default_rng(seed)
    images, kept = [], []
    for digit, label in zip(digits, labels):
        ink = reader_data.pen_digit(digit, rng)
        if rng.random() < 0.5:
            ink = reader_data.continental(ink, label, rng)
        pair = views(ink)
        if pair is not None:
            images.extend(pair)
            kept.extend([label, label])
    return np.stack(images), np.array(kept, np.int64)


def _negative_chunk(args) -> tuple[np.ndarray, np.ndarray]:
    count, seed = args
    rng = np.random.default_rng(seed)
    images = []
    for i in range(count):
        kind = reader_data.TRAINING_KINDS[i % len(reader_data.TRAINING_KINDS)]
        pair = views(reader_data.non_digit(kind, rng))
        if pair is not None:
            images.extend(pair)
    return np.stack(images), np.full(len(images), NOT_A_DIGIT, np.int64)


def make_data(digits: int, negatives: int, seed: int = SEED, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-2: (N, 28, 28) float32 views and their labels 0-10."""
    from cnn_core import load_mnist

    (x_train, y_train), _ = load_mnist()
    x_train, y_train = x_train[:digits], y_train[:digits]
    digit_tasks = [
        (x_train[i : i + CHUNK], y_train[i : i + CHUNK], [seed, 0, repeat, i])
        for repeat in range(PASSES)
        for i in range(0, len(x_train), CHUNK)
    ]
    negative_tasks = [(min(CHUNK, negatives - i), [seed, 1, i]) for i in range(0, negatives, CHUNK)]
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(_digit_chunk, digit_tasks)) + list(pool.map(_negative_chunk, negative_tasks))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def build_reader():
    """Input (28, 28, 1) - [Conv 3x3 ReLU, MaxPool 2] x 3 (32, 64, 96 filters) - Dense 96 - Dense 11 softmax."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),  # (14, 14, 32)
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),  # (7, 7, 64)
            layers.Conv2D(96, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),  # (3, 3, 96)
            layers.Flatten(),
            layers.Dropout(0.3),
            layers.Dense(96, activation="relu"),
            layers.Dense(NOT_A_DIGIT + 1, activation="softmax"),
        ],
        name="digit_reader",
    )


def train(images: np.ndarray, labels: np.ndarray, epochs: int = EPOCHS, seed: int = SEED):
    """Step 3: the trained model (uncompiled copy, so the file holds no optimizer state)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    model = build_reader()
    steps = epochs * -(-len(images) // BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=steps, alpha=0.05)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    order = np.random.default_rng(seed).permutation(len(images))
    model.fit(images[order, ..., None], labels[order], batch_size=BATCH_SIZE, epochs=epochs, verbose=2)
    shipped = build_reader()
    shipped.set_weights(model.get_weights())
    return shipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, default=DIGITS, help="MNIST training digits to use")
    parser.add_argument("--negatives", type=int, default=NEGATIVES)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the data, the shuffle and the weights")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    start = time.perf_counter()
    images, labels = make_data(args.digits, args.negatives, args.seed)
    print(f"{len(images)} views ({np.sum(labels == NOT_A_DIGIT)} not digits) in {time.perf_counter() - start:.0f} s")
    model = train(images, labels, args.epochs, args.seed)
    model.save(args.output)
    size = args.output.stat().st_size / 1024
    print(
        f"saved {args.output} ({size:.0f} KB, {model.count_params()} parameters) after {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    main()
