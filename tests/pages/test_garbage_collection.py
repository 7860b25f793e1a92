"""A concept page run leaves the long-lived objects out of Streamlit's per-run full collection.

Streamlit collects all generations after every script run; ``ui.resources.freeze_after_imports``
(called by app.py once per process) freezes what the imports made, so that walk stays small. This
checks the mechanism, not a time: after app.py and a concept page have run, far more objects are
frozen than a full collection still has to examine.
"""

import gc

from tests.support.apptest import app_test


def test_a_concept_page_run_leaves_the_imports_out_of_the_full_collection():
    at = app_test("convolution", timeout=60)
    assert not at.exception
    at.run()  # a second run: the one a class repeats
    frozen = gc.get_freeze_count()
    examined = len(gc.get_objects())  # what gc.collect(2) walks: the tracked objects not frozen
    assert frozen > 100_000, frozen
    assert examined * 3 < frozen, (examined, frozen)


def test_after_a_keras_page_streamlits_clear_session_runs_no_full_collection():
    """Streamlit calls keras.backend.clear_session() after every run once Keras is loaded; it must not collect."""
    import keras

    at = app_test("activations", timeout=120)
    assert not at.exception
    full = []

    def count(phase, info):
        if phase == "start" and info["generation"] == 2:
            full.append(info)

    gc.callbacks.append(count)
    try:
        keras.backend.clear_session()  # as streamlit.runtime.scriptrunner's _clean_problem_modules does
    finally:
        gc.callbacks.remove(count)
    assert full == []
    assert keras.backend.clear_session.without_collection
