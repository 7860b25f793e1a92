"""cnn_core.figures.pictures: a receptive field outlined on an enlarged input (the rest dimmed), and colour strips."""

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


@pytest.mark.parametrize("colorscale", ["viridis", "jet"])
def test_a_colour_strip_runs_from_the_scales_lowest_colour_to_its_highest(colorscale):
    from plotly.colors import sample_colorscale, unlabel_rgb

    from cnn_core.figures.pictures import colour_strip

    strip = colour_strip(colorscale, 64, 5)
    assert strip.shape == (5, 64, 3) and strip.dtype == np.uint8
    assert (strip == strip[:1]).all()  # every row the same
    # plotly's own sampling of the scale at each column's place, 0 at the left to 1 at the right
    positions = np.rint(np.linspace(0, 255, 64)) / 255
    reference = np.array([unlabel_rgb(c) for c in sample_colorscale(colorscale, list(positions))], dtype=float)
    assert np.abs(strip[0].astype(float) - reference).max() <= 1.0


def test_a_colour_strip_needs_room():
    from cnn_core.figures.pictures import colour_strip

    with pytest.raises(ValueError, match="width of 2 or more"):
        colour_strip("viridis", 1, 4)
