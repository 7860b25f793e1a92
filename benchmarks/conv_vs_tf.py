"""cnn_core.conv2d against tf.nn.conv2d on a (150, 150, 3) image with 32 3x3 filters, one run.

Run: python benchmarks/conv_vs_tf.py [--repeats N]

What is timed, both sides from numpy float32 arrays to a numpy (148, 148, 32) result:
- numpy: ``conv2d(image, kernels, bias)`` (padding, im2col copy, one matmul, bias).
- TensorFlow: ``(tf.nn.conv2d(x, k, 1, "VALID") + b).numpy()`` in eager mode, where x, k and b
  are tensors built once beforehand (the batch axis is added then), so the figure is the
  convolution, the bias add and the copy back to numpy, not the tensor construction.
Both are warmed up, then timed alternately so load changes hit both; the ratio is numpy / TF.
Target: numpy within 3x of TensorFlow.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cnn_core.ops.sliding import conv2d

WARMUP = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30, help="timed calls per side (default 30)")
    repeats = parser.parse_args().repeats
    import tensorflow as tf

    rng = np.random.default_rng(0)
    image = rng.random((150, 150, 3), dtype=np.float32)  # (H, W, C_in)
    kernels = rng.normal(size=(3, 3, 3, 32)).astype(np.float32)  # (kh, kw, C_in, C_out)
    bias = rng.normal(size=32).astype(np.float32)
    x, k, b = tf.constant(image[None]), tf.constant(kernels), tf.constant(bias)

    def with_numpy() -> np.ndarray:
        return conv2d(image, kernels, bias)  # (148, 148, 32)

    def with_tf() -> np.ndarray:
        return (tf.nn.conv2d(x, k, 1, "VALID") + b).numpy()[0]  # (148, 148, 32)

    np.testing.assert_allclose(with_numpy(), with_tf(), rtol=0, atol=1e-4)
    for _ in range(WARMUP):
        with_numpy(), with_tf()
    times = {"numpy": [], "tf": []}
    for _ in range(repeats):
        for name, function in (("numpy", with_numpy), ("tf", with_tf)):
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    numpy_ms = statistics.median(times["numpy"]) * 1e3
    tf_ms = statistics.median(times["tf"]) * 1e3
    print(
        f"numpy {np.__version__}, tensorflow {tf.__version__}, {os.cpu_count()} CPUs, "
        f"TF intra-op threads {tf.config.threading.get_intra_op_parallelism_threads() or 'default'}"
    )
    print(f"(150, 150, 3) -> 32 filters 3x3, valid, medians of {repeats} alternating calls after {WARMUP} warm-ups")
    print(f"cnn_core.conv2d:      {numpy_ms:8.2f} ms")
    print(f"tf.nn.conv2d + bias:  {tf_ms:8.2f} ms  (eager, prebuilt tensors, .numpy() included)")
    print(f"ratio numpy / tf:     {numpy_ms / tf_ms:8.2f}x  (target <= 3x)")


if __name__ == "__main__":
    main()
