"""The lesson page: its steps, predictions checked against the formulas, progress, ?step= and a teacher's ?exercise=."""

from cnn_core.ops.exercises import exercise_token, make_exercise
from tests.support.languages import has_hangul, visible_texts
from tests.support.lesson import (
    answer,
    by_formula,
    math_shown,
    open_lesson,
    press,
    query,
    shown_exercise,
    steps_done,
    wrong,
)

# The steps in order: (title, the kind of exercise, what its numbers must allow).
STEPS = (
    ("Local and global patterns", "output_size", lambda p: p["padding"] == "valid" and p["strides"] == 1),
    ("The convolution step", "conv_cell", lambda p: p["activation"] is None),
    ("Channels and filters", "param_count", lambda p: True),
    ("Padding", "same_padding", lambda p: True),
    ("Stride", "output_size", lambda p: p["strides"] > 1),
    ("Max pooling", "pool_cell", lambda p: p["mode"] == "max"),
    ("ReLU", "conv_cell", lambda p: p["activation"] == "relu"),
    ("The MNIST convnet and its summary", "param_count", lambda p: p["kernel_size"] == 3),
    ("Training", "conv_cell", lambda p: True),
    ("Overfitting", "param_count", lambda p: True),
    ("Data augmentation", "pool_cell", lambda p: p["mode"] == "max"),
    ("Activations", "output_size", lambda p: p["padding"] == "valid"),
)


def _subheader(at) -> str:
    return at.subheader[0].value


def _page_links(at) -> list[str]:
    return [link.proto.page for link in at.get("page_link")]


def test_opens_at_step_one_in_english_with_a_link_and_an_exercise():
    at = open_lesson()
    assert not at.exception, at.exception
    assert at.title[0].value == "Lesson: the chapter step by step"
    assert _subheader(at) == "Step 1 of 12: Local and global patterns"
    assert any(page.endswith("convolution") for page in _page_links(at)), _page_links(at)
    assert steps_done(at) == 0 and query(at, "step") == "1"
    assert shown_exercise(at).prompt in [m.value for m in at.markdown]
    assert not has_hangul(visible_texts(at))


def test_every_step_renders_with_a_page_link_and_its_kind_of_exercise():
    for number, (title, kind, suits) in enumerate(STEPS, 1):
        at = open_lesson(step=str(number))
        assert not at.exception, (number, at.exception)
        assert _subheader(at) == f"Step {number} of 12: {title}"
        assert at.get("page_link"), number
        exercise = shown_exercise(at)
        assert exercise.kind == kind and suits(exercise.params), (number, exercise)


def test_a_right_answer_marks_the_step_done_and_moves_the_bar():
    at = open_lesson()
    exercise = shown_exercise(at)
    at = answer(at, f" {by_formula(exercise)} ")
    assert not at.exception, at.exception
    assert at.success and at.success[0].value.startswith("Right"), [s.value for s in at.success]
    assert steps_done(at) == 1 and at.get("progress")[0].proto.text == "1 of 12 steps answered right"
    assert at.selectbox[0].format_func(1).startswith("✅")
    at = press(at, "lesson_next")
    assert _subheader(at).startswith("Step 2 of 12") and query(at, "step") == "2"
    assert steps_done(at) == 1  # Still done after moving on.


def test_a_pair_answer_typed_in_several_ways_is_right():
    at = open_lesson(step="4")
    exercise = shown_exercise(at)
    assert exercise.kind == "same_padding"
    before, after = by_formula(exercise).strip("()").split(", ")
    for typed in (f"{before}, {after}", f"[{before} {after}]", f"({before},{after})"):
        at = answer(at, typed)
        assert at.success, typed


def test_a_wrong_answer_says_wrong_and_shows_the_working():
    at = open_lesson()
    exercise = shown_exercise(at)
    at = answer(at, wrong(exercise))
    assert not at.exception, at.exception
    assert at.error and at.error[0].value.startswith("Not quite"), [e.value for e in at.error]
    assert exercise.answer_text in at.error[0].value
    shown_math = math_shown(at)
    assert all(step.latex in shown_math for step in exercise.worked), shown_math
    assert all(step.text in [m.value for m in at.markdown] for step in exercise.worked)
    assert steps_done(at) == 0 and not at.success


def test_text_that_is_not_a_number_asks_for_one():
    at = answer(open_lesson(), "three")
    assert at.warning and not at.error and steps_done(at) == 0


def test_show_the_answer_reveals_without_counting():
    at = press(open_lesson(), "_reveal")
    exercise = shown_exercise(at)
    assert exercise.answer_text in at.info[0].value
    assert [step.latex for step in exercise.worked] == math_shown(at)
    assert steps_done(at) == 0


def test_new_numbers_changes_the_numbers_of_the_same_kind():
    at = open_lesson()
    before = shown_exercise(at)
    for _ in range(3):
        at = press(at, "_new")
        after = shown_exercise(at)
        assert after.kind == before.kind and after.params != before.params
        assert STEPS[0][2](after.params)
        assert after.prompt in [m.value for m in at.markdown]
        before = after
    at = answer(at, by_formula(after))  # The new numbers are the ones checked.
    assert at.success and steps_done(at) == 1


def test_step_in_the_url_opens_that_step():
    at = open_lesson(step="5")
    assert _subheader(at) == "Step 5 of 12: Stride"
    assert at.selectbox[0].value == 5
    assert any(page.endswith("stride") for page in _page_links(at))


def test_the_step_chooser_writes_the_url():
    at = open_lesson()
    at.selectbox[0].set_value(7).run()
    assert _subheader(at).startswith("Step 7 of 12") and query(at, "step") == "7"


def test_a_step_that_does_not_exist_says_so_and_starts_at_one():
    at = open_lesson(step="99")
    assert not at.exception and at.warning and "99" in at.warning[0].value
    assert _subheader(at).startswith("Step 1 of 12")


def test_a_teachers_link_opens_that_exercise_with_its_numbers():
    exercise = make_exercise("output_size", 1234)
    at = open_lesson(exercise="output_size-1234")
    assert not at.exception, at.exception
    assert shown_exercise(at).params == exercise.params
    assert exercise.prompt in [m.value for m in at.markdown]
    assert at.info and query(at, "exercise") == "output_size-1234"
    at = answer(at, by_formula(exercise))
    assert at.success and steps_done(at) == 1


def test_a_teachers_link_with_a_step_opens_there_and_leaves_the_url_when_the_step_changes():
    at = open_lesson(step="12", exercise="conv_cell-42")
    assert _subheader(at).startswith("Step 12 of 12")
    assert exercise_token(shown_exercise(at)) == "conv_cell-42"
    at = press(at, "lesson_previous")
    assert query(at, "exercise") is None and shown_exercise(at).kind == STEPS[10][1]
    at = press(at, "lesson_next")  # Back at the teacher's step, the teacher's exercise is still there.
    assert exercise_token(shown_exercise(at)) == "conv_cell-42" and query(at, "exercise") == "conv_cell-42"


def test_a_bad_exercise_code_gives_a_message_and_no_traceback():
    for token in ("nonsense-12", "output_size-99999999999", "output_size", "<script>"):
        at = open_lesson(exercise=token)
        assert not at.exception, (token, at.exception)
        assert at.error and "cannot be opened" in at.error[0].value, token
        assert _subheader(at).startswith("Step 1 of 12")  # The lesson itself still works.
