"""Two visitors train at once in real browsers, and each sees only their own run and model.

Two browser contexts are two visitors with their own Streamlit sessions. Both set up a small
MNIST run with different settings (subset size, optimizer, epochs), press Start one right after
the other so the runs train side by side on the server, and wait for the results. Then each
visitor must see:

- on the training page, their own run's name and settings, and a history chart with one
  validation point per epoch *they* asked for;
- on Activation maps and Read my digit, their own model in the model choice and not the other
  visitor's; picking it reads a picture without an error.

Pages are switched through the sidebar so each visitor keeps one session.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnn_core.data.mnist import split_validation
from tests.support import browser as bh

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Small subsets and different settings, so the two runs are quick and cannot be mistaken.
RUNS = {
    "first": {"subset": 400, "epochs": 1, "optimizer": "adam"},
    "second": {"subset": 250, "epochs": 2, "optimizer": "sgd"},
}


def fit_size(subset: int) -> int:
    """Digits left to learn from after the training page holds out its validation share."""
    (x_fit, _), _ = split_validation(np.zeros(subset), np.zeros(subset), 0.1)
    return len(x_fit)


def settings_text(settings: dict) -> str:
    """How the training page names a run's settings, e.g. "adam, 1 epoch, 360 digits"."""
    epochs = settings["epochs"]
    return f"{settings['optimizer']}, {epochs} epoch{'s' * (epochs != 1)}, {fit_size(settings['subset']):,} digits"


@pytest.fixture(scope="module")
def visitors(browser, app_url):
    """Two visitors who trained at once: name -> (browser tab, the trained model's name)."""
    tabs = {name: bh.new_tab(browser, height=1200) for name in RUNS}
    try:
        for name, tab in tabs.items():
            bh.open_app(tab, app_url)
            bh.open_page(tab, "Train on MNIST")
            bh.set_up_mnist_training(tab, **RUNS[name])
        for tab in tabs.values():
            bh.press_start_training(tab)
        models = {}
        for name, tab in tabs.items():
            bh.wait_training_done(tab)
            assert not bh.problems(tab), f"{name} visitor's training page: {bh.problems(tab)}"
            notice = tab.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="is now available")
            models[name] = notice.first.inner_text().split(" is now available")[0].strip()
        yield {name: (tabs[name], models[name]) for name in RUNS}
    finally:
        for tab in tabs.values():
            tab.context.close()


def other(name: str) -> str:
    return next(n for n in RUNS if n != name)


@pytest.mark.parametrize("name", list(RUNS))
def test_training_page_shows_only_the_visitors_own_run(visitors, name):
    tab, model_name = visitors[name]
    text = bh.main_text(tab)
    assert settings_text(RUNS[name]) in model_name
    assert settings_text(RUNS[name]) in text
    assert settings_text(RUNS[other(name)]) not in text
    validation = [points for trace, points in bh.chart_traces(tab) if trace == "validation"]
    assert validation and set(validation) == {RUNS[name]["epochs"]}, bh.chart_traces(tab)
    assert "Test accuracy" in text


@pytest.mark.parametrize("name", list(RUNS))
def test_activation_page_offers_the_visitors_own_model_only(visitors, name):
    tab, model_name = visitors[name]
    bh.open_page(tab, "Activation maps")
    options = bh.select_options(tab, "Model")
    own = [option for option in options if model_name in option]
    assert own and "trained this session" in own[0], options
    assert not any(visitors[other(name)][1] in option for option in options), options
    bh.choose_option(tab, "Model", own[0])
    assert "Predicted class" in bh.main_text(tab)
    assert not bh.problems(tab), bh.problems(tab)


@pytest.mark.parametrize("name", list(RUNS))
def test_digit_page_offers_the_visitors_own_model_only(visitors, name):
    tab, model_name = visitors[name]
    bh.open_page(tab, "Read my digit")
    options = bh.select_options(tab, "Model")
    own = [option for option in options if model_name in option]
    assert own and "trained in this session" in own[0], options
    assert not any(visitors[other(name)][1] in option for option in options), options
    bh.choose_option(tab, "Model", own[0])
    bh.choose_radio(tab, "Where does the digit come from?", "Sample snapshot")
    text = bh.main_text(tab)
    assert any(words in text for words in bh.DIGIT_ANSWERS), text
    assert not bh.problems(tab), bh.problems(tab)
