"""Train on MNIST: the seed's convnet (or your variant), its arithmetic, live training and results."""

import functools

import streamlit as st

from cnn_core.data.mnist import split_validation, subset
from cnn_core.learning import settings as training
from cnn_core.learning.models import build_convnet
from cnn_core.learning.runs import TrainingRun
from ui import epochs as epochs_ui
from ui import settings as kept_settings
from ui import state
from ui import training as training_ui
from ui.i18n import N_, _, error_text, ngettext, number, percent
from ui.resources import mnist, shipped_history

RUN_KEY = state.MNIST_RUN
CLASS_NAMES = [str(digit) for digit in range(10)]
VALIDATION_SHARE = 0.1
SEED_FILTERS = (32, 64, 64, 128)
MNIST_SETTINGS = (
    *("mnist_data", "mnist_subset", "mnist_epochs", "mnist_optimizer", "mnist_learning_rate", "mnist_batch"),
    *("mnist_blocks", "mnist_kernel", "mnist_pooling", "mnist_dense", "mnist_dropout"),
    *(f"mnist_filters_{i}" for i in range(len(SEED_FILTERS))),
)
PROBES = (3, 2, 1, 18)  # test digits a 0, 1, 2 and 3, watched epoch by epoch
ALL_DIGITS, A_SUBSET = N_("All 60,000 training digits"), N_("A subset (quicker)")
NOTE_ACCURACY = 0.98  # The note's own run: "98% 정도 정확도 기록함" (about 98%).
SHIPPED_ACCURACY = 0.9914  # models/mnist_convnet.keras, the same recipe trained here (models/README.md).
SHIPPED_PROBES = (
    3,
    2,
    1,
    18,
    4,
    8,
    11,
    0,
)  # the shipped model's history watched a 0, 1, ... 7 (scripts/train_mnist.py)


def probe_names(probes, digits) -> list[str]:
    """'a 0 (test digit 3)', ... for the watched test digits."""
    return [_("a {digit} (test digit {index})", digit=d, index=i) for i, d in zip(probes, digits)]


# The settings below are this visitor's own run: kept for the session (not in the URL) when they leave.
kept_settings.session_settings(*MNIST_SETTINGS)
st.title(_("Train on MNIST"))
st.markdown(
    _(
        "The seed's central experiment: a small convnet reads handwritten digits. The note reports about "
        "{note} on the 10,000 test digits after 5 epochs; the same recipe trained here (the shipped model) "
        "reaches {ours}. Build it (or change it), check its shapes and parameters, then train it here and "
        "watch it learn. The training keeps running if you visit other pages; come back to see it.",
        note=percent(NOTE_ACCURACY, 0),
        ours=percent(SHIPPED_ACCURACY, 2),
    )
)

# 1. Settings ---------------------------------------------------------------------------------------
# Each setting's error shows right below its field, and each number box's help says its range.
st.header(_("1. Data and training settings"))
(x_train, y_train), (x_test, y_test) = mnist()
low_rate, high_rate = training.LEARNING_RATE_RANGE
problems = []
settings = None
left, right = st.columns(2)
with left:
    data_choice = st.radio(
        _("Training data"),
        [ALL_DIGITS, A_SUBSET],
        format_func={ALL_DIGITS: _(ALL_DIGITS), A_SUBSET: _(A_SUBSET)}.get,
        horizontal=True,
        key="mnist_data",
    )
    size = len(x_train)
    if data_choice == A_SUBSET:
        size = st.number_input(
            _("Subset size (digits)"),
            value=6000,
            step=1000,
            key="mnist_subset",
            help=_(
                "The first N of the {count} training digits: 1 to {count}.",
                count=number(len(x_train)),
            ),
        )
    try:
        x_used, y_used = subset(x_train, y_train, int(size))
        (x_fit, y_fit), (x_val, y_val) = split_validation(x_used, y_used, VALIDATION_SHARE)
        st.caption(
            _(
                "{fit} digits to learn from, the last {val} held out for validation; "
                "the {test} test digits are only used after training.",
                fit=number(len(x_fit)),
                val=number(len(x_val)),
                test=number(len(x_test)),
            )
        )
    except ValueError as exc:
        problems.append(_("Training data: {error}.", error=error_text(exc)))
        st.error(problems[-1])
    epochs = st.number_input(
        _("Epochs"), value=5, step=1, key="mnist_epochs", help=_("1 to {maximum}", maximum=training.MAX_EPOCHS)
    )
    epochs_place = st.empty()
with right:
    optimizer = st.selectbox(
        _("Optimizer"), training.OPTIMIZERS, key="mnist_optimizer", help=_("The seed uses rmsprop.")
    )
    learning_rate = st.number_input(
        _("Learning rate"),
        value=0.001,
        step=0.0005,
        format="%.5f",
        key="mnist_learning_rate",
        help=_(
            "{low:g} to {high:g}. Keras's defaults: {rmsprop:g} for RMSprop and Adam, {sgd:g} for SGD.",
            low=low_rate,
            high=high_rate,
            rmsprop=training.DEFAULT_LEARNING_RATES["rmsprop"],
            sgd=training.DEFAULT_LEARNING_RATES["sgd"],
        ),
    )
    rate_place = st.empty()
    batch_size = st.select_slider(_("Batch size"), [16, 32, 64, 128, 256, 512], value=64, key="mnist_batch")

