"""Training settings follow the learner too (issue 14, item 1): the MNIST page, the folder page and
the overfitting lab keep their settings for the session when the visitor goes to other pages and
comes back. They are a visitor's own run, so they stay out of the URL (``ui.settings.session_settings``).
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.test_hostile_inputs import tiny_folder_data
from tests.support.apptest import ROOT, app_test, page_path

# Per page: (widget kind, key, a value that is not the default), set in this order.
CHANGES = {
    "training": [
        ("radio", "mnist_data", "A subset (quicker)"),
        ("number_input", "mnist_subset", 3000),
        ("number_input", "mnist_epochs", 2),
        ("selectbox", "mnist_optimizer", "sgd"),
        ("number_input", "mnist_learning_rate", 0.01),
        ("select_slider", "mnist_batch", 128),
        ("slider", "mnist_blocks", 2),
        ("select_slider", "mnist_kernel", 5),
        ("radio", "mnist_pooling", "average"),
        ("select_slider", "mnist_dense", 32),
        ("select_slider", "mnist_filters_1", 16),
        ("slider", "mnist_dropout", 0.25),
    ],
    "folder_training": [
        ("number_input", "folder_max_per_class", 300),
        ("slider", "folder_validation_split", 0.3),
        ("radio", "folder_augment", "None"),
        ("slider", "folder_dropout", 0.2),
        ("number_input", "folder_epochs", 3),
        ("select_slider", "folder_batch", 32),
        ("select_slider", "folder_lr", 3e-4),
    ],
    "overfitting_lab": [
        ("number_input", "lab_epochs", 4),
        ("select_slider", "lab_batch", 8),
        ("select_slider", "lab_lr", 1e-4),
    ],
}
NEEDS_DATA = {"folder_training", "overfitting_lab"}


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _values(at: AppTest, page: str) -> dict:
    """The page's settings as shown; a setting not drawn (the subset size for all digits) is absent."""
    values = {}
    for kind, key, _value in CHANGES[page]:
        try:
            values[key] = getattr(at, kind)(key=key).value
        except KeyError:
            pass
    return values


def _opened(page: str) -> AppTest:
    if page not in NEEDS_DATA:
        return _ok(app_test(page))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["folder_data"] = tiny_folder_data()
    _ok(at.run())
    return _ok(at.switch_page(page_path(page)).run())


@pytest.mark.parametrize("page", CHANGES)
def test_training_settings_survive_a_visit_to_other_pages(page):
    at = _opened(page)
    defaults = _values(at, page)
    wanted = {key: value for _kind, key, value in CHANGES[page]}
    assert all(defaults.get(key) != value for key, value in wanted.items()), defaults  # each change is a change
    for kind, key, value in CHANGES[page]:
        _ok(getattr(at, kind)(key=key).set_value(value).run())
    assert _values(at, page) == wanted
    for elsewhere in ("home", "convolution"):
        _ok(at.switch_page(page_path(elsewhere)).run())
    _ok(at.switch_page(page_path(page)).run())
    assert _values(at, page) == wanted
    assert not any(key in at.query_params for key in wanted)  # a visitor's own run is not in the link


def test_a_fresh_session_opens_the_training_page_at_its_defaults():
    at = _opened("training")
    _ok(at.number_input(key="mnist_epochs").set_value(2).run())
    assert _opened("training").number_input(key="mnist_epochs").value == 5


# The activation page's choices: (widget kind, key, a value that is not the default, or a function of
# the widget giving one), in this order.
ACTIVATION_CHANGES = [
    ("selectbox", "activations_model", "MNIST convnet with augmentation (shipped)"),
    ("select_slider", "activations_epoch_mnist_convnet_augmented", 4),
    ("number_input", "activations_digit", 7),
    ("selectbox", "activations_cam_class", 3),
    ("slider", "activations_per_row", 8),
    ("selectbox", "activations_zoom_layer", lambda widget: widget.options[2]),  # the model's second conv layer
    ("slider", "activations_pattern_steps", 30),
]


def _activation_values(at: AppTest) -> dict:
    return {key: getattr(at, kind)(key=key).value for kind, key, _value in ACTIVATION_CHANGES}


@pytest.mark.slow
def test_activation_choices_survive_a_visit_to_other_pages():
    at = _ok(app_test("activations", timeout=120))
    wanted = {}
    for kind, key, value in ACTIVATION_CHANGES:  # the epoch slider is there once the model is chosen
        widget = getattr(at, kind)(key=key)
        value = wanted[key] = value(widget) if callable(value) else value
        assert widget.value != value, (key, widget.value)  # each change is a change
        _ok(widget.set_value(value).run())
    assert _activation_values(at) == wanted
    for elsewhere in ("home", "pooling"):
        _ok(at.switch_page(page_path(elsewhere)).run())
    _ok(at.switch_page(page_path("activations")).run())
    assert _activation_values(at) == wanted
    assert any("Label: **" in caption.value for caption in at.caption)
    assert not any(key in at.query_params for key in wanted)


@pytest.mark.slow
def test_a_kept_layer_the_next_model_lacks_falls_back_to_its_default():
    """The seed cats-vs-dogs convnet has a fourth conv layer the MNIST convnet lacks: kept, it is not forced on it."""
    at = _ok(app_test("activations", timeout=120))
    _ok(at.selectbox(key="activations_model").set_value("Seed cats-vs-dogs convnet (untrained)").run())
    zoom = at.selectbox(key="activations_zoom_layer")
    _ok(zoom.set_value(zoom.options[-2]).run())
    kept = at.selectbox(key="activations_zoom_layer").value
    _ok(at.switch_page(page_path("home")).run())
    _ok(at.switch_page(page_path("activations")).run())
    assert at.selectbox(key="activations_zoom_layer").value == kept
    _ok(at.selectbox(key="activations_model").set_value("MNIST convnet (seed recipe, shipped)").run())
    zoom = at.selectbox(key="activations_zoom_layer")
    assert kept not in zoom.options and zoom.value == zoom.options[0]
    assert not at.error, [e.value for e in at.error]
