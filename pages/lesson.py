"""Lesson: the study note's chapter as a guided path of short steps, each with a page to open and an exercise.

The step is in the URL (``?step=N``), so a link resumes the lesson; a teacher's
``?exercise=<token>`` opens that exact exercise for the whole class. Which steps were answered
right is kept in the session and shown as a progress bar.
"""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from cnn_core.i18n import LabError
from cnn_core.ops.exercises import exercise_from_token, make_exercise
from ui import lesson, settings
from ui.i18n import N_, _, error_text


class Link(NamedTuple):
    """A page the step opens, with the settings it talks about preset (``ui.settings.preset``)."""

    script: str
    label: str
    icon: str
    query: tuple[tuple[str, str], ...] = ()  # (name, value) pairs, as ``settings.preset(...).items()``


class Step(NamedTuple):
    """One step of the lesson: a title, a few sentences, the pages that show it, and an exercise kind."""

    id: str
    title: str
    body: str
    links: tuple[Link, ...]
    kind: str
    prefer: object = None  # params -> bool: which numbers suit this step (None: any)
    setup: str = ""  # the setup the links open, in words: every value of their queries


def _convolution(label: str = N_("Open the Convolution page"), **values) -> Link:
    return Link("pages/convolution.py", label, "🔲", _query(**values))


def _query(**values) -> tuple[tuple[str, str], ...]:
    return tuple(settings.preset(**values).items())


