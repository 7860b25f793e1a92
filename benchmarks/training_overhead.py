"""The app's training loop with live progress against plain ``model.fit(verbose=0)``, as a ratio.

Run: python benchmarks/training_overhead.py [--train-size N] [--epochs N] [--reps N] [--quick]

Both sides train the seed's MNIST convnet from the same initial weights on the same uint8 digits
through the same ``tf.data`` pipeline (``make_dataset``: per-batch /255, prefetch), so
the only difference is what the app adds:

- plain: ``model.fit(dataset, verbose=0)``;
- app: ``train(...)`` with a ``TrainingLog`` sink and a stop event (the progress callback
  on every batch), and a poller thread that, like the page's fragment, takes a snapshot and builds
  the history figure every 0.5 s.

Epoch times come from a callback both sides share; the first epoch of every fit is left out
because it includes tracing the train step. The sides alternate (plain, app, plain, app, ...) so
background load hits both alike. Printed: the median seconds per epoch of each and their ratio
(target: at most 1.03).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnn_core.data.mnist import load_mnist
from cnn_core.figures.charts import history_figure
from cnn_core.learning.models import build_mnist_convnet
from cnn_core.learning.pipeline import make_dataset
from cnn_core.learning.progress import TrainingLog
from cnn_core.learning.settings import make_optimizer
from cnn_core.learning.train import STEPS_PER_EXECUTION, train
from ui.training import POLL_S

TARGET_RATIO = 1.03


def epoch_timer(times: list[float]):
    """A Keras callback that appends each epoch's wall time to ``times``."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    return EpochTimer()


def plain_fit(initial_weights, data, epochs: int) -> list[float]:
    """Epoch times of plain ``model.fit(verbose=0)``."""
    model = build_mnist_convnet()
    model.set_weights(initial_weights)
    model.compile(
        optimizer=make_optimizer("rmsprop", 1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=STEPS_PER_EXECUTION,  # the same compiled step as the app's
    )
    dataset = make_dataset(*data, 64, shuffle=True, seed=0, input_shape=(28, 28, 1))
    times: list[float] = []
    model.fit(dataset, epochs=epochs, verbose=0, callbacks=[epoch_timer(times)], shuffle=False)
    return times[1:]


def app_fit(initial_weights, data, epochs: int) -> list[float]:
    """Epoch times of ``train`` with live progress, polled like the page does."""

    model = build_mnist_convnet()
    model.set_weights(initial_weights)
    log, stop, done = TrainingLog(), threading.Event(), threading.Event()

    def poll():
        while not done.wait(POLL_S):
            history_figure(log.snapshot())

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    times: list[float] = []
    try:
        train(
            model, data, epochs=epochs, batch_size=64, progress=log, stop=stop, seed=0, callbacks=[epoch_timer(times)]
        )
    finally:
        done.set()
        poller.join()
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-size", type=int, default=19200, help="training digits (default 19,200 = 300 batches)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit; the first is not timed")
    parser.add_argument("--reps", type=int, default=3, help="fits per side, alternated")
    parser.add_argument("--quick", action="store_true", help="6,400 digits, 2 epochs, 2 reps")
    args = parser.parse_args()
    if args.quick:
        args.train_size, args.epochs, args.reps = 6400, 2, 2

    # The page module is imported before any timing, so both sides run with the same interpreter
    # state (it freezes the long-lived objects out of garbage collection on import).

    (x_train, y_train), _ = load_mnist()
    data = (x_train[: args.train_size], y_train[: args.train_size])
    initial_weights = build_mnist_convnet().get_weights()
    plain_fit(initial_weights, (data[0][:640], data[1][:640]), 1)  # Warm up TensorFlow once.
    plain, app = [], []
    for rep in range(args.reps):
        plain += plain_fit(initial_weights, data, args.epochs)
        app += app_fit(initial_weights, data, args.epochs)
        print(
            f"rep {rep + 1}: plain {statistics.median(plain):.3f} s/epoch, app {statistics.median(app):.3f} s/epoch",
            flush=True,
        )
    plain_s, app_s = statistics.median(plain), statistics.median(app)
    batches = -(-args.train_size // 64)
    print(
        f"\n{args.train_size:,} digits = {batches} batches of 64 per epoch, {len(plain)} timed epochs per side, "
        f"{os.cpu_count()} CPU cores"
    )
    print(f"plain model.fit(verbose=0):              {plain_s:.3f} s/epoch (median)")
    print(f"app train() + live progress + poller:    {app_s:.3f} s/epoch (median)")
    ratio = app_s / plain_s
    print(
        f"ratio app / plain: {ratio:.3f} (target <= {TARGET_RATIO}) -> {'OK' if ratio <= TARGET_RATIO else 'ABOVE TARGET'}"
    )


if __name__ == "__main__":
    main()
