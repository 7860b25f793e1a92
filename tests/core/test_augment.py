"""cnn_core.vision.transforms and augment against Keras's own ImageDataGenerator (keras.src.legacy), the reference.

Tolerance: the transforms build Keras's matrix to the last bit and use the same bilinear
interpolation and fill rules, but OpenCV interpolates in float32 where scipy uses float64. With
pixel values up to 255 and coordinates under 100, float32 rounding moves a sample by about 1e-5
pixel, which changes a value by at most about 255 * 1e-5 = 0.003. Differences are asserted below
ATOL = 0.01 on the 0-255 scale (4e-5 of the range); a wrong axis, centre, sign or fill rule
shows up as differences of tens.
"""

import numpy as np
import pytest

from cnn_core.vision.augment import SEED_PREVIEW, AugmentSettings, augment_image, augment_variants
from cnn_core.vision.augment_code import datagen_code, keras_layers_code
from cnn_core.vision.transforms import TRANSFORM_KEYS, apply_transform, random_transform_params

ATOL = 0.01
FILL_MODES = ["nearest", "constant", "reflect", "wrap"]
PARAM_SETS = [
    {"theta": 30.0},
    {"theta": -90.0},
    {"tx": 5.5, "ty": -3.25},
    {"tx": 2, "ty": 0},  # whole pixels: samples land exactly on the edge
    {"shear": 20.0},
    {"zx": 0.6, "zy": 1.4},
    {"zx": 2.5, "zy": 2.5, "theta": 45.0},  # zoomed far out: mostly fill
    {"theta": -25.0, "tx": 3.0, "ty": 2.0, "shear": 10.0, "zx": 1.3, "zy": 0.8, "flip_horizontal": True},
    {"theta": 180.0, "tx": 2, "ty": -3, "flip_vertical": True},
]


def keras_generator(**kwargs):
    from keras.src.legacy.preprocessing.image import ImageDataGenerator

    return ImageDataGenerator(**kwargs)


def smooth_image(height, width, channels):
    rows, cols = np.mgrid[0:height, 0:width]
    planes = [127 + 100 * np.sin(rows / 7.0 + k) * np.cos(cols / 5.0 - k) for k in range(channels)]
    return np.stack(planes, axis=-1).astype(np.float32)


def noise_image(height, width, channels, seed=0):
    return (np.random.default_rng(seed).random((height, width, channels)) * 255).astype(np.float32)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("params", PARAM_SETS, ids=lambda p: ",".join(p))
