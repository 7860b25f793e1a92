"""The input pipeline: batches gathered from shared numpy arrays, optionally augmented, scaled to [0, 1].

Every training goes through ``make_dataset``: MNIST, image folders, with or without augmentation.
The arrays stay in their dtype (uint8) in memory and are never copied into TensorFlow: a float32
copy of all of MNIST would cost 190 MB per training, and the arrays are shared by every session.
"""

from __future__ import annotations

import numpy as np


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    shuffle: bool = False,
    seed: int | None = None,
    input_shape=None,
    augmentation=None,
):
    """A batched, prefetched ``tf.data.Dataset`` of (float32 images in [0, 1], labels).

    ``images`` (N, H, W) or (N, H, W, C) stay in their dtype in memory; uint8 batches are scaled
    by 1/255 as they are drawn, float images pass through as float32. A missing channel axis is
    added when ``input_shape`` (H, W, C) asks for one. Shuffling shuffles indices, not images,
    so the shuffle buffer holds 8 bytes per example instead of a copy of the data.

    ``augmentation`` (a ``cnn_core.vision.augment.AugmentSettings``) augments each uint8 batch
    with ``augment_batch``, as the Augmentation page previews it; each batch draws its transforms
    from its own seed, so a seeded run repeats whatever the parallelism.

    Batches are gathered from the numpy arrays themselves (``tf.numpy_function``), so TensorFlow
    holds no copy of the data set. Such a dataset lives in this process; it cannot be serialized
    (tf.data service, multi-worker).
    """
    import tensorflow as tf

    from cnn_core.data.rows import as_rows
    from cnn_core.vision.augment import augment_batch

    images, labels = as_rows(images), np.asarray(labels)  # A worker's RowFile reads each batch from its file.
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(
            f"need as many labels as images (at least one), got {len(images)} images and {len(labels)} labels"
        )
    augmenting = augmentation is not None and not augmentation.is_identity
    if augmenting and images.dtype != np.uint8:
        raise ValueError(f"augmentation works on uint8 images (0-255, as Keras's generator), got {images.dtype}")
    add_channel = input_shape is not None and images.ndim == len(input_shape)
    batch_shape = (None, *images.shape[1:], *((1,) if add_channel else ()))
    label_type = tf.as_dtype(labels.dtype)

    def gather(index: np.ndarray, batch_seed: np.ndarray):  # (B,) -> images (B, ...), labels (B,)
        batch = images[index]
        if not augmenting:
            return batch, labels[index]
        batch = batch[..., None] if add_channel else batch  # (B, H, W, C)
        return augment_batch(batch, augmentation, int(batch_seed)), labels[index]

    def load(index, batch_seed):  # -> ((B, H, W, C) float32, (B,) labels)
        image_type = tf.float32 if augmenting else tf.as_dtype(images.dtype)
        batch, batch_labels = tf.numpy_function(gather, [index, batch_seed], [image_type, label_type], stateful=False)
        batch_labels.set_shape((None,))
        if augmenting:
            batch.set_shape(batch_shape)
            return batch, batch_labels
        batch.set_shape((None, *images.shape[1:]))
        batch = tf.cast(batch, tf.float32)
        if images.dtype == np.uint8:
            batch = batch / 255.0
        if add_channel:
            batch = batch[..., tf.newaxis]
        return batch, batch_labels

    order = tf.data.Dataset.range(len(images))
    if shuffle:
        order = order.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip(order.batch(batch_size), seeds)
    return dataset.map(load, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
