"""Latency of ``cnn_core.read_digit`` per webcam snapshot: both preparations and one model call.

Run ``python benchmarks/digit_reader.py``. For 320x240 snapshots of MNIST test digits
(``scripts.reader_data.snapshot``) it prints the median and 95th percentile, for the default
model and the seed-recipe model, with the machine's load average (other work on the cores slows
every figure). Target: 20 ms or less per snapshot.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np

from cnn_core.data.mnist import load_mnist
from cnn_core.vision.reader import DEFAULT_MODEL, read_digit
from scripts import reader_data

SNAPSHOTS = 200
MODELS = (DEFAULT_MODEL, "models/mnist_convnet.keras")


def latencies_ms(snapshots: list[np.ndarray], model: str) -> np.ndarray:
    """Wall time of ``read_digit`` on each snapshot, in milliseconds, after one warm-up call."""
    read_digit(snapshots[0], model)
    times = []
    for snapshot in snapshots:
        start = time.perf_counter()
        read_digit(snapshot, model)
        times.append(time.perf_counter() - start)
    return 1000 * np.array(times)


def main() -> None:
    _, (x_test, _) = load_mnist()
    rng = np.random.default_rng(7)
    snapshots = [
        reader_data.snapshot(reader_data.pen_digit(x_test[i], rng, elastic=False), rng) for i in range(SNAPSHOTS)
    ]
    for model in MODELS:
        before = os.getloadavg()[0]
        times = latencies_ms(snapshots, model)
        print(
            f"{model}: median {np.median(times):.1f} ms, p95 {np.percentile(times, 95):.1f} ms per snapshot "
            f"({SNAPSHOTS} snapshots, load average {before:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)"
        )


if __name__ == "__main__":
    main()
