"""The augmentation page, driven through AppTest: controls, presets, variants, seed, upload, code."""

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnn_core.vision.augment import SEED_PREVIEW, SEED_TRAINING, AugmentSettings, augment_variants, describe_params
from cnn_core.vision.augment_code import datagen_code, keras_layers_code
from cnn_core.vision.images import load_sample_photo, resize
from tests.support.apptest import page_test


def page() -> AppTest:
    at = page_test("augmentation", timeout=60)
    at.run()
    assert not at.exception
    return at


def variant_captions(at: AppTest) -> list[str]:
    return [image.captions[0] for image in at.image[1:]]


def expected_captions(settings, count, seed, photo=None) -> list[str]:
    photo = resize(load_sample_photo() if photo is None else photo, (150, 150))
    return [describe_params(p) for _, p in augment_variants(photo.astype(np.float32), settings, count, seed)]


def slider(at: AppTest, label_start: str):
    return next(s for s in at.slider if s.label.startswith(label_start))


def test_defaults_are_the_seed_preview_cell_with_its_variants_and_code():
    at = page()
    assert not at.error
    assert at.session_state["augmentation_settings"] == SEED_PREVIEW
    assert len(at.image) == 1 + 8 and at.image[0].captions == ["original (150x150)"]
    assert variant_captions(at) == expected_captions(SEED_PREVIEW, 8, 0)
    book, layers = at.code[0].value, at.code[1].value
    assert book == datagen_code(SEED_PREVIEW)
    assert "rotation_range=30," in book and "shear_range=0.2," in book and "fill_mode='nearest'" in book
    assert layers == keras_layers_code(SEED_PREVIEW, (150, 150))
    assert any("Stefan van der Walt" in caption.value and "CC0" in caption.value for caption in at.caption)


def test_controls_change_the_settings_the_grid_and_the_code():
    at = page()
    slider(at, "rotation_range").set_value(90)
    slider(at, "zoom_range").set_value(0.0)
    at.checkbox(key="aug_vflip").check()
    at.selectbox(key="aug_fill").set_value("constant")
    slider(at, "Variants").set_value(16)
    at.run()
    assert not at.exception and not at.error
    expected = AugmentSettings(90, 0.1, 0.1, 0.2, 0.0, horizontal_flip=True, vertical_flip=True, fill_mode="constant")
    assert at.session_state["augmentation_settings"] == expected
    assert len(at.image) == 17
    assert variant_captions(at) == expected_captions(expected, 16, 0)
    assert "rotation_range=90," in at.code[0].value and "vertical_flip=True," in at.code[0].value
    assert "RandomZoom" not in at.code[1].value and 'RandomFlip("horizontal_and_vertical")' in at.code[1].value
    assert 'fill_mode="constant", fill_value=0.0' in at.code[1].value


def test_presets_and_reroll():
    at = page()
    at.button[1].click().run()  # the seed's training cell
    assert at.session_state["augmentation_settings"] == SEED_TRAINING
    assert slider(at, "rotation_range").value == 40 and slider(at, "shear_range").value == pytest.approx(0.4)
    at.button[2].click().run()  # none
    assert at.session_state["augmentation_settings"].is_identity
    assert set(variant_captions(at)) == {"unchanged"}
    assert "No augmentation" in at.code[1].value
    at.button[0].click().run()  # back to the preview cell
    before = variant_captions(at)
    next(b for b in at.button if "Reroll" in b.label).click().run()
    seed = at.number_input(key="aug_seed").value
    assert seed != 0 or variant_captions(at) == before  # a reroll may, rarely, draw 0 again
    assert variant_captions(at) == expected_captions(SEED_PREVIEW, 8, seed)
    at.number_input(key="aug_seed").set_value(0).run()
    assert variant_captions(at) == before


def test_an_uploaded_photo_is_augmented_and_a_bad_upload_is_explained():
    at = page()
    at.radio(key="aug_source").set_value("Upload a photo").run()
    assert any("bundled cat is shown" in info.value for info in at.info)
    photo = np.zeros((60, 90, 3), np.uint8)
    photo[:, :45] = (200, 30, 30)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    at.file_uploader(key="aug_upload").upload("flag.png", buffer.getvalue(), "image/png")
    at.run()
    assert not at.exception and not at.error
    assert variant_captions(at) == expected_captions(SEED_PREVIEW, 8, 0, photo)
    at.file_uploader(key="aug_upload").clear().upload("notes.png", b"this is not a picture", "image/png")
    at.run()
    assert not at.exception
    assert any("notes.png" in error.value for error in at.error)
    assert variant_captions(at) == expected_captions(SEED_PREVIEW, 8, 0)  # back to the cat
