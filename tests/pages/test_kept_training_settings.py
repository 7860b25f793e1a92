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
