"""What epoch snapshots cost a training (issue 16: at most 3% of an epoch on full MNIST).

Run: python benchmarks/snapshot_cost.py [--probes 8] [--epochs 2]

Trains the seed's MNIST convnet on all 60,000 digits twice from the same weights, once plain and
once with ``watch=`` the page's eight probe digits, and prints the epoch times. Epoch times vary by
more than 3% from run to run on a shared machine, so the snapshot itself is also timed directly:
``take_snapshot`` (the first layer's kernels and every conv and pooling layer's maps of the probes,
float16) is called 20 times on the trained model and its median is set against the plain epoch.
Snapshots are taken once per epoch (and once before training). Also printed: the bytes one
snapshot keeps.
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

from cnn_core.data.mnist import load_mnist
from cnn_core.learning.models import build_mnist_convnet
from cnn_core.learning.snapshots import as_watch, take_snapshot
from cnn_core.learning.train import train


def epoch_times(x, y, initial, epochs: int, watch=None) -> list[float]:
    import keras

    times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    model = build_mnist_convnet()
    model.set_weights(initial)
    train(model, (x, y), epochs=epochs, batch_size=64, seed=0, callbacks=[Timer()], watch=watch)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=8, help="probe digits (the MNIST page uses 8)")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()
    print(f"load average: {os.getloadavg()}", flush=True)

    (x, y), (x_test, _) = load_mnist()
    probes = x_test[: args.probes]
    initial = build_mnist_convnet().get_weights()
    plain = epoch_times(x, y, initial, args.epochs)
    watched = epoch_times(x, y, initial, args.epochs, watch=probes)
    model = build_mnist_convnet()
    model.set_weights(initial)
    watch = as_watch(probes)
    take_snapshot(model, 0, watch)  # traced once
    costs = []
    for _ in range(20):
        start = time.perf_counter()
        snapshot = take_snapshot(model, 1, watch)
        costs.append(time.perf_counter() - start)
    cost = statistics.median(costs)
    kept = snapshot.kernels.nbytes + sum(a.nbytes for a in snapshot.activations.values())
    epoch = statistics.median(plain)
    print(
        f"plain epochs: {', '.join(f'{t:.2f}' for t in plain)} s; with snapshots: {', '.join(f'{t:.2f}' for t in watched)} s"
    )
    print(f"one snapshot: median {cost * 1e3:.1f} ms over 20 = {cost / epoch:.2%} of a plain epoch (target <= 3%)")
    print(f"with snapshots / plain, median epoch: {statistics.median(watched) / epoch:.3f}x (noise included)")
    print(f"one snapshot keeps {kept / 1e3:.0f} kB ({args.probes} probes, float16 maps)")


if __name__ == "__main__":
    main()