def test_apply_transform_matches_keras(params, fill_mode):
    image = smooth_image(40, 40, 3)
    expected = keras_generator(fill_mode=fill_mode, cval=17.0).apply_transform(image, params)
    got = apply_transform(image, params, fill_mode=fill_mode, cval=17.0)
    assert got.dtype == np.float32 and got.shape == image.shape
    np.testing.assert_allclose(got, expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("shape", [(30, 50, 1), (23, 17, 2), (12, 31, 3), (16, 16, 5)])
def test_non_square_and_any_channel_count_match_keras(shape, fill_mode):
    # Non-square images keep Keras's off-centre quirk; sharp noise is the hardest case for interpolation.
    image = noise_image(*shape)
    params = {"theta": 33.0, "tx": 2.5, "ty": -1.0, "shear": 12.0, "zx": 1.2, "zy": 0.9}
    expected = keras_generator(fill_mode=fill_mode).apply_transform(image, params)
    np.testing.assert_allclose(apply_transform(image, params, fill_mode), expected, rtol=0, atol=ATOL)


@pytest.mark.parametrize(
    "params",
    [
        {"channel_shift_intensity": 30.0},
        {"channel_shift_intensity": -45.0, "theta": 10.0, "flip_horizontal": True},
        {"brightness": 0.6},
        {"brightness": 1.4, "zx": 1.2, "zy": 1.2, "flip_vertical": True},
    ],
)
def test_channel_shift_and_brightness_match_keras(params):
    image = smooth_image(24, 24, 3)
    expected = keras_generator().apply_transform(image, params)
    np.testing.assert_allclose(apply_transform(image, params), expected, rtol=0, atol=ATOL)


def test_brightness_on_values_outside_0_255_matches_keras():
    # Keras maps such images to 0-255 for PIL and back; the result is quantised to 256 levels.
    image = smooth_image(10, 12, 3) * 4 - 300
    expected = keras_generator().apply_transform(image, {"brightness": 0.7})
    np.testing.assert_allclose(apply_transform(image, {"brightness": 0.7}), expected, rtol=0, atol=0.05)


def test_shift_moves_a_dot_along_the_axes_keras_uses():
    # Worked by hand: Keras samples column c + tx for output column c, so tx = 2 moves the dot 2
    # columns left (tx is drawn from height_shift_range, the quirk of keras-team/keras#17398).
    image = np.zeros((8, 10, 1), np.float32)
    image[2, 3, 0] = 1.0
    assert np.argwhere(apply_transform(image, {"tx": 2})[..., 0] > 0.5).tolist() == [[2, 1]]
    assert np.argwhere(apply_transform(image, {"ty": 2})[..., 0] > 0.5).tolist() == [[0, 3]]


def test_identity_and_flips_are_exact():
    image = noise_image(6, 7, 3)
    np.testing.assert_array_equal(apply_transform(image, {}), image)
    np.testing.assert_array_equal(apply_transform(image, {"flip_horizontal": True}), image[:, ::-1])
    np.testing.assert_array_equal(apply_transform(image, {"flip_vertical": True}), image[::-1])


SAMPLING_KWARGS = [
    {
        "rotation_range": 30,
        "width_shift_range": 0.1,
        "height_shift_range": 0.1,
        "shear_range": 0.2,
        "zoom_range": 0.5,
        "horizontal_flip": True,
    },
    {
        "width_shift_range": 5,
        "height_shift_range": [-3, 0, 4],
        "zoom_range": [0.7, 1.1],
        "vertical_flip": True,
        "channel_shift_range": 20.0,
        "brightness_range": (0.5, 1.5),
    },
    {"width_shift_range": 2.5, "height_shift_range": 0.3, "rotation_range": 180},
    {},
]


@pytest.mark.parametrize("kwargs", SAMPLING_KWARGS)
@pytest.mark.parametrize("seed", [0, 1, 12345])
def test_random_params_match_get_random_transform_draw_for_draw(kwargs, seed):
    shape = (40, 60, 3)
    expected = keras_generator(**kwargs).get_random_transform(shape, seed=seed)
    got = random_transform_params(shape, np.random.RandomState(seed), **kwargs)
    assert list(got) == list(expected) == list(TRANSFORM_KEYS)
    for key, value in expected.items():
        assert got[key] == value or (value is None and got[key] is None), key


def test_shift_range_units():
    rng = np.random.default_rng(0)
    fractions = [random_transform_params((50, 80, 3), rng, height_shift_range=0.1)["tx"] for _ in range(200)]
    assert max(abs(t) for t in fractions) <= 5.0 and max(abs(t) for t in fractions) > 4.0  # 0.1 of 50 rows
    pixels = {random_transform_params((50, 80, 3), rng, width_shift_range=3)["ty"] for _ in range(200)}
    assert pixels == {-2, -1, 0, 1, 2}  # an int n: whole pixels in [0, n) with a sign


def test_bad_arguments_say_what_is_allowed():
    image = np.zeros((4, 4, 3), np.float32)
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        apply_transform(image, {}, fill_mode="mirror")
    with pytest.raises(ValueError, match="unknown transform keys"):
        apply_transform(image, {"rotation": 10})
    with pytest.raises(ValueError, match=r"got shape \(4, 4\)"):
        apply_transform(np.zeros((4, 4)), {})
    with pytest.raises(ValueError, match="zoom_range"):
        random_transform_params((4, 4, 3), np.random.default_rng(0), zoom_range=(0.5, 1.0, 2.0))
    with pytest.raises(ValueError, match="width_shift_range"):
        AugmentSettings(width_shift_range=1.5)


def test_variants_repeat_with_the_seed_and_match_one_by_one_draws():
    image = smooth_image(32, 32, 3)
    first = augment_variants(image, SEED_PREVIEW, 4, seed=7)
    again = augment_variants(image, SEED_PREVIEW, 4, seed=7)
    other = augment_variants(image, SEED_PREVIEW, 4, seed=8)
    for (a, pa), (b, pb) in zip(first, again):
        np.testing.assert_array_equal(a, b)
        assert pa == pb
    assert not np.allclose(first[0][0], other[0][0])
    rng = np.random.default_rng(7)
    for variant, _ in first:
        np.testing.assert_array_equal(variant, augment_image(image, SEED_PREVIEW, rng))


def test_datagen_code_builds_the_same_generator():
    settings = AugmentSettings(35, 0.15, 0.05, 8.0, 0.3, horizontal_flip=True, fill_mode="reflect")
    code = datagen_code(settings)
    assert code.startswith("from keras.preprocessing.image import ImageDataGenerator")
    namespace = {}
    exec(code.replace("keras.preprocessing.image", "keras.src.legacy.preprocessing.image"), namespace)
    datagen = namespace["datagen"]
    assert datagen.fill_mode == "reflect"
    expected = datagen.get_random_transform((150, 150, 3), seed=3)
    assert random_transform_params((150, 150, 3), np.random.RandomState(3), **settings.ranges()) == expected


def test_keras_layers_code_builds_layers_with_the_equivalent_factors():
    settings = AugmentSettings(30, 0.1, 0.2, 11.5, 0.5, horizontal_flip=True, fill_mode="nearest")
    namespace = {}
    exec(keras_layers_code(settings, (150, 150)), namespace)
    layers = {type(layer).__name__: layer for layer in namespace["augmentation"].layers}
    assert list(layers) == ["RandomRotation", "RandomTranslation", "RandomShear", "RandomZoom", "RandomFlip"]
    rotation = layers["RandomRotation"]
    assert rotation.factor == pytest.approx((-30 / 360, 30 / 360), abs=1e-6)  # a fraction of a turn
    translation = layers["RandomTranslation"]
    # ImageDataGenerator moves the image up/down by width_shift_range (keras-team/keras#17398).
    assert translation.height_factor == pytest.approx(0.1) and translation.width_factor == pytest.approx(0.2)
    assert layers["RandomShear"].x_factor == pytest.approx(
        (-np.sin(np.deg2rad(11.5)), np.sin(np.deg2rad(11.5))), abs=1e-6
    )
    zoom = layers["RandomZoom"]
    assert (zoom.height_lower, zoom.height_upper, zoom.width_lower, zoom.width_upper) == pytest.approx(
        (-0.5, 0.5, -0.5, 0.5)
    )
    assert all(getattr(layer, "fill_mode", "nearest") == "nearest" for layer in layers.values())
    out = namespace["augmentation"](np.zeros((2, 150, 150, 3), np.float32), training=True)
    assert tuple(out.shape) == (2, 150, 150, 3)
