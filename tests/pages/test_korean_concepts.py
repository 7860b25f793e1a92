"""The concept pages in Korean beyond their first view: other inputs, options, tabs and errors.

Each test drives a path that ``test_languages`` (which sees only a page's default state) never
reaches, then checks that the page shows Korean, no English prose, and no Hangul inside KaTeX.
"""

import io

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from cnn_core.i18n import translate
from tests.support.apptest import open_expanders, page_test, step_view
from tests.support.languages import HANGUL, has_hangul, untranslated, visible_texts


def _korean(page: str, **state) -> AppTest:
    at = page_test(page, timeout=60, **state)
    at.query_params["lang"] = "ko"
    return _checked(open_expanders(at.run()))  # what the expanders hold, too


def _checked(at: AppTest) -> AppTest:
    """``at`` after checking that it ran, reads Korean, and keeps Hangul out of its math."""
    assert not at.exception, [e.value for e in at.exception]
    texts = visible_texts(at)
    assert has_hangul(texts)
    english = [f"{found!r} in {text[:90]!r}" for text in texts if (found := untranslated(text))]
    assert not english, "English on the Korean page:\n" + "\n".join(english)
    assert not [m.value for m in at.latex if HANGUL.search(m.value)], "Hangul inside KaTeX"
    return at


def _png(height: int, width: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 128, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_convolution_on_an_mnist_digit_in_korean():
    at = _korean("convolution", conv_source="mnist", conv_mnist=3)
    assert "676" in at.info[0].value and "400" in at.info[0].value  # the capped animation, in Korean
    assert "**0**" in at.caption[0].value and HANGUL.search(at.caption[0].value)


def test_convolution_upload_in_korean():
    at = _korean("convolution", conv_source="upload", conv_upload_height=8)
    assert HANGUL.search(at.info[0].value)  # the sample photo stands in until an upload
    at.file_uploader(key="conv_upload").set_value(("sliver.png", _png(1, 600), "image/png")).run()
    assert "4:1" in _checked(at).info[0].value  # squeezed to 4:1, said in Korean


def test_convolution_with_three_channels_in_korean():
    at = _korean("convolution", conv_channels=3)
    at.radio(key="conv_anim_channel").set_value(2).run()
    title = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-conv_player")).proto.spec
    assert "(B)" in title and "편향" in title
    assert any("채널 B" in text for text in visible_texts(_checked(at)))


def test_convolution_same_padding_and_the_step_by_step_tab_in_korean():
    at = _korean("convolution", conv_padding="same", **step_view("conv", "ko"))
    assert any("추가된 0" in m.value for m in at.markdown)  # the words beside the same-padding formula
    at.button(key="conv_forward").click().run()
    at.slider(key="conv_step").set_value(7).run()
    _checked(at)
    assert r"\text{out}[1, 1]" in "\n".join(m.value for m in at.latex)
    assert translate("The patch times the kernel, cell by cell, and the sum of the products:", "ko") in [
        m.value for m in at.markdown
    ]


def test_convolution_a_bad_grid_cell_is_refused_in_korean():
    at = page_test("convolution", timeout=60)
    at.query_params["lang"] = "ko"
    at.session_state["conv_kernel_0_cross (textbook)_3_0_of_1"] = {
        "edited_rows": {1: {"3": "two"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at = _checked(at.run())
    error = at.error[0].value
    assert error.startswith("필터 1: 2행 3열: 'two'") and "숫자가 아닙니다" in error, error


def test_convolution_a_kernel_that_does_not_fit_in_korean():
    at = _korean("convolution", conv_rows=3, conv_cols=3, conv_ksize=5)
    assert "3×3" in at.warning[0].value and HANGUL.search(at.warning[0].value)


def test_padding_explicit_p_and_a_window_that_does_not_fit_in_korean():
    at = _korean("padding", pad_padding="explicit p", pad_p=2, pad_strides=2)
    assert any(m.value.startswith("**출력 모양: 4 × 4**") for m in at.markdown)
    at = _korean("padding", pad_size=2, pad_kernel=6, pad_padding="valid", pad_photo_kernel="vertical edge")
    assert HANGUL.search(at.warning[0].value)
    table = next(m.value for m in at.markdown if m.value.startswith("| 패딩"))
    assert "| 'valid' | – | 윈도우가 들어가지 않음 |" in table


@pytest.mark.parametrize("size, kernel, stride", [(6, 3, 2), (12, 3, 4)])
def test_stride_pixels_no_window_sees_in_korean(size, kernel, stride):
    at = _korean("stride", stride_size=size, stride_kernel=kernel, stride_strides=stride)
    assert at.warning and HANGUL.search(at.warning[0].value)


def test_stride_same_padding_and_the_classic_example_in_korean():
    at = _korean("stride", stride_size=6, stride_padding="same")
    assert HANGUL.search(at.success[0].value)
    at.button(key="stride_classic_same").click().run()
    assert any(m.value.startswith("**출력 모양: 3 × 3**") for m in _checked(at).markdown)


def test_pooling_average_mnist_and_a_window_that_does_not_fit_in_korean():
    at = _korean("pooling", pool_mode="average", pool_photo_filter="random", **step_view("pool", "ko"))
    photo = next(c for c in at.get("plotly_chart") if c.proto.id.endswith("-pool_photo")).proto.spec
    assert "평균 풀링 후 74×74" in photo
    assert any(m.value.startswith("평균 풀링은") for m in at.markdown)  # the words beside the step's LaTeX
    at = _korean("pooling", pool_source="mnist", pool_padding="same", pool_size=3)
    at = _korean("pooling", pool_rows=2, pool_cols=2, pool_size=3)
    assert at.warning and HANGUL.search(at.warning[0].value)