# The Convolution page's small grid in one channel, one 3×3 filter, stride 1, no padding.
ONE_FILTER_ON_THE_GRID = dict(
    conv_source="grid",
    conv_channels=1,
    conv_rows=5,
    conv_cols=5,
    conv_ksize=3,
    conv_filters=1,
    conv_preset_0="cross (textbook)",
    conv_strides=1,
    conv_padding="valid",
)
STEPS = (
    Step(
        "local_global",
        N_("Local and global patterns"),
        N_(
            "A dense layer connects every pixel to every unit, so what it learns is a pattern of the whole "
            "image at once. A convolution layer looks through a small window instead, and learns local "
            "patterns such as edges and corners. The same window is used at every position, so a pattern "
            "learned in one corner is recognised anywhere: this is **translation invariance**."
        ),
        (
            _convolution(
                conv_source="photo",
                conv_channels=1,
                conv_ksize=3,
                conv_filters=2,
                conv_preset_0="vertical edge",
                conv_preset_1="horizontal edge",
                conv_activation="relu",
                conv_strides=1,
                conv_padding="valid",
            ),
        ),
        "output_size",
        lambda p: p["padding"] == "valid" and p["strides"] == 1,
        N_(
            "The link opens the Convolution page on the sample photo in one channel, with two 3×3 filters "
            "(a vertical edge and a horizontal edge), ReLU, stride 1 and no padding: each map lights up "
            "only where its small local pattern is."
        ),
    ),
    Step(
        "convolution",
        N_("The convolution step"),
        N_(
            "At each position the window cuts out a **patch** of the input. Each pixel of the patch is "
            "multiplied by the kernel weight above it, the products are added up and the bias is added. "
            "That single number is one cell of the **feature map**: how strongly the filter's pattern "
            "appears at that spot."
        ),
        (_convolution(**ONE_FILTER_ON_THE_GRID, conv_bias_0=0.0, conv_activation="none"),),
        "conv_cell",
        lambda p: p["activation"] is None,
        N_(
            "The link opens the Convolution page on the 5×5 grid in one channel, with one 3×3 filter (the "
            "textbook cross), bias 0, no activation, stride 1 and no padding: each cell of the map is "
            "exactly the sum of the products plus the bias."
        ),
    ),
    Step(
        "channels",
        N_("Channels and filters"),
        N_(
            "A colour image has three channels (R, G, B), and a filter has a slice of weights for each "
            "of them; the slices' sums are added into one feature map. A layer applies many filters (32, "
            "64, 128 ...) and gives one feature map per filter, so its output has as many channels as it "
            "has filters. Deeper layers usually have more filters and smaller maps."
        ),
        (
            _convolution(
                conv_source="grid",
                conv_channels=3,
                conv_rows=5,
                conv_cols=5,
                conv_ksize=3,
                conv_filters=3,
                conv_activation="relu",
                conv_strides=1,
                conv_padding="valid",
            ),
        ),
        "param_count",
        setup=N_(
            "The link opens the Convolution page on the 5×5 grid with three channels (R, G, B) and three "
            "3×3 filters, ReLU, stride 1 and no padding: each filter has one slice per channel, and the "
            "output has three channels, one feature map per filter."
        ),
    ),
    Step(
        "padding",
        N_("Padding"),
        N_(
            'Without padding ("valid") a k×k window fits only i − k + 1 times across an input of size i, '
            "so every layer shrinks the map. **Zero padding** adds rows and columns of zeros around the "
            'input; with "same" Keras adds just enough for the output to keep the input\'s size (at '
            "stride 1). When the number of zeros is odd, the extra one goes after: to the bottom and the right."
        ),
        (
            Link(
                "pages/padding.py",
                N_("Open the Padding page"),
                "🖼️",
                _query(pad_size=5, pad_kernel=4, pad_strides=1, pad_padding="same"),
            ),
        ),
        "same_padding",
        setup=N_(
            "The link opens the Padding page with a 5×5 input, a 4×4 kernel, stride 1 and 'same' padding: "
            "3 zeros per axis, 1 before and 2 after."
        ),
    ),
    Step(
        "stride",
        N_("Stride"),
        N_(
            "The **stride** is the distance between two consecutive window positions. Stride 1 visits "
            "every position; stride 2 skips every other one, so the output is about half as wide and "
            "tall. A strided convolution downsamples its input, as pooling does."
        ),
        (
            Link(
                "pages/stride.py",
                N_("Open the Stride page"),
                "👣",
                _query(stride_size=7, stride_kernel=3, stride_strides=2, stride_padding="valid"),
            ),
        ),
        "output_size",
        lambda p: p["strides"] > 1,
        N_(
            "The link opens the Stride page with a 7×7 input, a 3×3 window, stride 2 and no padding: "
            "⌊(7 − 3) / 2⌋ + 1 = 3 positions per row, a 3×3 output."
        ),
    ),
    Step(
        "pooling",
        N_("Max pooling"),
        N_(
            "Max pooling downsamples a feature map: a 2×2 window with stride 2 keeps only the largest "
            "value of each patch, so the map's height and width are halved. There are fewer numbers for "
            "the next layers, and each of their windows covers a larger part of the image, which helps the "
            "model build a **spatial hierarchy**. Average pooling keeps the mean instead."
        ),
        (
            Link(
                "pages/pooling.py",
                N_("Open the Pooling page"),
                "🔽",
                _query(pool_source="mnist", pool_mode="max", pool_size=2, pool_strides=2, pool_padding="valid"),
            ),
        ),
        "pool_cell",
        lambda p: p["mode"] == "max",
        N_(
            "The link opens the Pooling page on an MNIST digit with max pooling, a 2×2 window, stride 2 and "
            "no padding: the 28×28 digit becomes 14×14."
        ),
    ),
    Step(
        "relu",
        N_("ReLU"),
        N_(
            "After the sum and the bias comes the activation. ReLU keeps a positive value as it is and "
            "turns a negative one into 0, so a feature map only says where the pattern is present, not "
            "where its opposite is. In Keras it is `activation='relu'` in each `Conv2D`."
        ),
        (
            Link("pages/activations.py", N_("Open the Activation maps page"), "🔥"),
            _convolution(
                N_("Open the Convolution page with ReLU"),
                **ONE_FILTER_ON_THE_GRID,
                conv_bias_0=-3.0,
                conv_activation="relu",
            ),
        ),
        "conv_cell",
        lambda p: p["activation"] == "relu",
        N_(
            "The second link opens the Convolution page on the 5×5 grid in one channel, with one 3×3 filter "
            "(the textbook cross), bias −3, ReLU, stride 1 and no padding: the cells whose sum plus bias is "
            "negative become 0."
        ),
    ),
    Step(
        "summary",
        N_("The MNIST convnet and its summary"),
        N_(
            "The note's first convnet stacks `Conv2D` and `MaxPooling2D` layers in turn (32, then 64 and "
            "64 filters of 3×3) on a 28×28×1 digit, then `Flatten` and two `Dense` layers end in a "
            "softmax over the ten digits. `model.summary()` lists each layer's output shape and its "
            "parameters: a `Conv2D` layer has one k×k×c kernel and one bias per filter."
        ),
        (Link("pages/training.py", N_("Open the Train on MNIST page"), "📈"),),
        "param_count",
        lambda p: p["kernel_size"] == 3,
    ),
    Step(
        "training",
        N_("Training"),
        N_(
            "Training shows the model the images in batches (64 at a time in the note) and, after each "
            "batch, nudges every weight so that the loss goes down. One pass over all training images is an "
            "**epoch**; after five epochs the note's MNIST convnet gets about 98% of the test digits right. What "
            "training changes are exactly the kernel weights and biases of every layer."
        ),
        (Link("pages/training.py", N_("Train the convnet on MNIST"), "📈"),),
        "conv_cell",
    ),
    Step(
        "overfitting",
        N_("Overfitting"),
        N_(
            "With few training images (2,000 cats and dogs in the note) a model with millions of "
            "parameters starts to memorise them: the training accuracy keeps rising while the validation "
            "accuracy stalls and the validation loss climbs. That gap is **overfitting**. More data is the "
            "best remedy; **dropout**, which switches off random units during training, helps too."
        ),
        (Link("pages/overfitting_lab.py", N_("Open the Overfitting lab"), "⚖️"),),
        "param_count",
    ),
    Step(
        "augmentation",
        N_("Data augmentation"),
        N_(
            "**Data augmentation** makes more training images out of the ones there are: random rotations, "
            "shifts, shear, zoom and flips, so the model never sees exactly the same picture twice. It "
            "teaches the model that a cat moved a little is still a cat, in the way max pooling already "
            "ignores where inside its window the largest value sits."
        ),
        (
            Link(
                "pages/augmentation.py",
                N_("Open the Augmentation page"),
                "🔀",
                _query(
                    aug_rotation=40,
                    aug_width_shift=0.1,
                    aug_height_shift=0.1,
                    aug_shear=0.4,
                    aug_zoom=0.5,
                    aug_hflip=True,
                    aug_vflip=False,
                    aug_fill="nearest",
                ),
            ),
        ),
        "pool_cell",
        lambda p: p["mode"] == "max",
        N_(
            "The link opens the Augmentation page with the generator the note's dropout model trains with: "
            "rotation_range=40, width_shift_range=0.1, height_shift_range=0.1, shear_range=0.4, "
            "zoom_range=0.5, horizontal_flip=True, no vertical flip and fill_mode='nearest'."
        ),
    ),
    Step(
        "activations",
        N_("Activations"),
        N_(
            "A layer's output after its activation function is its **activation**; shown as pictures, "
            "these activation maps reveal what each layer responds to. The first layers keep edges and "
            "colours close to the picture; deeper ones become more abstract (an ear, an eye) and sparser, "
            "because a filter stays dark where its feature is absent. Each map's size follows the same "
            "output-size formula: a 3×3 window without padding turns a 150×150 image into 148×148."
        ),
        (Link("pages/activations.py", N_("Open the Activation maps page"), "🔥"),),
        "output_size",
        lambda p: p["padding"] == "valid",
    ),
)
TOTAL = len(STEPS)
AT_KEY = "lesson_at"  # the current step, 1-based (plain state: it outlives a visit to another page)
SELECT_KEY = "lesson_step_select"
DONE_KEY = "lesson_done"  # ids of the steps answered right
URL_STEP_KEY = "lesson_url_step"  # the ?step= this session last wrote, to tell a new link from our own
TEACHER_KEY = "lesson_teacher"  # (step, token) of the exercise a teacher's link opened
# Each step's first exercise comes from a fixed seed, so everyone starts with the same numbers.
SEED_SPACING = 1000


