"""AppTest of the activation maps page: model and picture choices, grids, zoom, Grad-CAM, filter patterns."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from cnn_core.data.mnist import load_mnist
from cnn_core.learning.activations import layer_activations
from cnn_core.learning.models import build_convnet
from cnn_core.vision.images import load_sample_photo, prepare_image
from tests.support.apptest import page_test
from ui import resources, state
from ui.resources import MODELS_DIR, SHIPPED_MODELS, shipped_model
from ui.state import SessionModel

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pytestmark = pytest.mark.slow

SHIPPED = MODELS_DIR / "mnist_convnet.keras"
SEED_MODEL = "Seed cats-vs-dogs convnet (untrained)"


@pytest.fixture(scope="module")
def folder_entry():
    """A small untrained three-class colour model, as the folder-training page would register it."""

    model = build_convnet(input_shape=(32, 32, 3), num_classes=3, filters=(4, 8), dense_units=8)
    return SessionModel("tiny folder net", model, "folder", ["ant", "bee", "cow"], (32, 32, 3))


def run_page(session_models: dict | None = None) -> AppTest:
    at = page_test("activations", timeout=120)
    if session_models:
        at.session_state[state.SESSION_MODELS] = session_models
    return at.run()


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def grid_titles(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**") and " · " in m.value and "x" in m.value]


def image_captions(at: AppTest) -> list[str]:
    return [caption for image in at.image for caption in image.captions]


def expected_titles(model, picture, input_shape) -> list[str]:
    maps = layer_activations(model, prepare_image(picture, input_shape))
    return [f"**{name}** · {'x'.join(map(str, a.shape))}" for name, a in maps]


@pytest.mark.skipif(not SHIPPED.exists(), reason="models/mnist_convnet.keras is not shipped in this checkout")
def test_the_shipped_mnist_model_on_test_digits():
    at = run_page()
    assert_clean(at)
    assert at.selectbox(key="activations_model").value == SHIPPED_MODELS["mnist_convnet"]
    assert any("does not accept uploaded model files" in info.value for info in at.info)
    _, (x_test, y_test) = load_mnist()
    model = shipped_model("mnist_convnet")
    assert grid_titles(at) == expected_titles(model, x_test[0], (28, 28, 1))
    assert at.metric[0].value == str(y_test[0])  # the shipped model reads test digit 0 right

    at.number_input(key="activations_digit").set_value(1).run()
    assert_clean(at)
    assert at.metric[0].value == str(y_test[1])
    assert f"Grad-CAM for '{y_test[1]}'" in image_captions(at)

    at.selectbox(key="activations_zoom_layer").set_value("conv2d_2").run()
    at.number_input(key="activations_zoom_channel_conv2d_2").set_value(5).run()
    assert_clean(at)
    channel = dict(layer_activations(model, x_test[1][..., None] / 255.0))["conv2d_2"][..., 5]
    assert f"max **{channel.max():.4g}**" in " ".join(m.value for m in at.markdown)


@pytest.mark.skipif(
    not (MODELS_DIR / "mnist_convnet_augmented.keras").exists(),
    reason="models/mnist_convnet_augmented.keras is not shipped in this checkout",
)
def test_the_shipped_augmented_model_is_offered_too():
    at = run_page()
    at.selectbox(key="activations_model").set_value(SHIPPED_MODELS["mnist_convnet_augmented"]).run()
    assert_clean(at)
    _, (x_test, y_test) = load_mnist()
    assert grid_titles(at) == expected_titles(shipped_model("mnist_convnet_augmented"), x_test[0], (28, 28, 1))
    assert at.metric[0].value == str(y_test[0])


def test_a_session_folder_model_with_the_cat_and_its_filter_patterns(folder_entry):
    at = run_page({folder_entry.name: folder_entry})
    label = f"{folder_entry.name} (trained this session)"
    at.selectbox(key="activations_model").set_value(label).run()
    assert_clean(at)
    assert at.radio(key="activations_source_colour").value == "Sample cat photo"  # colour model: the cat first
    cat = load_sample_photo(max_side=512)
    assert grid_titles(at) == expected_titles(folder_entry.model, cat, (32, 32, 3))
    assert at.metric[0].value in folder_entry.class_names

    at.selectbox(key="activations_cam_class").set_value(2).run()
    assert_clean(at)
    assert "Grad-CAM for 'cow'" in image_captions(at)

    at.selectbox(key="activations_pattern_layer").set_value("conv2d_2").run()
    at.slider(key="activations_pattern_range_conv2d_2").set_value((1, 3)).run()
    at.slider(key="activations_pattern_steps").set_value(10).run()
    assert at.button(key="activations_pattern_go").label == "Compute 3 filter pattern(s)"
    at.button(key="activations_pattern_go").click().run()
    assert_clean(at)
    gallery = [c.split(" · ")[0] for c in image_captions(at) if c.startswith("filter ")]
    assert gallery == ["filter 1", "filter 2", "filter 3"]
    assert not [b for b in at.button if b.key == "activations_pattern_go"]  # kept for the session
    assert len(at.session_state["activations_filter_patterns"]) == 3


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploads_and_the_camera_feed_the_model(folder_entry):
    at = run_page({folder_entry.name: folder_entry})
    at.selectbox(key="activations_model").set_value(f"{folder_entry.name} (trained this session)").run()
    at.radio(key="activations_source_colour").set_value("Upload a picture").run()
    assert_clean(at)
    assert any("Upload a picture to continue" in info.value for info in at.info)

    at.file_uploader(key="activations_upload").set_value(("notes.png", b"not an image at all", "image/png")).run()
    assert not at.exception
    assert any("Could not use **notes.png**" in error.value for error in at.error)

    stripes = np.zeros((40, 60, 3), np.uint8)
    stripes[:, ::4] = 255
    at.file_uploader(key="activations_upload").set_value(("stripes.png", png_bytes(stripes), "image/png")).run()
    assert_clean(at)
    assert grid_titles(at) == expected_titles(folder_entry.model, stripes, (32, 32, 3))

    buffer = io.BytesIO()
    Image.fromarray(load_sample_photo(max_side=64)).save(buffer, format="JPEG")
    at.radio(key="activations_source_colour").set_value("Camera").run()
    at.camera_input(key="activations_camera").set_value(("shot.jpg", buffer.getvalue(), "image/jpeg")).run()
    assert_clean(at)
    assert len(grid_titles(at)) == 3


def test_without_the_shipped_model_the_seed_architecture_shows_the_seed_listing(monkeypatch, tmp_path):
    monkeypatch.setattr(resources, "MODELS_DIR", tmp_path)  # an empty models/ folder
    at = run_page()
    assert_clean(at)
    assert at.selectbox(key="activations_model").options == [SEED_MODEL]
    assert any("random" in warning.value for warning in at.warning)
    assert grid_titles(at) == [
        "**conv2d_1** · 148x148x32",
        "**max_pooling2d_1** · 74x74x32",
        "**conv2d_2** · 72x72x64",
        "**max_pooling2d_2** · 36x36x64",
        "**conv2d_3** · 34x34x128",
        "**max_pooling2d_3** · 17x17x128",
        "**conv2d_4** · 15x15x128",
        "**max_pooling2d_4** · 7x7x128",
    ]
    assert at.metric[0].value in ("cat", "dog")
