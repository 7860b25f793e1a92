"""Time every layer's activations for one image, grids included, once the model is loaded.

Run: python benchmarks/activations_speed.py [--runs N]

Two cases: the shipped MNIST convnet on a test digit (or the untrained seed architecture when
models/mnist_convnet.keras is missing) and the seed's cats-vs-dogs architecture on the bundled cat
photo at 150x150. The target is 100 ms or less for ``layer_activations`` plus ``activation_grid``
on every layer. Also printed, from the same run: the one-off cost of the first call (it builds the
cached multi-output model), the seed's way of doing it (a fresh ``keras.Model`` over the layers'
outputs and ``predict``, every time, as the seed's notebook cell does) and Grad-CAM.
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

from cnn_core.data.mnist import load_mnist
from cnn_core.learning.activations import activation_grid, feature_layer_names, layer_activations
from cnn_core.learning.gradcam import grad_cam
from cnn_core.learning.models import build_cats_dogs_convnet, build_mnist_convnet
from cnn_core.vision.images import load_sample_photo, prepare_image

TARGET_MS = 100.0


def _times_ms(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def _all_maps_and_grids(model, image) -> None:
    for _, activation in layer_activations(model, image):
        activation_grid(activation)


def _seed_way(model, image) -> None:
    import keras

    count = len(feature_layer_names(model, image.shape))
    activation_model = keras.Model(model.inputs, [layer.output for layer in model.layers[:count]])
    for activation in activation_model.predict(image[None], verbose=0):
        activation_grid(activation[0])


def bench_case(name: str, model, image: np.ndarray, runs: int) -> float:
    """Print the figures for one model and image; return the median for the target check."""
    start = time.perf_counter()
    _all_maps_and_grids(model, image)  # builds and caches the multi-output model
    first_ms = (time.perf_counter() - start) * 1e3
    total = _times_ms(lambda: _all_maps_and_grids(model, image), runs)
    maps_only = _times_ms(lambda: layer_activations(model, image), runs)
    maps = layer_activations(model, image)
    grids_only = _times_ms(lambda: [activation_grid(a) for _, a in maps], runs)
    seed_way = _times_ms(lambda: _seed_way(model, image), max(3, runs // 10))
    grad_cam(model, image)
    cam = _times_ms(lambda: grad_cam(model, image), max(5, runs // 4))
    median = statistics.median(total)
    shapes = ", ".join("x".join(map(str, a.shape)) for _, a in maps)
    print(f"\n{name}: {len(maps)} layers ({shapes})")
    print(
        f"  all maps + grids: median {median:.1f} ms, p90 {np.percentile(total, 90):.1f} ms over {runs} runs "
        f"({'within' if median <= TARGET_MS else 'ABOVE'} the {TARGET_MS:.0f} ms target)"
    )
    print(f"    of which maps {statistics.median(maps_only):.1f} ms, grids {statistics.median(grids_only):.1f} ms")
    print(f"  first call (builds the cached model): {first_ms:.0f} ms")
    seed_median = statistics.median(seed_way)
    print(
        f"  the seed's way (new Model + predict each time): median {seed_median:.1f} ms, "
        f"{seed_median / median:.1f}x the cached direct call"
    )
    print(f"  Grad-CAM: median {statistics.median(cam):.1f} ms")
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per case (default 50)")
    runs = parser.parse_args().runs
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # The seed's way retraces predict on every new Model, by design.
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs visible"
    )
    shipped = ROOT / "models" / "mnist_convnet.keras"
    if shipped.exists():
        mnist_model, mnist_name = keras.models.load_model(shipped, compile=False), "shipped MNIST convnet"
    else:
        mnist_model, mnist_name = build_mnist_convnet(), "MNIST convnet (untrained: models/ lacks the file)"
    _, (x_test, _) = load_mnist()
    digit = prepare_image(x_test[0], (28, 28, 1))
    cat = prepare_image(load_sample_photo(), (150, 150, 3))
    medians = [
        bench_case(f"{mnist_name}, one test digit 28x28x1", mnist_model, digit, runs),
        bench_case("seed cats-vs-dogs convnet, the cat photo at 150x150x3", build_cats_dogs_convnet(), cat, runs),
    ]
    verdict = "met" if max(medians) <= TARGET_MS else "NOT met"
    print(f"\nTarget of {TARGET_MS:.0f} ms for all layers' maps and grids: {verdict}.")


if __name__ == "__main__":
    main()
