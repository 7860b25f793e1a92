"""cnn_core.figures.pictures.field_picture: a receptive field outlined on an enlarged input, the rest dimmed."""

import numpy as np
import pytest

from cnn_core.figures.pictures import field_picture


def test_the_box_is_outlined_its_inside_kept_and_the_rest_dimmed():
    image = np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8)
    picture = field_picture(image, (4, 6, 21, 23), target_width=196, color=(255, 80, 40), dim=0.5)  # 7x enlarged
    assert picture.shape == (196, 196, 3)
    reference = np.repeat(np.rint(image * 0.5).astype(np.uint8), 7, axis=0).repeat(7, axis=1)
    outside = np.ones((196, 196), bool)
    outside[28:154, 42:168] = False
    np.testing.assert_array_equal(picture[outside][:, 0], reference[outside])
    border = np.zeros((196, 196), bool)
    border[28:154, 42:168] = True
    border[30:152, 44:166] = False  # the outline is 7 // 3 = 2 screen pixels inside the box's border
    assert (picture[border] == (255, 80, 40)).all()
    enlarged = np.repeat(image, 7, axis=0).repeat(7, axis=1)
    np.testing.assert_array_equal(picture[30:152, 44:166, 1], enlarged[30:152, 44:166])


def test_no_box_is_the_enlarged_picture_and_a_box_outside_is_refused():
    image = np.linspace(0, 1, 16).reshape(4, 4)
    plain = field_picture(image, None, target_width=8)
    assert plain.shape == (8, 8, 3) and plain[0, 0].tolist() == [0, 0, 0] and plain[7, 7].tolist() == [255] * 3
    with pytest.raises(ValueError, match=r"inside a \(4, 4\) picture"):
        field_picture(image, (0, 0, 4, 3))
