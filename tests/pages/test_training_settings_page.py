"""The training pages' Keras code, settings errors and sentences: the listing each page shows follows
its widgets and builds the page's own model; an out-of-range setting is refused beside its field,
with the range in the field's help; a bad zip's error names the zip and leaves no progress line."""

from __future__ import annotations

import inspect
import io
import zipfile

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnn_core.data import download, folders
from cnn_core.learning import settings as training
from cnn_core.learning.models import build_cats_dogs_convnet, build_convnet
from tests.core.test_folders import shapes_members, write_shapes
from tests.support.apptest import page_test

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real download, no ~/.keras, no folder paths, no cached data."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("CNN_LAB_FOLDER_PATHS", "0")
    monkeypatch.setattr(download, "CATS_DOGS_URL", (tmp_path / "offline" / "cats_and_dogs_filtered.zip").as_uri())
    st.cache_resource.clear()


def opened(name: str, **state) -> AppTest:
    at = page_test(name, **state)
    at.run()
    assert not at.exception, at.exception
    return at


def widget(elements, label):
    return next(element for element in elements if element.label == label)


def layers(model) -> list[tuple]:
    """Every layer's type, output shape and parameter count, in order."""
    return [(type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers]


def built_by(listing: str):
    """The model the listing builds and compiles, executed up to its ``model.fit`` (which needs data)."""
    import keras

    build, fit = listing.split("\nhistory = model.fit(")
    assert "model.compile(" in build and "x_train" in fit
    namespace = {"keras": keras}
    exec(compile(build, "<shown listing>", "exec"), namespace)
    return namespace["model"]


def assert_same_model(listing: str, reference, optimizer: str, learning_rate: float, epochs: int, batch_size: int):
    model = built_by(listing)
    assert layers(model) == layers(reference)
    assert model.count_params() == reference.count_params()
    assert type(model.optimizer).__name__.lower() == optimizer
    assert float(model.optimizer.learning_rate) == pytest.approx(learning_rate)
    assert f"epochs={epochs}," in listing and f"batch_size={batch_size}," in listing


def shapes_data(tmp_path, per_class: int = 5) -> folders.ImageFolderData:
    write_shapes(tmp_path / "shapes", per_class)
    return folders.load_image_folder(tmp_path / "shapes")


# --- item 12.4: the Keras code follows the widgets -------------------------------------------------


def test_the_mnist_listing_follows_the_widgets_and_builds_the_pages_model():
    at = opened("training")
    widget(at.slider, "Conv blocks").set_value(2).run()
    widget(at.select_slider, "Kernel size").set_value(5).run()
    widget(at.radio, "Pooling (2x2, between blocks)").set_value("average").run()
    widget(at.select_slider, "Dense units").set_value(32).run()
    widget(at.selectbox, "Optimizer").set_value("sgd").run()
    widget(at.number_input, "Learning rate").set_value(0.01).run()
    widget(at.number_input, "Epochs").set_value(3).run()
    widget(at.select_slider, "Batch size").set_value(128).run()
    widget(at.slider, "Dropout after Flatten").set_value(0.25).run()
    assert not at.exception and not at.error
    listing = at.code[0].value
    assert at.code[0].language == "python"
    reference = build_convnet(filters=(32, 64), kernel_size=5, pooling="average", dropout=0.25, dense_units=32)
    assert_same_model(listing, reference, "sgd", 0.01, 3, 128)
    total = f"Total parameters: {reference.count_params():,}"
    assert any(total in m.value for m in at.markdown)  # the table beside it says the same


def test_the_mnist_listing_waits_for_settings_in_range():
    at = opened("training")
    widget(at.number_input, "Epochs").set_value(0).run()
    assert not at.code
    assert any("once the training settings are in range" in c.value for c in at.caption)


def test_the_folder_listing_follows_the_widgets_and_builds_the_pages_model(tmp_path):
    data = shapes_data(tmp_path)
    at = opened("folder_training", folder_data=data)
    at.slider(key="folder_dropout").set_value(0.0).run()
    at.number_input(key="folder_epochs").set_value(7).run()
    at.select_slider(key="folder_batch").set_value(32).run()
    at.select_slider(key="folder_lr").set_value(3e-4).run()
    assert not at.exception and not at.error
    listing = next(code.value for code in at.code if "keras.Sequential" in code.value)
    reference = build_cats_dogs_convnet(dropout=0.0, input_shape=data.input_shape, num_classes=data.num_classes)
    assert_same_model(listing, reference, "adam", 3e-4, 7, 32)


def test_the_lab_shows_both_recipes_and_the_notes_two_models(tmp_path):
    data = shapes_data(tmp_path)
    at = opened("overfitting_lab", folder_data=data)
    at.number_input(key="lab_epochs").set_value(4).run()
    at.select_slider(key="lab_batch").set_value(16).run()
    at.select_slider(key="lab_lr").set_value(1e-4).run()
    assert not at.exception and not at.error
    listings = [code.value for code in at.code if "keras.Sequential" in code.value]
    assert len(listings) == 4  # plain and regularised with these settings, then the note's two
    for listing, dropout in zip(listings[:2], (0.0, 0.5)):
        reference = build_cats_dogs_convnet(dropout=dropout, input_shape=data.input_shape, num_classes=2)
        assert_same_model(listing, reference, "adam", 1e-4, 4, 16)
    for listing, dropout, epochs in zip(listings[2:], (0.0, 0.5), (30, 100)):
        assert_same_model(listing, build_cats_dogs_convnet(dropout=dropout), "adam", 1e-3, epochs, 20)


# --- item 12.6: the training pages' sentences ------------------------------------------------------


def test_the_learning_rate_help_gives_kerass_own_defaults():
    import keras

    classes = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    defaults = {name: inspect.signature(cls).parameters["learning_rate"].default for name, cls in classes.items()}
    assert defaults == training.DEFAULT_LEARNING_RATES
    help_text = widget(opened("training").number_input, "Learning rate").help
    assert f"{defaults['rmsprop']:g} for RMSprop and Adam" in help_text and f"{defaults['sgd']:g} for SGD" in help_text
    assert "all three" not in help_text


def test_the_mnist_page_tells_the_notes_figure_from_ours():
    intro = opened("training").markdown[0].value
    assert "The note reports about 98%" in intro and "reaches 99.14%" in intro and "about 99%" not in intro


def test_the_labs_figures_are_the_books_not_the_notes(tmp_path):
    at = opened("overfitting_lab", folder_data=shapes_data(tmp_path))
    intro = at.markdown[0].value
    assert "Deep Learning with Python" in intro and "gives no final figures" in intro
    assert "70%" in intro.split("Deep Learning with Python")[1]  # the figures come after the book's name


# --- item 14.5: errors beside their fields, with the range ---------------------------------------


@pytest.mark.parametrize(
    "label, value, before, message",
    [
        ("Epochs", 0, "Learning rate", "epochs must be an int from 1 to 100, got 0"),
        ("Learning rate", 5.0, "Batch size", "learning_rate must be a number from 1e-06 to 1, got 5.0"),
    ],
)
def test_a_mnist_setting_out_of_range_is_refused_beside_its_field(label, value, before, message):
    at = opened("training")
    field = widget(at.number_input, label)
    field.set_value(value).run()
    errors = [e for e in at.error if message in e.value]
    assert len(errors) == 1, [e.value for e in at.error]
    # Beside the field: the error comes right after it in the page, before the next field.
    flat = _flat(at.main)
    assert flat.index(("number_input", label)) < flat.index(("error", errors[0].value)) < _index(flat, before)
    assert widget(at.button, "Start training").disabled
    assert any("out of range" in w.value for w in at.warning)  # and the Train section says why


def _flat(node) -> list[tuple]:
    """The page's elements in order, as (type, label or value)."""
    out = []
    for child in getattr(node, "children", {}).values():
        kind = getattr(child, "type", "")
        if kind in ("number_input", "select_slider", "selectbox", "radio", "error"):
            out.append((kind, child.label if kind != "error" else child.value))
        out += _flat(child)
    return out


def _index(flat: list[tuple], label: str) -> int:
    return next(i for i, (_, text) in enumerate(flat) if text == label)


def test_the_subset_error_sits_below_the_subset_box_whose_help_states_the_range():
    at = opened("training")
    widget(at.radio, "Training data").set_value("A subset (quicker)").run()
    box = widget(at.number_input, "Subset size (digits)")
    assert "1 to 60,000" in box.help
    box.set_value(70000).run()
    flat = _flat(at.main)
    error = next(e.value for e in at.error if "from 1 to 60000" in e.value)
    assert flat.index(("number_input", "Subset size (digits)")) < flat.index(("error", error)) < _index(flat, "Epochs")


def test_the_number_boxes_state_their_ranges(tmp_path):
    assert widget(opened("training").number_input, "Epochs").help.startswith("1 to 100")
    data = shapes_data(tmp_path)
    folder = opened("folder_training", folder_data=data)
    assert folder.number_input(key="folder_epochs").help.startswith("1 to 100.")
    assert folder.number_input(key="folder_max_per_class").help.startswith(f"1 to {folders.MAX_IMAGES:,}.")
    lab = opened("overfitting_lab", folder_data=data)
    assert lab.number_input(key="lab_epochs").help.startswith("1 to 100.")


def zip_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def load_zip(members: dict, name: str = "shapes.zip") -> AppTest:
    at = opened("folder_training")
    at.file_uploader(key="folder_zip").upload(name, zip_bytes(members), "application/zip")
    at.run()
    widget(at.button, "Load this zip").click().run()
    assert not at.exception, at.exception
    return at


def test_a_one_class_zip_names_the_zip_not_the_temporary_folder():
    at = load_zip({"circles/0.png": shapes_members()["circles/0.png"]})
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "in shapes.zip/" in errors[0] and "'circles'" in errors[0], errors
    assert "cnn_lab_zip_" not in errors[0] and "/tmp" not in errors[0]


def test_an_empty_class_folder_is_named_inside_the_zip():
    at = load_zip(shapes_members() | {"triangles/readme.txt": b"no images"})
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "shapes.zip/triangles/ holds no images" in errors[0], errors


def test_no_unpacking_line_stays_after_an_error():
    at = load_zip({"circles/0.png": shapes_members()["circles/0.png"]})
    assert at.error
    progress = [element for element in at.main if getattr(element, "type", "") == "progress"]
    texts = [str(getattr(p, "proto", "")) for p in _all(at.main) if getattr(p, "type", "") == "progress"]
    assert not progress and not any("Unpacking" in text for text in texts), texts


def _all(node) -> list:
    out = []
    for child in getattr(node, "children", {}).values():
        out.append(child)
        out += _all(child)
    return out


@pytest.mark.parametrize("page, key", [("folder_training", "folder_epochs"), ("overfitting_lab", "lab_epochs")])
def test_folder_and_lab_epoch_boxes_hold_only_their_stated_range(tmp_path, page, key):
    at = opened(page, folder_data=shapes_data(tmp_path))
    box = at.number_input(key=key)
    assert (box.min, box.max) == (1, training.MAX_EPOCHS) and box.help.startswith(f"1 to {training.MAX_EPOCHS}.")
    box.set_value(500).run()
    assert not at.exception and not at.error
    assert 1 <= at.number_input(key=key).value <= training.MAX_EPOCHS
