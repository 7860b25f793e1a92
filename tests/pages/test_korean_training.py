"""The training pages in Korean beyond their first view: refusals, a loaded data set, the lab's
settings, and the monitor's progress, queue and result texts."""

from __future__ import annotations

import io
import zipfile

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from cnn_core.data import download, folders
from tests.core.test_folders import shapes_members, write_shapes
from tests.support.apptest import ROOT, TIMEOUT, page_test
from tests.support.languages import has_hangul, untranslated, visible_texts

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No real download, no ~/.keras, no folder paths, no cached data."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("CNN_LAB_FOLDER_PATHS", "0")
    monkeypatch.setattr(download, "CATS_DOGS_URL", (tmp_path / "offline" / "cats_and_dogs_filtered.zip").as_uri())
    st.cache_resource.clear()


def korean(name: str, **state) -> AppTest:
    at = page_test(name, **state)
    at.query_params["lang"] = "ko"
    at.run()
    assert not at.exception, at.exception
    return at


def assert_korean(texts: list[str], data_names: tuple[str, ...] = ()) -> None:
    """Hangul, and no English but the visitor's own names (class folders, shown as they are)."""
    assert texts and has_hangul(texts), texts
    texts = [text for text in texts if text not in data_names]
    english = [f"{found!r} in {text[:90]!r}" for text in texts if (found := untranslated(text))]
    assert not english, "English on the Korean page:\n" + "\n".join(english)


