"""The "Train on MNIST" page through AppTest: summary, bad input, a tiny run to completion, stop,
the busy message, navigation, and two sessions that never see each other's runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.data.mnist import load_mnist
from cnn_core.learning.evaluation import history_to_csv
from cnn_core.learning.runs import TrainingRun
from tests.support.apptest import app_test, open_expanders, page_path, page_test
from tests.support.twins import TWIN_LABELS, tables, twins
from ui import sessions, state

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
PAGE = page_path("training")
RUN_KEY = state.MNIST_RUN


_started: list[TrainingRun] = []


@pytest.fixture(autouse=True)
def stop_leftover_runs():
    """Stop any run a test leaves behind, so no training thread outlives the test session."""
    yield
    while _started:
        run = _started.pop()
        run.stop()
        run.join(120)


def page() -> AppTest:
    at = page_test("training")
    at.run()
    assert not at.exception
    return at


def widget(elements, label):
    return next(element for element in elements if element.label == label)


def configure(at: AppTest, size: int | None = None, epochs: int | None = None, learning_rate: float | None = None):
    """Set the data and training settings the way a visitor would, one widget at a time."""
    if size is not None:
        widget(at.radio, "Training data").set_value("A subset (quicker)").run()
        widget(at.number_input, "Subset size (digits)").set_value(size).run()
    if epochs is not None:
        widget(at.number_input, "Epochs").set_value(epochs).run()
    if learning_rate is not None:
        widget(at.number_input, "Learning rate").set_value(learning_rate).run()
    return at


def start(at: AppTest) -> AppTest:
    widget(at.button, "Start training").click().run()
    assert not at.exception
    if RUN_KEY in at.session_state:
        _started.append(at.session_state[RUN_KEY])
    return at


def finish(at: AppTest, timeout: float = 120) -> TrainingRun:
    """Wait for the session's run to end (the thread goes on between script runs), then rerun."""
    run = at.session_state[RUN_KEY]
    assert run.join(timeout), "the run did not end in time"
    at.run()
    assert not at.exception
    return run


def test_page_shows_the_seed_model_and_its_arithmetic():
    at = page()
    assert not at.error
    table = at.dataframe[0].value
    assert list(table["Layer"]) == [
        "conv2d_1",
        "max_pooling2d_1",
        "conv2d_2",
        "max_pooling2d_2",
        "conv2d_3",
        "flatten",
        "dense",
        "output",
    ]
    assert table["Parameter arithmetic"][0] == "320 = (3*3*1 + 1)*32"
    assert table["Shape arithmetic"][0].startswith("26 = 28 - 3 + 1")
    assert any("Total parameters: 93,322" in m.value for m in at.markdown)
    assert widget(at.selectbox, "Optimizer").value == "rmsprop"
    assert widget(at.number_input, "Epochs").value == 5
    assert widget(at.select_slider, "Batch size").value == 64


def test_changing_the_architecture_updates_the_summary():
    at = page()
    widget(at.slider, "Conv blocks").set_value(2).run()
    widget(at.select_slider, "Kernel size").set_value(5).run()
    table = at.dataframe[0].value
    assert list(table["Output shape"])[:3] == ["(None, 24, 24, 32)", "(None, 12, 12, 32)", "(None, 8, 8, 64)"]
    assert table["Parameter arithmetic"][0] == "832 = (5*5*1 + 1)*32"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"size": 0}, "subset size must be an int from 1 to 60000, got 0"),
        ({"size": 70000}, "subset size must be an int from 1 to 60000, got 70000"),
        ({"epochs": 0}, "epochs must be an int from 1 to 100"),
        ({"epochs": 500}, "epochs must be an int from 1 to 100"),
        ({"learning_rate": 0.0}, "learning_rate must be a number from 1e-06 to 1"),
        ({"learning_rate": 5.0}, "learning_rate must be a number from 1e-06 to 1"),
    ],
)
def test_out_of_range_settings_get_a_message_and_no_start(settings, message):
    at = configure(page(), **settings)
    assert not at.exception
    assert any(message in error.value for error in at.error), [e.value for e in at.error]
    assert widget(at.button, "Start training").disabled


def test_an_architecture_that_shrinks_to_nothing_gets_a_message():
    at = page()
    widget(at.select_slider, "Kernel size").set_value(7).run()
    assert not at.exception
    assert any("does not fit a 28x28 digit" in error.value for error in at.error)
    assert widget(at.button, "Start training").disabled


