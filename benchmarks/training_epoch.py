"""Seconds per epoch of the seed's MNIST convnet on all 60,000 digits, against the FLOP bound.

Run: python benchmarks/training_epoch.py [--epochs N] [--train-size N]

Work per epoch, counted from the model's layers: the multiply-adds of one forward pass (2.79 M
for the seed's model: conv 194,688 + 2,230,272 + 331,776, dense 36,864 + 640), times 3 for the
forward and the two backward products of training, times the number of digits: about 0.50 T
multiply-adds, 1.0 TFLOP. The bound is that work at the rate this machine reaches on a large
float32 matrix product in TensorFlow (measured here, same run). Printed: seconds per epoch
(the first epoch, which includes tracing, apart), the achieved GFLOP/s, the matmul rate, and the
fraction of it reached.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cnn_core.data.mnist import load_mnist, subset
from cnn_core.learning import train as train_module
from cnn_core.learning.models import build_mnist_convnet
from cnn_core.learning.train import train


def forward_multiply_adds(model) -> int:
    """Multiply-adds of one forward pass of one image through the Conv2D and Dense layers.

    Conv2D: out_h * out_w * k_h * k_w * c_in * filters; Dense: inputs * units. Pooling, ReLU and
    softmax are a rounding error next to these and are left out, as in the usual count.
    """
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            _, out_h, out_w, filters = layer.output.shape
            k_h, k_w = layer.kernel_size
            total += out_h * out_w * k_h * k_w * layer.input.shape[-1] * filters
        elif kind == "Dense":
            total += layer.input.shape[-1] * layer.units
    return total


def matmul_gflops(size: int = 2048, runs: int = 5) -> float:
    """The float32 rate of TensorFlow's matrix product on this machine, in GFLOP/s (median)."""
    import tensorflow as tf

    a = tf.random.uniform((size, size))
    b = tf.random.uniform((size, size))
    (a @ b).numpy()  # Warm-up.
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        (a @ b).numpy()
        rates.append(2 * size**3 / (time.perf_counter() - start) / 1e9)
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs to train; the first is reported apart")
    parser.add_argument("--train-size", type=int, default=60000, help="training digits (default: all 60,000)")
    parser.add_argument(
        "--steps-per-execution",
        type=int,
        default=None,
        help="batches per call into the compiled step (default: the engine's STEPS_PER_EXECUTION)",
    )
    args = parser.parse_args()
    if args.steps_per_execution is not None:
        train_module.STEPS_PER_EXECUTION = args.steps_per_execution
    print(f"steps_per_execution: {train_module.STEPS_PER_EXECUTION}; load average: {os.getloadavg()}", flush=True)

    import keras

    (x_train, y_train), _ = load_mnist()
    x, y = subset(x_train, y_train, args.train_size)
    model = build_mnist_convnet()
    macs = forward_multiply_adds(model)
    flops_per_epoch = 2 * 3 * macs * len(x)

    times: list[float] = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)
            print(f"epoch {epoch + 1}: {times[-1]:.1f} s, accuracy {logs['accuracy']:.4f}", flush=True)

    train(
        model,
        (x, y),
        epochs=args.epochs,
        batch_size=64,
        optimizer="rmsprop",
        learning_rate=1e-3,
        seed=0,
        callbacks=[EpochTimer()],
    )
    rate = matmul_gflops()

    steady = statistics.median(times[1:]) if len(times) > 1 else times[0]
    achieved = flops_per_epoch / steady / 1e9
    bound_s = flops_per_epoch / (rate * 1e9)
    print(
        f"\nseed model: {macs:,} multiply-adds forward per image; x 3 for training x {len(x):,} digits "
        f"= {3 * macs * len(x) / 1e12:.3f} T multiply-adds = {flops_per_epoch / 1e12:.3f} TFLOP per epoch"
    )
    print(
        f"first epoch (with tracing): {times[0]:.1f} s; later epochs: median {steady:.1f} s "
        f"over {max(1, len(times) - 1)}"
    )
    print(f"achieved: {achieved:.1f} GFLOP/s")
    print(
        f"TensorFlow float32 matmul on this machine ({os.cpu_count()} CPU cores): {rate:.1f} GFLOP/s "
        f"-> FLOP bound {bound_s:.1f} s per epoch"
    )
    print(f"epoch time / bound: {steady / bound_s:.2f}x ({achieved / rate:.0%} of the matmul rate)")
    if not math.isclose(macs, 2_794_240):
        print(f"note: this model is not the seed's ({macs:,} multiply-adds instead of 2,794,240)")


if __name__ == "__main__":
    main()
