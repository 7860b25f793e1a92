"""Snapshots of a network while it learns: the first layer's kernels and a few probe images' maps, per epoch.

``train(..., watch=probe_images)`` records one ``EpochSnapshot`` before training (epoch 0) and
after every epoch, so a page can scrub through how the kernels and the feature maps change. A
snapshot is small on purpose: a handful of probe images, maps stored as float16 (a 3-decimal
picture of them is all a page draws), and one forward pass per epoch, a fraction of a percent of
an epoch on MNIST. The shipped models come with theirs in ``models/<name>_epochs.npz``
(``load_epoch_snapshots``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
MAX_PROBES = 8  # Enough pictures to compare; memory stays a few hundred kB per epoch.


@dataclass(frozen=True)
class EpochSnapshot:
    """The network after ``epoch`` epochs (0: before training).

    ``kernels`` is the first conv layer's (kh, kw, C_in, C_out) float32; ``activations`` maps each
    conv and pooling layer's name to the probe images' maps, (N, h, w, c) float16. The shipped
    models also keep all their ``weights`` per epoch, so a page can show any picture's maps at any
    epoch.
    """

    epoch: int
    kernels: np.ndarray
    activations: dict[str, np.ndarray]
    weights: tuple[np.ndarray, ...] | None = None  # every weight (model.get_weights()), when kept

    def kernel_change(self, start: EpochSnapshot) -> np.ndarray:
        """How far each kernel moved since ``start``: the (C_out,) L2 norms of the weight changes."""
        delta = self.kernels.astype(np.float64) - start.kernels.astype(np.float64)
        return np.sqrt((delta**2).reshape(-1, delta.shape[-1]).sum(axis=0))


@dataclass(frozen=True)
class Watch:
    """What to keep of each epoch: the probe images, and for big networks only part of their maps.

    ``layers`` names the layers to keep (None: every conv and pooling layer), ``max_channels`` keeps
    each layer's first channels, ``max_side`` shrinks bigger maps (area averaging) for display: a
    150x150 picture through the cats-vs-dogs convnet would otherwise keep 3 MB per epoch.
    """

    probes: np.ndarray
    layers: tuple[str, ...] | None = None
    max_channels: int | None = None
    max_side: int | None = None

    def keep(self, maps: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The part of ``maps`` ({name: (N, h, w, c)}) this watch keeps, as float16."""
        kept = {}
        for name, values in maps.items():
            if self.layers is not None and name not in self.layers:
                continue
            values = values[..., : self.max_channels] if self.max_channels else values
            if self.max_side and max(values.shape[1:3]) > self.max_side:
                values = _shrink(values, self.max_side)
            kept[name] = values.astype(np.float16)
        return kept


def as_watch(watch) -> Watch:
    """A ``Watch`` from a ``Watch`` or from probe images alone."""
    watch = watch if isinstance(watch, Watch) else Watch(np.asarray(watch))
    return Watch(check_probes(watch.probes), watch.layers, watch.max_channels, watch.max_side)


def _shrink(values: np.ndarray, side: int) -> np.ndarray:
    """(N, h, w, c) maps shrunk so their longer side is ``side``, by area averaging."""
    import cv2

    n, h, w, c = values.shape
    scale = side / max(h, w)
    width, height = max(1, round(w * scale)), max(1, round(h * scale))
    out = np.empty((n, height, width, c), np.float32)
    for i in range(n):
        for start in range(0, c, 4):  # OpenCV area-resizes at most 4 channels at once for any ratio
            part = np.ascontiguousarray(values[i, :, :, start : start + 4], dtype=np.float32)
            shrunk = cv2.resize(part, (width, height), interpolation=cv2.INTER_AREA)
            out[i, :, :, start : start + 4] = shrunk.reshape(height, width, -1)
    return out


def check_probes(probes) -> np.ndarray:
    """Probe images as an array of at most ``MAX_PROBES`` pictures (N, H, W[, C])."""
    probes = np.asarray(probes)
    if probes.ndim not in (3, 4) or not 1 <= len(probes) <= MAX_PROBES:
        raise ValueError(
            f"watch takes 1 to {MAX_PROBES} probe images (N, H, W) or (N, H, W, C), got shape {probes.shape}"
        )
    return probes


def take_snapshot(model, epoch: int, watch: Watch, keep_weights: bool = False) -> EpochSnapshot:
    """The model's first kernels and the watched maps now (and all its weights, with ``keep_weights``)."""
    from cnn_core.learning.activations import first_conv_kernel, probe_activations

    maps = watch.keep(probe_activations(model, watch.probes))
    kernels = first_conv_kernel(model, model.input_shape[1:]).astype(np.float32)
    weights = tuple(np.asarray(w, dtype=np.float32) for w in model.get_weights()) if keep_weights else None
    return EpochSnapshot(int(epoch), kernels, maps, weights)


def snapshot_callback(watch: Watch, record, keep_weights: bool = False):
    """A Keras callback that calls ``record(EpochSnapshot)`` before training and after every epoch."""
    import keras

    class SnapshotCallback(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            record(take_snapshot(self.model, 0, watch, keep_weights))

        def on_epoch_end(self, epoch, logs=None):
            record(take_snapshot(self.model, epoch + 1, watch, keep_weights))

    return SnapshotCallback()


def save_epoch_snapshots(path: str | Path, snapshots: list[EpochSnapshot], probes: np.ndarray) -> None:
    """Store snapshots compactly in one ``.npz``: kernels, maps per layer, the probes and the epochs."""
    arrays = {"epochs": np.array([s.epoch for s in snapshots]), "probes": np.asarray(probes)}
    arrays["kernels"] = np.stack([s.kernels for s in snapshots])  # (E, kh, kw, C_in, C_out)
    names = list(snapshots[0].activations)
    arrays["layers"] = np.array(names)
    for i, name in enumerate(names):
        arrays[f"maps_{i}"] = np.stack([s.activations[name] for s in snapshots])  # (E, N, h, w, c)
    if snapshots[0].weights is not None:
        for i in range(len(snapshots[0].weights)):
            arrays[f"weights_{i}"] = np.stack([s.weights[i] for s in snapshots])  # (E, ...) of weight i
    np.savez_compressed(path, **arrays)


def load_epoch_snapshots(name: str, models_dir: str | Path = MODELS_DIR) -> tuple[list[EpochSnapshot], np.ndarray]:
    """The shipped model ``name``'s snapshots and probe images, from ``models/<name>_epochs.npz``."""
    path = Path(models_dir) / f"{name}_epochs.npz"
    if not path.is_file():
        raise FileNotFoundError(f"no epoch snapshots for {name!r}: {path} is missing (its training script writes it)")
    with np.load(path) as data:
        names = [str(n) for n in data["layers"]]
        maps = [data[f"maps_{i}"] for i in range(len(names))]
        weights = [data[f"weights_{i}"] for i in range(sum(key.startswith("weights_") for key in data.files))]
        snapshots = [
            EpochSnapshot(
                int(epoch),
                data["kernels"][e],
                {n: m[e] for n, m in zip(names, maps)},
                tuple(w[e] for w in weights) if weights else None,
            )
            for e, epoch in enumerate(data["epochs"])
        ]
        return snapshots, data["probes"]


def model_at_epoch(model, snapshot: EpochSnapshot):
    """A copy of ``model`` holding the weights it had at ``snapshot`` (which must have kept them)."""
    import keras

    if snapshot.weights is None:
        raise ValueError(f"the snapshot of epoch {snapshot.epoch} kept no weights")
    copy = keras.models.clone_model(model)
    copy.set_weights(list(snapshot.weights))
    return copy