def test_a_tiny_run_completes_with_results_downloads_and_a_session_model():
    at = start(configure(page(), size=2000, epochs=1))
    run = finish(at)
    assert run.snapshot().status == "finished"
    metrics = {m.label: m.value for m in at.metric}
    # Reference: the registered model's own predictions on the 10,000 test digits.
    _, (x_test, y_test) = load_mnist()
    entry = at.session_state["session_models"][run.name]
    proba = entry.model.predict(x_test[..., None].astype(np.float32) / 255.0, verbose=0, batch_size=1000)
    accuracy = float(np.mean(proba.argmax(axis=1) == y_test))
    assert accuracy > 0.2  # chance is 0.1
    assert metrics["Test accuracy"] == f"{accuracy:.2%}"
    assert metrics["Misclassified"] == f"{int(np.sum(proba.argmax(axis=1) != y_test)):,} of 10,000"
    assert (entry.task, entry.class_names, entry.input_shape) == ("mnist", [str(d) for d in range(10)], (28, 28, 1))
    assert set(entry.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    charts = [chart.key for chart in at.get("plotly_chart")]
    assert charts == ["mnist_training_run_history_chart", "run_epochs_moved", "mnist_training_run_confusion"]
    # Each chart's twin lists its numbers: the history as Keras recorded it, the confusion matrix as counted.
    open_expanders(at, TWIN_LABELS)  # opened as a visitor opens them
    history, moved, confusion = (tables(twin) for twin in twins(at))
    assert history[0][0] == ["epoch", "loss", "accuracy", "validation loss", "validation accuracy"]
    history_rows, moved_rows, confusion_rows = history[0][1:], moved[0][1:], confusion[0][1:]
    (row,) = history_rows
    assert row[0] == "1"
    shown = [float(cell.rstrip("%").replace(",", "")) / (100 if cell.endswith("%") else 1) for cell in row[1:]]
    keras = [entry.history[key][0] for key in ("loss", "accuracy", "val_loss", "val_accuracy")]
    np.testing.assert_allclose(shown, keras, atol=5.1e-5)  # 4 decimals, or a percentage with 2
    before, after = (np.asarray(s.kernels, np.float64) for s in run.snapshots)
    moved_by_hand = [np.linalg.norm(after[..., f] - before[..., f]) for f in range(after.shape[-1])]
    assert [row[0] for row in moved_rows] == [str(f) for f in range(after.shape[-1])]
    np.testing.assert_allclose([float(row[1]) for row in moved_rows], moved_by_hand, atol=5.1e-5)
    counts = np.zeros((10, 10), int)
    np.add.at(counts, (y_test, proba.argmax(axis=1)), 1)
    assert [row[1:11] for row in confusion_rows] == [[f"{c:,}" for c in row] for row in counts]
    assert [row[0] for row in confusion_rows] == [str(d) for d in range(10)]
    right = [float(row[11].rstrip("%")) / 100 for row in confusion_rows]
    np.testing.assert_allclose(right, counts.diagonal() / counts.sum(axis=1), atol=5.1e-4)
    # The run watched its probe digits: epochs 0 and 1, and the scrubber shows the last one.
    assert [s.epoch for s in run.snapshots] == [0, 1]
    assert at.select_slider(key="run_epochs_epoch").value == 1
    assert any("epoch 1" in caption for image in at.image for caption in image.captions)
    assert len(at.get("download_button")) == 2
    wrong = np.flatnonzero(proba.argmax(axis=1) != y_test)[:30]
    gallery = at.get("image")[-1]  # after the scrubber's pictures: the misclassified digits
    assert gallery.captions == [f"{proba[i].argmax()} / {y_test[i]}" for i in wrong]
    assert any(run.name in s.value for s in at.success)
    assert not widget(at.button, "Start training").disabled


def test_stop_button_stops_the_run_and_keeps_what_it_learned():
    at = start(configure(page(), size=30000, epochs=20))
    stop = widget(at.button, "Stop")
    assert not stop.disabled and widget(at.button, "Start training").disabled
    stop.click().run()
    run = finish(at)
    assert run.snapshot().status == "stopped" and run.result.stopped
    assert 1 <= len(run.result.history["loss"]) < 20
    done = run.snapshot().epochs_done
    assert 0 < done < 20
    assert any(f"Stopped by request after {done:.1f} of 20 epochs" in info.value for info in at.info)
    # Named by what it did, here and wherever it is offered later.
    title = run.name.replace("20 epochs", f"stopped after {done:.1f} of 20 epochs")
    assert title != run.name and title in at.session_state["session_models"]
    assert "Test accuracy" in {m.label for m in at.metric}
    # The history's CSV marks the last, partial epoch.
    rows = history_to_csv(run.result.history, done).splitlines()
    assert rows[0].startswith("epoch,fraction_of_epoch,") and rows[-1].split(",")[1] == f"{done % 1:.3g}"


def test_a_run_on_two_digits_per_class_is_labelled_as_too_little_data():
    at = start(configure(page(), size=23, epochs=1))  # 20 digits to learn from after the validation share
    finish(at)
    warnings = [w.value for w in at.warning]
    assert any("Too little data" in w and "fewer than 50 per class" in w for w in warnings), warnings
    entry = next(iter(at.session_state["session_models"].values()))
    assert entry.caveat in ("tiny data", "near chance")


def test_a_training_beyond_the_cap_waits_in_line_and_cancel_leaves_the_queue():
    queue = sessions.supervisor().queue
    holders = [queue.submit(f"someone else {i}", Forever) for i in range(queue.slots)]  # every slot taken
    try:
        at = start(configure(page(), size=300, epochs=1))
        assert not at.error
        waiting = [info.value for info in at.info if "Waiting for a training slot" in info.value]
        assert waiting and "position 1" in waiting[0]
        run = at.session_state[RUN_KEY]
        assert run.snapshot().status == "waiting" and not run.done
        widget(at.button, "Cancel").click().run()
        assert run.done and run.snapshot().status == "cancelled" and queue.waiting == 0
        assert not widget(at.button, "Start training").disabled
    finally:
        for ticket in holders:
            queue.cancel(ticket)
        queue.tick()


def test_a_full_queue_says_so(monkeypatch):
    queue = sessions.supervisor().queue
    monkeypatch.setattr(queue, "max_queue", 0)
    holders = [queue.submit(f"someone else {i}", Forever) for i in range(queue.slots)]
    try:
        at = start(configure(page(), size=300, epochs=1))
        assert any("queue is full" in error.value for error in at.error)
        assert RUN_KEY not in at.session_state
    finally:
        for ticket in holders:
            queue.cancel(ticket)
        queue.tick()


class Forever:
    """Another visitor's training that holds its slot until it is cancelled."""

    done = False

    def cancel(self):
        self.done = True

    def stop(self):
        self.done = True


def test_a_run_survives_navigating_away_and_back():
    at = app_test("training")
    start(configure(at, size=300, epochs=1))
    run = at.session_state[RUN_KEY]
    at.switch_page(page_path("home")).run()
    assert not at.exception
    at.switch_page(PAGE).run()
    assert at.session_state[RUN_KEY] is run
    assert any(run.name in caption.value for caption in at.caption)
    run.join(120)
    at.run()
    assert "Test accuracy" in {m.label for m in at.metric}


def test_two_sessions_never_see_each_others_runs():
    first, second = page(), page()
    start(configure(first, size=300, epochs=1))
    second.run()
    assert RUN_KEY not in second.session_state
    assert not second.metric
    start(configure(second, size=600, epochs=1))
    run_one, run_two = finish(first), finish(second)
    assert run_one is not run_two and run_one.result.model is not run_two.result.model
    assert list(first.session_state["session_models"]) == [run_one.name]
    assert list(second.session_state["session_models"]) == [run_two.name]
    assert "270 digits" in run_one.name and "540 digits" in run_two.name


def test_before_any_training_the_shipped_models_history_can_be_scrubbed():
    at = page()
    slider = at.select_slider(key="shipped_epochs_epoch")
    assert slider.options == ["0", "1", "2", "3", "4", "5"] and slider.value == 5
    slider.set_value(0).run()
    assert not at.exception
    captions = [caption for image in at.image for caption in image.captions]
    assert "the same kernels, epoch 0" in captions and "conv2d_1 at epoch 0: 26x26x32" in captions
    at.selectbox(key="shipped_epochs_probe").set_value(2).run()
    assert any(caption == "a 2 (test digit 1)" for image in at.image for caption in image.captions)
