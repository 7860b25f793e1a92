"""Is the model ever starved? Images per second of the augmented input pipeline vs a training step.

Run: python benchmarks/folder_pipeline.py [--batch-size 20] [--batches 30]

Data: 600 synthetic 150x150x3 uint8 images in memory (what ``load_image_folder`` produces for the
seed's input size). Three figures, measured in one run:

1. the pipeline alone: ``make_dataset`` with the seed's training augmentation,
   iterated as fast as it goes (parallel map calls + prefetch), in images/s;
2. the model alone: ``train_on_batch`` of the seed's cats-vs-dogs convnet (3,453,121 parameters,
   Dropout 0.5) on one batch held in memory, in images/s;
3. both together: ``model.fit`` on the pipeline, against ``model.fit`` on one batch repeated from
   memory (no input work at all), each the median of a few turns taken alternately.

When (1) is well above (2), prefetching hides augmentation behind training and the two fits of (3)
run at about the same speed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np

from cnn_core.learning.models import build_cats_dogs_convnet
from cnn_core.learning.pipeline import make_dataset
from cnn_core.learning.settings import loss_for, make_optimizer
from cnn_core.vision.augment import SEED_TRAINING


def pipeline_rate(dataset, batches: int) -> float:
    """Images/s the dataset delivers, after one warm-up batch."""
    iterator = iter(dataset.repeat())
    next(iterator)
    count, start = 0, time.perf_counter()
    for _ in range(batches):
        x, _ = next(iterator)
        count += int(x.shape[0])
    return count / (time.perf_counter() - start)


def step_rate(model, batch_size: int, batches: int) -> float:
    """Images/s of train_on_batch on one in-memory batch (median step time)."""
    rng = np.random.default_rng(0)
    x = rng.random((batch_size, 150, 150, 3), dtype=np.float32)
    y = rng.integers(0, 2, batch_size).astype(np.int32)
    for _ in range(3):
        model.train_on_batch(x, y)  # Warm-up: tracing and the first allocations.
    times = []
    for _ in range(batches):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return batch_size / statistics.median(times)


def fit_rates(model, datasets: dict, batch_size: int, batches: int, repeats: int) -> dict[str, float]:
    """Median images/s of ``model.fit`` over ``batches`` batches of each dataset, measured in turns."""
    rates = {name: [] for name in datasets}
    for dataset in datasets.values():
        model.fit(dataset.take(2), epochs=1, verbose=0)  # Warm-up: tracing, iterator threads.
    for _ in range(repeats):
        for name, dataset in datasets.items():
            start = time.perf_counter()
            model.fit(dataset.repeat().take(batches), epochs=1, verbose=0)
            rates[name].append(batches * batch_size / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    import tensorflow as tf

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (600, 150, 150, 3), dtype=np.uint8)
    labels = rng.integers(0, 2, 600).astype(np.int32)
    print(f"{os.cpu_count()} CPU cores, TensorFlow {tf.__version__}, batch size {args.batch_size}, 150x150x3 images")

    augmented = make_dataset(images, labels, args.batch_size, shuffle=True, seed=0, augmentation=SEED_TRAINING)
    plain = make_dataset(images, labels, args.batch_size, shuffle=True, seed=0)
    augmented_ips = pipeline_rate(augmented, args.batches)
    plain_ips = pipeline_rate(plain, args.batches)

    model = build_cats_dogs_convnet(dropout=0.5)
    model.compile(optimizer=make_optimizer("adam", 1e-3), loss=loss_for(model), metrics=["accuracy"])
    step_ips = step_rate(model, args.batch_size, max(10, args.batches // 2))
    # The same batch over and over from memory: model.fit with no input work at all.
    x = rng.random((args.batch_size, 150, 150, 3), dtype=np.float32)
    y = rng.integers(0, 2, args.batch_size).astype(np.int32)
    in_memory = tf.data.Dataset.from_tensors((x, y))
    fit = fit_rates(model, {"memory": in_memory, "augmented": augmented}, args.batch_size, args.batches, args.repeats)

    print(f"pipeline, augmented (seed's training settings): {augmented_ips:8.0f} images/s")
    print(f"pipeline, scaling only:                        {plain_ips:8.0f} images/s")
    print(f"model training step (train_on_batch):          {step_ips:8.1f} images/s")
    print(f"model.fit, one batch from memory:              {fit['memory']:8.1f} images/s")
    print(f"model.fit on the augmented pipeline:           {fit['augmented']:8.1f} images/s")
    verdict = "the model is never starved" if augmented_ips > 2 * step_ips else "the pipeline can starve the model"
    print(f"pipeline / training step: {augmented_ips / step_ips:.1f}x ({verdict})")
    print(f"fit on the augmented pipeline / fit from memory: {fit['augmented'] / fit['memory']:.2f}")


if __name__ == "__main__":
    main()
