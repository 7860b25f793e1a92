"""Time one augmented 150x150 RGB image: cnn_core.augment (OpenCV) against Keras's scipy path.

Run: python benchmarks/augment_speed.py [--runs N]

Both sides draw the seed's training parameters (rotation 40, shifts 0.1, shear 0.4, zoom 0.5,
horizontal flip) and apply them to the bundled cat photo at 150x150, as float32 0-255 values.
Keras's side is ``ImageDataGenerator.random_transform``, which runs ``scipy.ndimage.affine_transform``
once per channel. Printed: the median time per image for every fill mode, the speed-up, and the
largest difference between the two outputs for the same parameters (it should be below 0.01).
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

from cnn_core.vision.augment import SEED_TRAINING, AugmentSettings, augment_image
from cnn_core.vision.images import load_sample_photo, resize
from cnn_core.vision.transforms import FILL_MODES, apply_transform, random_transform_params


def median_us(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()

    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    photo = resize(load_sample_photo(), (150, 150)).astype(np.float32)  # (150, 150, 3)
    settings = SEED_TRAINING
    print(f"One augmented 150x150x3 float32 image, seed's training settings, median of {args.runs} runs")
    print(f"{'fill_mode':<10} {'cnn_core (us)':>14} {'Keras/scipy (us)':>17} {'speed-up':>9} {'max |diff|':>11}")
    for fill_mode in FILL_MODES:
        current = AugmentSettings(**{**settings.ranges(), "fill_mode": fill_mode})
        generator = ImageDataGenerator(**current.ranges(), fill_mode=fill_mode)
        rng = np.random.default_rng(0)
        ours = median_us(lambda current=current, rng=rng: augment_image(photo, current, rng), args.runs)
        keras_us = median_us(lambda generator=generator: generator.random_transform(photo), max(20, args.runs // 5))
        worst = 0.0
        for seed in range(20):
            params = generator.get_random_transform(photo.shape, seed=seed)
            expected = generator.apply_transform(photo, params)
            worst = max(worst, float(np.abs(apply_transform(photo, params, fill_mode) - expected).max()))
        print(f"{fill_mode:<10} {ours:>14.0f} {keras_us:>17.0f} {keras_us / ours:>8.1f}x {worst:>11.5f}")
    draw_us = median_us(lambda: random_transform_params(photo.shape, rng, **settings.ranges()), args.runs)
    print(f"of which drawing the parameters: {draw_us:.0f} us")


if __name__ == "__main__":
    main()
