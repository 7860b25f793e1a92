"""Time cnn_core.conv_steps: every frame of a 28x28 and of a 150x150x3 -> 32 filters convolution.

Run: python benchmarks/conv_frames.py [--runs N]

A run consumes the whole generator without keeping the frames (a page keeps only the frames it
shows), so the figure is the cost of computing them. Prints medians over N runs and microseconds
per frame, plus the cost of one frame's ``partial_output`` (what a player draws per frame).
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cnn_core.ops.shapes import output_shape
from cnn_core.ops.sliding import conv2d
from cnn_core.ops.steps import conv_steps


def _median_seconds(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _consume(frames) -> None:
    collections.deque(frames, maxlen=0)


def bench_case(name: str, image: np.ndarray, kernels: np.ndarray, runs: int) -> None:
    """Print the median time to produce all frames of conv_steps(image, kernels)."""
    bias = np.zeros(kernels.shape[-1], dtype=np.float32)
    h_out, w_out = output_shape(image.shape, kernels.shape[:2])
    count = h_out * w_out * kernels.shape[-1]
    last = collections.deque(conv_steps(image, kernels, bias), maxlen=1)[0]
    assert last.index + 1 == count  # one frame per output cell
    np.testing.assert_allclose(last.partial_output, conv2d(image, kernels, bias), atol=1e-4)
    seconds = _median_seconds(lambda: _consume(conv_steps(image, kernels, bias)), runs)
    partial = _median_seconds(lambda: last.partial_output, max(runs, 20))
    print(
        f"{name}: {count:,} frames, median {seconds * 1e3:,.1f} ms over {runs} runs, "
        f"{seconds / count * 1e6:.2f} µs per frame; one partial_output {partial * 1e3:.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per case (default 5)")
    runs = parser.parse_args().runs
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, Python {sys.version.split()[0]}")
    bench_case(
        "28x28x1, one 3x3 filter",
        rng.random((28, 28, 1), dtype=np.float32),
        rng.normal(size=(3, 3, 1, 1)).astype(np.float32),
        max(runs, 20),
    )
    bench_case(
        "150x150x3, 32 3x3 filters",
        rng.random((150, 150, 3), dtype=np.float32),
        rng.normal(size=(3, 3, 3, 32)).astype(np.float32),
        runs,
    )


if __name__ == "__main__":
    main()
