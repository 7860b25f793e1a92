"""The digit reader's held-out figures, for the default model and the seed-recipe model side by side.

Run from the repository root (a few minutes on two CPU cores)::

    python -m scripts.evaluate_digit_reader
    python -m scripts.evaluate_digit_reader --mnist 200 --optdigits 300 --per-kind 25   # a quick look

Every set is rendered as 320x240 webcam snapshots (``scripts.reader_data.snapshot``: dark ink on
lit paper, 70-150 px tall, a lighting gradient, blur, noise, JPEG) after a pen of its own (thin
fine-liner to thick marker) and a slant, with seeds that training never uses:

- MNIST's test digits (writers of MNIST, never trained on);
- other writers, not from MNIST: the UCI optdigits digits bundled with scikit-learn (43 writers;
  CC BY 4.0) and pyclustering's 250 sample digits (its PyPI sdist; BSD-3-Clause);
- non-digits from generators, fonts and photos that training never used
  (``scripts.reader_data.HELD_OUT_KINDS``), plus Pac-Men, smileys and specks with fresh seeds.

Each picture goes through ``cnn_core.read_digit``. A digit is right when ``.digit`` equals the
label; a non-digit is flagged when ``.digit`` is None or the reading is not confident. A ten-class
model (the seed recipe's) is confident when its top probability reaches the same threshold.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from scripts import reader_data

ROOT = Path(__file__).resolve().parents[1]
MODELS = {
    "default (digit_reader)": "models/digit_reader.keras",
    "seed recipe (mnist_convnet)": "models/mnist_convnet.keras",
}
SEED = 1011  # never used by the training script (it uses 11)


def digit_snapshots(inks: np.ndarray, labels: np.ndarray, seed: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Each ink redrawn by a pen and slant of its own, then photographed."""
    rng = np.random.default_rng(seed)
    return [reader_data.snapshot(reader_data.pen_digit(ink, rng, elastic=False), rng) for ink in inks], labels


def held_out_sets(mnist: int, optdigits: int, per_kind: int) -> dict[str, tuple[list[np.ndarray], np.ndarray]]:
    """Name -> (snapshots, labels); label -1 is "not a digit"."""
    from cnn_core import load_mnist

    _, (x_test, y_test) = load_mnist()
    pick = np.random.default_rng(SEED).choice(len(x_test), mnist, replace=False)
    sets = {"MNIST-test writers": digit_snapshots(x_test[pick], y_test[pick], SEED + 1)}
    inks, labels = reader_data.optdigits()
    sets["optdigits (UCI, 43 writers)"] = digit_snapshots(inks[:optdigits], labels[:optdigits], SEED + 2)
    sets["pyclustering samples"] = digit_snapshots(*reader_data.pyclustering_digits(), SEED + 3)
    rng = np.random.default_rng(SEED + 4)
    snapshots = [
        reader_data.snapshot(reader_data.non_digit(kind, rng), rng)
        for kind in reader_data.HELD_OUT_KINDS
        for _ in range(per_kind)
    ]
    sets["non-digits"] = (snapshots, np.full(len(snapshots), -1))
    return sets


def read_all(sets, model) -> dict[str, dict]:
    """Name -> the readings' digits, confidence and seconds per picture."""
    from cnn_core import read_digit

    read_digit(sets["MNIST-test writers"][0][0], model)  # Load the model before the clock runs.
    results = {}
    for name, (snapshots, labels) in sets.items():
        digits, confident, seconds = [], [], []
        for snapshot in snapshots:
            start = time.perf_counter()
            reading = read_digit(snapshot, model)
            seconds.append(time.perf_counter() - start)
            digits.append(-1 if reading.digit is None else reading.digit)
            confident.append(reading.confident)
        results[name] = {
            "labels": labels,
            "digits": np.array(digits),
            "confident": np.array(confident),
            "seconds": seconds,
        }
    return results


def figures(results: dict[str, dict]) -> dict[str, float]:
    """The issue's floors, in the order of its list."""
    mnist = results["MNIST-test writers"]
    others = [r for name, r in results.items() if name not in ("MNIST-test writers", "non-digits")]
    other_right = np.concatenate([r["digits"] == r["labels"] for r in others])
    negatives = results["non-digits"]
    true_digits = [mnist, *others]
    confident = np.concatenate([r["confident"] for r in true_digits])
    sure_right = np.concatenate([r["confident"] & (r["digits"] == r["labels"]) for r in true_digits])
    seconds = np.concatenate([r["seconds"] for r in results.values()])
    row = {"MNIST-test writers right": np.mean(mnist["digits"] == mnist["labels"])}
    row["other writers right"] = np.mean(other_right)
    for name, r in zip([n for n in results if n not in ("MNIST-test writers", "non-digits")], others):
        row[f"  {name}"] = np.mean(r["digits"] == r["labels"])
    row["non-digits flagged"] = np.mean((negatives["digits"] == -1) | ~negatives["confident"])
    row["true digits read with confidence"] = np.mean(confident)
    row["  ...confident and right"] = np.mean(sure_right)
    row["latency median (ms)"] = 1000 * np.median(seconds)
    row["latency p95 (ms)"] = 1000 * np.percentile(seconds, 95)
    return row


def clean_accuracy(model_path: str) -> float:
    """MNIST's 10,000 clean test digits fed to the model as they are (a rejected digit is wrong)."""
    from cnn_core import load_mnist
    from cnn_core.vision.reader import _load, _probabilities

    _, (x_test, y_test) = load_mnist()
    model = _load(model_path)
    probabilities = np.concatenate(
        [_probabilities(model, x_test[i : i + 1000] / 255.0) for i in range(0, 10_000, 1000)]
    )
    return float(np.mean(probabilities.argmax(axis=1) == y_test))


FLOORS = {
    "MNIST-test writers right": ">= 98 %",
    "other writers right": ">= 95 %",
    "non-digits flagged": ">= 90 %",
    "true digits read with confidence": ">= 90 %",
    "latency median (ms)": "<= 20",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=int, default=1000, help="MNIST test digits to photograph")
    parser.add_argument("--optdigits", type=int, default=1797, help="optdigits digits to photograph (all: 1797)")
    parser.add_argument("--per-kind", type=int, default=125, help="non-digits of each held-out kind")
    parser.add_argument(
        "--model", action="append", metavar="LABEL=PATH", help="models to compare (default: the two shipped ones)"
    )
    args = parser.parse_args()
    models = dict(entry.split("=", 1) for entry in args.model) if args.model else MODELS
    sets = held_out_sets(args.mnist, args.optdigits, args.per_kind)
    print(", ".join(f"{name}: {len(s[0])}" for name, s in sets.items()))
    table = {name: figures(read_all(sets, str(ROOT / path))) for name, path in models.items()}
    for name, path in models.items():
        table[name]["clean MNIST test digits right"] = clean_accuracy(str(ROOT / path))
    names = list(table)
    print(f"| figure | floor | {' | '.join(names)} |\n|---|---|{'---:|' * len(names)}")
    for figure in table[names[0]]:
        cells = [f"{table[n][figure]:.1f}" if "ms" in figure else f"{100 * table[n][figure]:.1f} %" for n in names]
        print(f"| {figure} | {FLOORS.get(figure, '')} | {' | '.join(cells)} |")
    print(f"load average during the run: {os.getloadavg()[0]:.2f} (1 min), {os.getloadavg()[1]:.2f} (5 min)")


if __name__ == "__main__":
    main()
