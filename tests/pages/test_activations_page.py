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
from cnn_core.vision.images import load_image, load_sample_photo, prepare_image
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


HISTORY = MODELS_DIR / "mnist_convnet_epochs.npz"


def epoch_weights_model(epoch_index: int):
    """The shipped architecture with epoch ``epoch_index``'s weights read straight from the npz."""
    import keras

    model = keras.models.load_model(SHIPPED, compile=False)
    with np.load(HISTORY) as data:
        count = sum(key.startswith("weights_") for key in data.files)
        model.set_weights([data[f"weights_{i}"][epoch_index] for i in range(count)])
    return model


@pytest.mark.skipif(not HISTORY.exists(), reason="models/mnist_convnet_epochs.npz is not shipped in this checkout")
def test_the_maps_at_an_epoch_are_those_of_that_epochs_weights():
    from ui import epochs as epochs_ui

    _, (x_test, _y) = load_mnist()
    x = x_test[3][..., None] / 255.0
    epochs = epochs_ui.shipped_epochs("mnist_convnet")
    assert epochs == [0, 1, 2, 3, 4, 5]
    shipped = shipped_model("mnist_convnet")
    for k in (0, 2):
        shown = dict(layer_activations(epochs_ui.shipped_model_at_epoch("mnist_convnet", k, shipped), x))
        reference = dict(layer_activations(epoch_weights_model(k), x))
        assert shown.keys() == reference.keys()
        for name in shown:
            np.testing.assert_allclose(shown[name], reference[name], atol=1e-5)
    first, last = dict(layer_activations(epoch_weights_model(0), x)), dict(layer_activations(shipped, x))
    assert not np.allclose(first["conv2d_1"], last["conv2d_1"], atol=1e-3)  # training moved the maps


@pytest.mark.skipif(not HISTORY.exists(), reason="models/mnist_convnet_epochs.npz is not shipped in this checkout")
def test_the_epoch_slider_shows_the_shipped_model_before_and_after_training():
    at = run_page()
    assert_clean(at)
    slider = at.select_slider(key="activations_epoch_mnist_convnet")
    assert slider.options == [str(e) for e in range(6)] and slider.value == 5
    blank = " ".join(c.value for c in at.caption if "blank for this picture" in c.value)
    assert "found nothing" in blank and "dead ReLU" not in blank  # trained: blank maps are absent features
    _, (x_test, _y) = load_mnist()

    def zoom_stats(model) -> str:
        values = dict(layer_activations(model, x_test[0][..., None] / 255.0))["conv2d_1"][..., 0]
        return f"min **{values.min():.4g}** · max **{values.max():.4g}** · mean **{values.mean():.4g}**"

    at.select_slider(key="activations_epoch_mnist_convnet").set_value(0).run()
    assert_clean(at)
    markdown = [m.value for m in at.markdown]
    assert zoom_stats(epoch_weights_model(0)) in markdown
    assert zoom_stats(shipped_model("mnist_convnet")) not in markdown
    assert any("after 0 of its 5 training epochs" in c.value for c in at.caption)
    blank = " ".join(c.value for c in at.caption if "blank for this picture" in c.value)
    assert "dead ReLU" in blank and "found nothing" not in blank  # epoch 0 is untrained

    at.select_slider(key="activations_epoch_mnist_convnet").set_value(3).run()
    assert_clean(at)
    assert zoom_stats(epoch_weights_model(3)) in [m.value for m in at.markdown]


@pytest.mark.skipif(
    not (MODELS_DIR / "mnist_convnet_augmented.keras").exists(),
    reason="models/mnist_convnet_augmented.keras is not shipped in this checkout",
)
def test_a_model_without_a_history_says_so_and_has_no_slider(monkeypatch, tmp_path):
    import shutil

    for name in ("mnist_convnet", "mnist_convnet_augmented"):  # the models, but not their histories
        shutil.copy(MODELS_DIR / f"{name}.keras", tmp_path)
    monkeypatch.setattr(resources, "MODELS_DIR", tmp_path)
    at = run_page()
    at.selectbox(key="activations_model").set_value(SHIPPED_MODELS["mnist_convnet_augmented"]).run()
    assert_clean(at)
    assert not at.select_slider
    assert any("without its epoch history" in c.value for c in at.caption)


@pytest.mark.skipif(
    not (MODELS_DIR / "mnist_convnet_augmented_epochs.npz").exists(),
    reason="models/mnist_convnet_augmented_epochs.npz is not shipped in this checkout",
)
def test_the_augmented_model_has_its_ten_epochs_too():
    at = run_page()
    at.selectbox(key="activations_model").set_value(SHIPPED_MODELS["mnist_convnet_augmented"]).run()
    assert_clean(at)
    slider = at.select_slider(key="activations_epoch_mnist_convnet_augmented")
    assert slider.options == [str(e) for e in range(11)] and slider.value == 10
    assert any("after 10 of its 10 training epochs" in c.value for c in at.caption)