def zip_bytes(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def load_zip(at: AppTest, data: bytes) -> AppTest:
    at.file_uploader(key="folder_zip").upload("data.zip", data, "application/zip")
    at.run()
    next(b for b in at.button if b.label == "이 zip 불러오기").click().run()
    assert not at.exception, at.exception
    return at


# --- the folder page ---------------------------------------------------------------------------


def test_a_file_that_is_not_a_zip_is_refused_in_korean():
    at = load_zip(korean("folder_training"), b"this is not a zip archive at all")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "zip 아카이브가 아닙니다" in errors[0], errors
    assert_korean(errors)


def test_a_zip_with_one_class_is_refused_in_korean():
    at = load_zip(korean("folder_training"), zip_bytes({"circles/0.png": shapes_members("", 1)["circles/0.png"]}))
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "클래스 폴더가 두 개 이상" in errors[0], errors
    assert_korean(errors)


def test_a_loaded_zip_and_its_training_settings_read_korean():
    at = load_zip(korean("folder_training"), zip_bytes(shapes_members("", 6)))
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("**data.zip (검증용으로 20% 분할)**을(를) 불러왔습니다"), at.success[0].value
    assert list(at.dataframe[0].value.columns) == ["클래스", "훈련", "검증"]
    at.radio(key="folder_augment").set_value("None").run()  # another option of the augmentation radio
    assert not at.exception
    assert_korean(visible_texts(at), data_names=("circles", "squares"))


def test_the_cats_and_dogs_download_offline_is_explained_in_korean():
    at = korean("folder_training")
    at.radio(key="folder_source").set_value("cats").run()
    next(b for b in at.button if b.label == "내려받아 불러오기").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("**오프라인인가요?**"), errors
    assert "인터넷 연결이 필요합니다" in errors[0]


# --- the overfitting lab -----------------------------------------------------------------------


def test_the_lab_settings_with_data_read_korean(tmp_path):
    write_shapes(tmp_path / "shapes", 5)
    data = folders.load_image_folder(tmp_path / "shapes")
    at = korean("overfitting_lab", folder_data=data)
    assert any("훈련 이미지 8장과 검증 이미지 2장" in c.value for c in at.caption), [c.value for c in at.caption]
    assert [b.label for b in at.button] == ["두 훈련 시작"]
    assert_korean(visible_texts(at))


# --- the MNIST page ----------------------------------------------------------------------------


def test_mnist_refusals_read_korean():
    at = korean("training")
    at.radio[0].set_value("A subset (quicker)").run()  # the values stay English keys
    at.number_input[0].set_value(0).run()  # a subset of no digits
    next(s for s in at.select_slider if s.label == "커널 크기").set_value(7).run()  # the maps shrink to nothing
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 2, errors
    assert (
        errors[0].startswith("훈련 데이터: 부분집합 크기는 1부터 60000까지의 정수여야") and "맞지 않습니다" in errors[1]
    )
    assert "(Keras의 메시지:" in errors[1] and "윈도우에 비해 너무 작습니다" in errors[1], errors[1]
    assert_korean(visible_texts(at))
    assert next(b for b in at.button if b.label == "훈련 시작").disabled


# --- the monitor's texts -----------------------------------------------------------------------


def _monitor_texts(root: str) -> None:
    """The monitor's lines for made-up snapshots, the queue's wait and the charts, on one page."""
    import sys

    import numpy as np
    import streamlit as st

    sys.path.insert(0, root)
    from cnn_core.figures.charts import comparison_figure, confusion_figure, history_figure
    from cnn_core.learning.progress import Snapshot
    from cnn_core.learning.queue import FailedStart, TrainingQueue
    from ui import training
    from ui.i18n import _, error_text, language

    running = Snapshot(
        "running",
        3,
        100,
        1,
        40,
        75.0,
        ((1.2, 0.5, 0.8),),
        ((1.0, {"val_loss": 0.4, "val_accuracy": 0.7}),),
        (2.0, 0.01),
    )
    st.info(training.progress_text(running))
    st.info(training.progress_text(Snapshot("waiting", 0, 0, 0, 0, 0.0)))
    st.info(training.progress_text(Snapshot("evaluating", 3, 100, 3, 0, 130.0)))
    for status in ("finished", "stopped", "timed out", "cancelled", "failed"):
        st.info(training.ended_text(Snapshot(status, 3, 100, 2, 50, 65.0)))
    st.info(training.waiting_text(1, 30.0))
    st.info(training.waiting_text(3, 400.0))
    queue = TrainingQueue(1, max_queue=0)
    queue.submit("someone", lambda: FailedStart("busy"))
    try:
        queue.submit("me", lambda: FailedStart("never"))
    except ValueError as exc:
        st.error(error_text(exc))
    st.plotly_chart(history_figure(running, language=language()))
    st.plotly_chart(confusion_figure(np.eye(2, dtype=int), ["cat", "dog"], language=language()))
    histories = {"plain": {"accuracy": [0.6, 0.8], "val_accuracy": [0.5, 0.6]}}
    styles = {"plain": {"title": _("Plain"), "color": "#d62728"}}
    st.plotly_chart(comparison_figure(histories, 2, styles, language=language()))


def test_progress_queue_and_chart_texts_read_korean():
    at = AppTest.from_function(_monitor_texts, default_timeout=TIMEOUT, args=(str(ROOT),))
    at.query_params["lang"] = "ko"
    at.run()
    assert not at.exception, at.exception
    infos = [i.value for i in at.info]
    assert infos[0].startswith("에포크 3개 중 2번째 · 배치 100개 중 40번째 · 1분 15초 지남"), infos[0]
    assert infos[4] == "1분 05초 만에 멈췄습니다"
    assert "대기열 3번째(앞에 훈련 2개)" in infos[-1] and "6분 40초" in infos[-1], infos[-1]
    assert "훈련 대기열이 가득 찼습니다" in at.error[0].value
    assert_korean(visible_texts(at))


def test_without_a_language_the_monitor_stays_english():
    at = AppTest.from_function(_monitor_texts, default_timeout=TIMEOUT, args=(str(ROOT),)).run()
    assert not at.exception, at.exception
    infos = [i.value for i in at.info]
    assert infos[0].startswith("Epoch 2 of 3 · batch 40 of 100 · 1 min 15 s elapsed"), infos[0]
    assert "position 3 in the queue (2 trainings ahead of it)" in infos[-1]
    assert "The training queue is full" in at.error[0].value
    assert not has_hangul(visible_texts(at))


def test_the_budget_names_what_it_refuses_or_releases_in_korean():
    from cnn_core.data.budget import NOTICE, BudgetError, MemoryBudget
    from cnn_core.i18n import translate
    from ui.state import FOLDER_DATA_KIND

    assert translate(NOTICE, "ko", kind=translate(FOLDER_DATA_KIND, "ko")).startswith("다른 방문자를")
    with pytest.raises(BudgetError) as refusal:
        MemoryBudget(limit_bytes=10).register("me", FOLDER_DATA_KIND, 100, lambda: None)
    assert "폴더 데이터" in refusal.value.message("ko") and "folder data" in str(refusal.value)
    assert not untranslated(refusal.value.message("ko"))