def box_key(step: Step) -> str:
    return f"lesson_{step.id}"


def first_exercise(step: Step, number: int):
    """The step's default exercise: the first seed from ``number * SEED_SPACING`` whose numbers suit the step."""
    seed = number * SEED_SPACING
    while True:
        exercise = make_exercise(step.kind, seed)
        if step.prefer is None or step.prefer(exercise.params):
            return exercise
        seed += 1


def _step_from_url() -> int | None:
    asked = st.query_params.get("step")
    if asked is None:
        return None
    if asked.isdigit() and 1 <= int(asked) <= TOTAL:
        return int(asked)
    st.warning(_("There is no step {asked} in this lesson; it has steps 1 to {total}.", asked=asked[:12], total=TOTAL))
    return None


def _first_of_kind(kind: str) -> int:
    return next((n for n, step in enumerate(STEPS, 1) if step.kind == kind), 1)


def _open_teacher_link(asked_step: int | None) -> None:
    """A ``?exercise=<token>`` not yet opened: put its exercise in its step's box and go there."""
    token = st.query_params.get("exercise")
    if token is None or (st.session_state.get(TEACHER_KEY) or (None, None))[1] == token:
        return
    try:
        exercise = exercise_from_token(token)
    except LabError as exc:
        st.error(_("The exercise in this link cannot be opened. {reason}", reason=error_text(exc)))
        del st.query_params["exercise"]
        return
    number = asked_step or _first_of_kind(exercise.kind)
    lesson.set_exercise(box_key(STEPS[number - 1]), exercise)
    st.session_state[AT_KEY] = number
    st.session_state[TEACHER_KEY] = (number, token)