def test_the_untrained_seed_model_calls_its_blank_maps_dead_relus(monkeypatch, tmp_path):
    monkeypatch.setattr(resources, "MODELS_DIR", tmp_path)  # only the seed architecture is offered
    at = run_page()
    assert_clean(at)
    blank = [c.value for c in at.caption if "blank for this picture" in c.value]
    assert blank and all("dead ReLU" in text and "found nothing" not in text for text in blank)


def test_the_note_closing_point_in_numbers_on_its_cat():
    from cnn_core.learning.activations import activation_sparsity
    from cnn_core.learning.models import build_cats_dogs_convnet

    at = run_page()
    assert_clean(at)
    table = at.dataframe[0].value
    assert list(table.columns) == ["layer", "map size", "values", "values above 0", "blank maps"]
    cat = prepare_image(load_sample_photo(max_side=512), (150, 150, 3))
    # The seed model's weights are random but seeded: the sizes are the architecture's in any case.
    rows = activation_sparsity(layer_activations(build_cats_dogs_convnet(), cat))
    assert list(table["layer"]) == [row.name for row in rows]
    assert list(table["map size"]) == ["x".join(map(str, row.shape)) for row in rows]
    sizes = list(table["map size"])
    assert (sizes[0], sizes[-1]) == ("148x148x32", "7x7x128")
    assert any("6,272 values where the first keeps 700,928" in c.value for c in at.caption)


def test_grids_keep_at_most_16_labelled_maps_per_row_and_open_the_zoom():
    at = run_page()
    assert_clean(at)
    assert at.slider(key="activations_per_row").max == 16
    at.button(key="activations_zoom_conv2d_2").click().run()
    assert_clean(at)
    assert at.number_input(key="activations_dialog_channel_conv2d_2").max == 63


def uploaded(at: AppTest, picture: np.ndarray) -> AppTest:
    """``at`` with ``picture`` uploaded as a PNG for the grey (MNIST) model."""
    at.radio(key="activations_source_grey").set_value("Upload a picture").run()
    return at.file_uploader(key="activations_upload").set_value(("photo.png", png_bytes(picture), "image/png")).run()


@pytest.mark.skipif(not SHIPPED.exists(), reason="models/mnist_convnet.keras is not shipped in this checkout")
def test_a_photo_for_the_mnist_model_is_prepared_by_read_digit():
    from cnn_core import read_digit
    from cnn_core.vision.snapshots import synthetic_snapshot

    _, (x_test, y_test) = load_mnist()
    snapshot = synthetic_snapshot(x_test[1], rng=1)  # dark ink on lit paper, 320x240
    at = uploaded(run_page(), snapshot)
    assert_clean(at)
    assert not at.checkbox  # no "invert": the reader finds the ink whatever its polarity
    decoded = load_image(png_bytes(snapshot), mode="RGB", max_side=512)  # the upload as the page decodes it
    reference = read_digit(decoded, shipped_model("mnist_convnet"))
    assert reference.confident and not at.warning and not at.info[1:]  # only the "no uploaded models" note
    assert at.metric[0].value == str(reference.digit) == str(y_test[1])
    # The maps are those of what the reader prepared, not of the photo shrunk to 28x28.
    channel = dict(layer_activations(shipped_model("mnist_convnet"), reference.prepared[..., None]))["conv2d_1"][..., 0]
    assert f"max **{channel.max():.4g}**" in " ".join(m.value for m in at.markdown)


def test_an_unsure_reading_says_so_with_the_reason_in_english_and_korean():
    from cnn_core import read_digit
    from cnn_core.learning.models import build_mnist_convnet
    from cnn_core.vision.snapshots import synthetic_snapshot

    _, (x_test, _y) = load_mnist()
    untrained = SessionModel("my net", build_mnist_convnet(), "mnist", [str(i) for i in range(10)], (28, 28, 1))
    snapshot = synthetic_snapshot(x_test[2], rng=2)
    reference = read_digit(load_image(png_bytes(snapshot), mode="RGB", max_side=512), untrained.model)
    assert reference.digit is not None and not reference.confident  # random weights: about 10% each
    for lang in ("en", "ko"):
        at = page_test("activations", timeout=120)
        at.session_state[state.SESSION_MODELS] = {"my net": untrained}
        at.query_params["lang"] = lang
        at.run()
        at.selectbox(key="activations_model").set_value("my net (trained this session)").run()
        at = uploaded(at, snapshot)
        assert not at.exception and not at.error
        assert reference.reason_text(lang) in [info.value for info in at.info], lang
        assert grid_titles(at)  # the maps still follow, of what the model saw


def test_a_blank_photo_for_the_mnist_model_says_no_digit_was_found():
    blank = np.full((120, 160, 3), 220, np.uint8)
    at = uploaded(run_page(), blank)
    assert not at.exception and not at.error
    assert next(w.value for w in at.warning).startswith("**No digit found.** The picture is almost uniform")
    assert not grid_titles(at)
