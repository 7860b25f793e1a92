"""The players' cache key (one fingerprint of the inputs, equal for equal inputs, different for any change), and the concept pages' shared results."""

import numpy as np
import pytest

from ui.players import Inputs

IMAGE = np.arange(30, dtype=np.float64).reshape(5, 6, 1)
KERNEL = np.ones((3, 3, 1, 1))
BIAS = np.zeros(1)


def test_equal_inputs_share_a_fingerprint():
    a = Inputs.of(IMAGE, KERNEL, BIAS, 1, "valid", "relu")
    b = Inputs.of(IMAGE.copy(), KERNEL.copy(), BIAS.copy(), 1, "valid", "relu")
    assert a.digest == b.digest and a.values[0] is IMAGE


def _changed_cell():
    image = IMAGE.copy()
    image[4, 5, 0] += 1e-9
    return (image, KERNEL, BIAS, 1, "valid", "relu")


@pytest.mark.parametrize(
    "values",
    [
        _changed_cell(),
        (IMAGE.astype(np.float32), KERNEL, BIAS, 1, "valid", "relu"),
        (IMAGE.reshape(6, 5, 1), KERNEL, BIAS, 1, "valid", "relu"),
        (IMAGE, KERNEL, BIAS + 1, 1, "valid", "relu"),
        (IMAGE, KERNEL, BIAS, 2, "valid", "relu"),
        (IMAGE, KERNEL, BIAS, 1, "same", "relu"),
        (IMAGE, KERNEL, BIAS, 1, "valid", None),
        (IMAGE[:, ::2], KERNEL, BIAS, 1, "valid", "relu"),
    ],
    ids=["one-cell", "dtype", "shape", "bias", "strides", "padding", "activation", "strided-view"],
)
def test_any_change_changes_the_fingerprint(values):
    assert Inputs.of(*values).digest != Inputs.of(IMAGE, KERNEL, BIAS, 1, "valid", "relu").digest


def test_frames_are_shared_between_lookups_not_copied():
    """Equal inputs get the very same frames (read-only), and the frames are the steps of conv2d."""
    from cnn_core import conv2d
    from ui.players import _conv_frames

    first, total = _conv_frames(Inputs.of(IMAGE, KERNEL, BIAS, 1, "valid", "relu"))
    again, _ = _conv_frames(Inputs.of(IMAGE.copy(), KERNEL.copy(), BIAS.copy(), 1, "valid", "relu"))
    assert again is first and total == len(first) == 3 * 4
    assert not first[0].patch.flags.writeable
    expected = conv2d(IMAGE, KERNEL, BIAS, strides=1, padding="valid", activation="relu")
    np.testing.assert_allclose([frame.value for frame in first], expected.reshape(-1))


def test_the_concept_pages_results_are_shared_read_only_and_are_the_engines():
    """ui.concept's cached conv2d, pool2d and photo convolution: one read-only array per input, as computed."""
    import tensorflow as tf

    from cnn_core import conv2d, pool2d
    from ui import concept

    first = concept.conv2d(IMAGE, KERNEL, BIAS, 2, "same")
    again = concept.conv2d(IMAGE.copy(), KERNEL.copy(), BIAS.copy(), 2, "same")
    assert again is first and not first.flags.writeable
    assert concept.conv2d(IMAGE, KERNEL, BIAS + 1e-9, 2, "same") is not first
    reference = tf.nn.conv2d(IMAGE[None], KERNEL, strides=2, padding="SAME")[0].numpy() + BIAS
    np.testing.assert_allclose(first, reference, atol=1e-9)

    pooled = concept.pool2d(IMAGE, 2, 2, "valid", "max")
    assert concept.pool2d(IMAGE.copy(), 2, 2, "valid", "max") is pooled and not pooled.flags.writeable
    np.testing.assert_allclose(pooled, pool2d(IMAGE, 2, 2, "valid", "max"))

    kernel = np.arange(27.0).reshape(3, 3, 3, 1) / 27 - 0.5
    photo = concept.sample_photo((40, 30), "RGB")
    feature_map = concept.photo_conv2d((40, 30), "RGB", kernel, "valid")
    assert concept.photo_conv2d((40, 30), "RGB", kernel.copy(), "valid") is feature_map
    assert feature_map.shape == (38, 28, 1) and not feature_map.flags.writeable and not photo.flags.writeable
    np.testing.assert_allclose(feature_map, conv2d(photo, kernel, np.zeros(1), 1, "valid"))
    reference = tf.nn.conv2d(photo[None], kernel, strides=1, padding="VALID")[0].numpy()
    np.testing.assert_allclose(feature_map, reference, atol=1e-5)
