"""The network page in Korean (?lang=ko): the default view and every kind of cell, a bad cell and the drawing pad."""

from __future__ import annotations

import os

import pytest

from tests.support.apptest import page_test
from tests.support.languages import has_hangul, untranslated, visible_texts

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
pytestmark = pytest.mark.slow

OPTION = "shipped:mnist_convnet"


def korean_page():
    at = page_test("network", timeout=120)
    at.query_params["lang"] = "ko"
    return at.run()


def assert_korean(at) -> None:
    assert not at.exception, [e.message for e in at.exception]
    texts = visible_texts(at)
    assert has_hangul(texts)
    english = [f"{found!r} in {text[:90]!r}" for text in texts if (found := untranslated(text))]
    assert not english, "English on the Korean page:\n" + "\n".join(english)


def test_the_default_view_is_korean():
    at = korean_page()
    assert_korean(at)
    assert at.title[0].value == "신경망이 숫자를 읽는 방법"
    assert not at.error


@pytest.mark.parametrize(
    "layer, index",
    [("conv2d_2", (5, 5, 3)), ("max_pooling2d_1", (6, 6, 2)), ("flatten", (100,)), ("dense", (5,)), ("output", (7,))],
)
def test_every_kind_of_cell_is_explained_in_korean(layer, index):
    at = korean_page()
    at.selectbox(key=f"network_layer_{OPTION}").set_value(layer).run()
    for axis, value in enumerate(index):
        at.number_input(key=f"network_cell_{OPTION}_{layer}_{axis}").set_value(value).run()
    assert_korean(at)
    assert not at.error
    assert any(m.value.startswith("가중치로 다시 계산한 값") for m in at.markdown)


def test_a_bad_cell_and_the_drawing_pad_speak_korean():
    at = korean_page()
    at.text_input(key=f"network_cell_{OPTION}_conv2d_1_typed").set_value("30, 0, 0").run()
    assert_korean(at)
    assert "이 층의 셀이 아닙니다" in at.error[0].value
    at.text_input(key=f"network_cell_{OPTION}_conv2d_1_typed").set_value("한 칸").run()
    assert_korean(at)
    assert "정수 3개" in at.error[0].value
    at.radio(key="network_source").set_value("draw").run()
    assert_korean(at)
    assert any("그림판에 숫자를 그리면" in info.value for info in at.info)
