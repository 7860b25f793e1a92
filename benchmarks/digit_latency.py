"""Latency of reading one webcam snapshot: from the photo to the model's answer.

Run ``python benchmarks/digit_latency.py``. For 640x480 synthetic snapshots of MNIST test digits it
prints medians of:

- JPEG bytes -> answer: what the page does with ``st.camera_input``'s JPEG (decode with
  ``cnn_core.images.load_image``, ``prepare_digits``, then the model);
- decoded RGB array -> answer: ``prepare_digits`` and the model only;
- each part alone, and the model called directly vs through ``model.predict``.

Target: 20 ms or less from snapshot to prediction.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2
import numpy as np

from cnn_core.data.mnist import load_mnist
from cnn_core.learning.evaluation import predict_proba
from cnn_core.vision.digits import prepare_digit, prepare_digits
from cnn_core.vision.images import load_image
from cnn_core.vision.snapshots import synthetic_snapshot

SNAPSHOTS = 60
MODEL = Path(__file__).resolve().parent.parent / "models" / "mnist_convnet_augmented.keras"


def median_ms(function, inputs) -> float:
    """Median wall time of ``function(x)`` over ``inputs``, in milliseconds."""
    times = []
    for x in inputs:
        start = time.perf_counter()
        function(x)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main() -> None:
    import keras

    _, (x_test, _) = load_mnist()
    rng = np.random.default_rng(0)
    photos = [synthetic_snapshot(x_test[i], rng) for i in range(SNAPSHOTS)]
    jpegs = [
        cv2.imencode(".jpg", cv2.cvtColor(p, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
        for p in photos
    ]
    model = keras.models.load_model(MODEL, compile=False)
    one = prepare_digit(photos[0])[None]  # (1, 28, 28)

    def answer(photo):
        return predict_proba(model, prepare_digits(photo).digits).argmax(axis=1)

    for photo in photos[:5]:  # warm up TensorFlow's first calls and the caches
        answer(photo)
        model.predict(one[..., None], verbose=0)

    rows = [
        ("JPEG bytes -> answer (what the page does)", median_ms(lambda b: answer(load_image(b)), jpegs)),
        ("decoded RGB array -> answer", median_ms(answer, photos)),
        ("  decode the JPEG (load_image)", median_ms(load_image, jpegs)),
        ("  prepare_digits", median_ms(prepare_digits, photos)),
        ("  model(x, training=False), one digit", median_ms(lambda _: model(one[..., None], training=False), photos)),
        ("  model.predict(x), one digit", median_ms(lambda _: model.predict(one[..., None], verbose=0), photos)),
    ]
    print(f"{SNAPSHOTS} synthetic 640x480 snapshots, model {MODEL.name}, {os.cpu_count()} CPUs visible")
    for name, ms in rows:
        print(f"{name:45s} median {ms:7.2f} ms")
    print(f"target: <= 20 ms from snapshot to prediction; model.predict / direct call: {rows[5][1] / rows[4][1]:.1f}x")


if __name__ == "__main__":
    main()