setting_errors = training.setting_problems(int(epochs), batch_size, optimizer, float(learning_rate))
for field, place in (("epochs", epochs_place), ("learning_rate", rate_place)):
    if field in setting_errors:
        problems.append(_("Training settings: {error}.", error=error_text(setting_errors[field])))
        place.error(problems[-1])
if not setting_errors:
    settings = training.TrainingSettings(int(epochs), batch_size, optimizer, float(learning_rate))

# 2. Architecture -----------------------------------------------------------------------------------
st.header(_("2. Architecture"))
st.caption(_("The defaults are the seed's model: Conv 32 - Pool - Conv 64 - Pool - Conv 64 - Dense 64 - Dense 10."))
POOLING_NAMES = {"max": N_("max"), "average": N_("average"), "none": N_("none")}
a, b, c, d = st.columns(4)
blocks = a.slider(_("Conv blocks"), 1, 4, 3, key="mnist_blocks")
kernel_size = b.select_slider(_("Kernel size"), [2, 3, 4, 5, 7], value=3, key="mnist_kernel")
pooling = c.radio(
    _("Pooling (2x2, between blocks)"),
    list(POOLING_NAMES),
    format_func={mode: _(name) for mode, name in POOLING_NAMES.items()}.get,
    horizontal=True,
    key="mnist_pooling",
)
dense_units = d.select_slider(_("Dense units"), [16, 32, 64, 128, 256], value=64, key="mnist_dense")
filter_columns = st.columns(4)
filters = tuple(
    filter_columns[i].select_slider(
        _("Filters, block {block}", block=i + 1), [8, 16, 32, 64, 128], value=SEED_FILTERS[i], key=f"mnist_filters_{i}"
    )
    for i in range(blocks)
)
dropout = st.slider(_("Dropout after Flatten"), 0.0, 0.8, 0.0, step=0.05, key="mnist_dropout")
architecture = {
    "filters": filters,
    "kernel_size": kernel_size,
    "pooling": pooling,
    "dropout": dropout,
    "dense_units": dense_units,
}

# 3. Summary ----------------------------------------------------------------------------------------
st.header(_("3. Model summary"))
try:
    rows, input_shape = training_ui.cached_summary(tuple(architecture.items()))
except ValueError as exc:
    problems.append(
        _(
            "This architecture does not fit a 28x28 digit: the feature maps shrink to nothing. Use fewer "
            "conv blocks, a smaller kernel or less pooling. (Keras says: {error})",
            error=error_text(exc),
        )
    )
    st.error(problems[-1])
else:
    training_ui.summary_table(rows, input_shape)
    training_ui.keras_listing(architecture, settings)

# 4. Train ------------------------------------------------------------------------------------------
st.header(_("4. Train"))
if problems:
    st.warning(
        ngettext(
            "One setting above is out of range (marked in red beside it); fix it to start training.",
            "{n} settings above are out of range (marked in red beside them); fix them to start training.",
            len(problems),
        )
    )


def make_run() -> TrainingRun:
    """A run with the settings shown now, named in order for this session."""
    count = state.next_count("mnist")
    return TrainingRun(
        functools.partial(build_convnet, **architecture),
        (x_fit, y_fit),
        (x_val, y_val),
        (x_test, y_test),
        class_names=CLASS_NAMES,
        settings=settings,
        watch=x_test[list(PROBES)],
        name=_(
            "MNIST run {count} ({optimizer}, {epochs}, {digits})",
            count=count,
            optimizer=optimizer,
            epochs=ngettext("{n} epoch", "{n} epochs", int(epochs)),
            digits=ngettext("{count} digit", "{count} digits", len(x_fit), count=number(len(x_fit))),
        ),
    )


training_ui.start_button(RUN_KEY, make_run, disabled=bool(problems))

run = st.session_state.get(RUN_KEY)
if run is not None:
    st.caption(
        _(
            "**{name}**: batch {batch}, learning rate {rate:g}.",
            name=run.name,
            batch=run.settings.batch_size,
            rate=run.settings.learning_rate,
        )
    )
    training_ui.monitor(RUN_KEY)

# 5. Watch it learn ---------------------------------------------------------------------------------
st.header(_("5. Watch it learn"))
if run is None:
    st.markdown(
        _(
            "Before you train anything, here is how the **shipped** model learned, epoch by epoch: its first "
            "layer's 32 kernels start as random noise and settle into edge and stroke detectors, and a test "
            "digit's feature maps sharpen with them. Your own run shows the same here, live, while it trains."
        )
    )
    history, shipped_probes = shipped_history("mnist_convnet")
    epochs_ui.scrubber(
        history, shipped_probes, "shipped_epochs", probe_names(SHIPPED_PROBES, range(len(SHIPPED_PROBES)))
    )
elif run.done:
    epochs_ui.scrubber(run.snapshots, x_test[list(PROBES)], "run_epochs", probe_names(PROBES, (0, 1, 2, 3)))
else:
    st.fragment(run_every=2.0)(epochs_ui.scrubber)(
        run.snapshots, x_test[list(PROBES)], "run_epochs", probe_names(PROBES, (0, 1, 2, 3))
    )

# 6. Results ----------------------------------------------------------------------------------------
if run is not None and run.done:
    st.header(_("6. Results"))
    entry = training_ui.register_model(run, "mnist")
    if entry is not None:
        st.success(
            _(
                "**{name}** is now available on the Activation maps and Read my digit pages of this session.",
                name=entry.name,
            )
        )
    training_ui.results(run, RUN_KEY)
