"""The lesson page in Korean (``?lang=ko``): every step, and the texts that only a click or a link shows.

The exercises' own words (prompt, working, a bad code's reason) come from the engine, whose
catalog is another part of the app's; until that catalog translates them they are left out of the
English check here, so these tests hold the lesson's own texts to Korean and keep holding the
engine's once they are translated.
"""

import pytest

from cnn_core.i18n import LabError
from cnn_core.ops.exercises import exercise_from_token, exercise_token
from tests.support.languages import has_hangul, untranslated, visible_texts
from tests.support.lesson import answer, by_formula, open_lesson, press, query, shown_exercise, steps_done, wrong


def _engine_english(at, token: str | None = None) -> list[str]:
    """The engine's texts for the exercise shown (and a bad code's refusal) that are still English in Korean."""
    english = shown_exercise(at)
    korean = exercise_from_token(exercise_token(english), "ko")
    pairs = zip([korean.prompt, *(s.text for s in korean.worked)], [english.prompt, *(s.text for s in english.worked)])
    found = [ko for ko, en in pairs if ko == en]
    if token is not None:
        with pytest.raises(LabError) as refused:
            exercise_from_token(token)
        if refused.value.message("ko") == refused.value.message("en"):
            found.append(refused.value.message("en"))
    return found


def _english_on(at, token: str | None = None) -> list[str]:
    """Every visible text that reads as English, the engine's untranslated texts taken out first."""
    engine = _engine_english(at, token)
    found = []
    for text in visible_texts(at):
        for part in engine:
            text = text.replace(part, "")
        if text.strip() and (run := untranslated(text)):
            found.append(f"{run!r} in {text[:90]!r}")
    return found


@pytest.mark.parametrize("number", range(1, 13))
def test_every_step_in_korean_shows_no_english_prose(number):
    at = open_lesson("ko", step=str(number))
    assert not at.exception, at.exception
    assert has_hangul(visible_texts(at))
    assert not _english_on(at), _english_on(at)


def test_the_title_is_korean():
    at = open_lesson("ko")
    assert at.title[0].value == "강의: 합성곱 신경망 한 걸음씩"


def test_a_wrong_answer_in_korean_says_so_and_shows_the_working():
    at = open_lesson("ko")
    exercise = shown_exercise(at)
    at = answer(at, wrong(exercise))
    assert at.error and has_hangul([at.error[0].value]) and exercise.answer_text in at.error[0].value
    assert len(at.latex) == len(exercise.worked)
    assert not _english_on(at), _english_on(at)


def test_a_right_answer_in_korean_counts_the_step():
    at = open_lesson("ko", step="6")
    at = answer(at, by_formula(shown_exercise(at)))
    assert at.success and has_hangul([at.success[0].value])
    assert steps_done(at) == 1 and at.get("progress")[0].proto.text == "12단계 중 1단계 정답"
    assert not _english_on(at), _english_on(at)


def test_text_that_is_not_a_number_is_asked_for_in_korean():
    at = answer(open_lesson("ko", step="4"), "둘")
    assert at.warning and has_hangul([at.warning[0].value])
    assert not _english_on(at), _english_on(at)


def test_show_the_answer_and_new_numbers_in_korean():
    at = press(open_lesson("ko", step="8"), "_reveal")
    assert at.info and has_hangul([at.info[0].value]) and not _english_on(at)
    at = press(at, "_new")
    assert not at.exception and not _english_on(at), _english_on(at)


def test_a_teachers_link_in_korean_says_where_it_comes_from_and_keeps_the_language():
    at = open_lesson("ko", exercise="pool_cell-77")
    assert at.info and has_hangul([at.info[0].value]) and not _english_on(at)
    link = next(code.value for code in at.code if "exercise=" in code.value)
    assert "lang=ko" in link and "exercise=pool_cell-77" in link and "step=6" in link
    assert query(at, "exercise") == "pool_cell-77"


def test_a_bad_code_in_korean_gives_a_korean_message():
    at = open_lesson("ko", exercise="cats-3")
    assert not at.exception, at.exception
    assert at.error and at.error[0].value.startswith("이 링크의 문제를 열 수 없습니다.")
    assert not _english_on(at, "cats-3"), _english_on(at, "cats-3")