def _go(number: int) -> None:
    st.session_state[AT_KEY] = number


def _chosen() -> None:
    st.session_state[AT_KEY] = st.session_state[SELECT_KEY]


# 1. Where the lesson stands: the URL's step (a link from elsewhere) or this session's ---------

settings.leave()  # A link below may open the page visited last; it then reads the link's settings.

asked_step = _step_from_url()
if asked_step is not None and str(asked_step) != st.session_state.get(URL_STEP_KEY):
    st.session_state[AT_KEY] = asked_step
_open_teacher_link(asked_step)
number = st.session_state.setdefault(AT_KEY, 1)
step = STEPS[number - 1]
done = st.session_state.setdefault(DONE_KEY, set())
if lesson.answered_right(box_key(step)):  # The Check button's callback ran before this line.
    done.add(step.id)

st.query_params["step"] = str(number)
st.session_state[URL_STEP_KEY] = str(number)
teacher_step, teacher_token = st.session_state.get(TEACHER_KEY) or (None, None)
teacher_shown = teacher_step == number and st.session_state.get(f"{lesson.PREFIX}{box_key(step)}") == teacher_token
if teacher_shown:
    st.query_params["exercise"] = teacher_token
else:
    st.query_params.pop("exercise", None)

# 2. The page: progress, the step chooser, the step ------------------------------------------

st.title(_("Lesson: the chapter step by step"))
st.markdown(
    _(
        "The study note's chapter on convnets in {total} short steps. Each step explains one idea, links "
        "to the page where you can try it, and asks one question whose answer the app computes. "
        "Predict first, then check: the working is shown either way.",
        total=TOTAL,
    )
)
st.progress(
    len(done) / TOTAL,
    text=_("{done} of {total} steps answered right", done=len(done), total=TOTAL),
)
st.session_state[SELECT_KEY] = number
labels = {n: ("✅ " if s.id in done else "") + f"{n}. {_(s.title)}" for n, s in enumerate(STEPS, 1)}
st.selectbox(_("Step"), range(1, TOTAL + 1), key=SELECT_KEY, on_change=_chosen, format_func=labels.get)

st.subheader(_("Step {number} of {total}: {title}", number=number, total=TOTAL, title=_(step.title)))
st.markdown(_(step.body))
if step.setup:
    st.markdown(_(step.setup))
for link in step.links:
    lesson.page_link(link.script, _(link.label), link.icon, dict(link.query))
if teacher_shown:
    st.info(_("This exercise comes from a shared link: everyone who opens it gets the same numbers."))
lesson.exercise_box(first_exercise(step, number), box_key(step), prefer=step.prefer, teacher_link=False)
if step.id in done:
    st.caption(_("✅ Step answered right."))

previous, _middle, following = st.columns([1, 2, 1])
previous.button(_("← Previous step"), key="lesson_previous", on_click=_go, args=(number - 1,), disabled=number == 1)
following.button(_("Next step →"), key="lesson_next", on_click=_go, args=(number + 1,), disabled=number == TOTAL)
if len(done) == TOTAL:
    st.success(_("You have answered every step of the lesson right. Well done!"))

with st.expander(_("For teachers: share this step's exercise")):
    shown = lesson.current_exercise(box_key(step), first_exercise(step, number))
    lesson.exercise_link(shown, number)
