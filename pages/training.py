"""Train on MNIST: the seed's convnet (or your variant), its arithmetic, live training and results."""

import functools

import streamlit as st

from cnn_core.data.mnist import split_validation, subset
from cnn_core.learning import settings as training
from cnn_core.learning.models import build_convnet
from cnn_core.learning.runs import TrainingRun
from ui import epochs as epochs_ui
from ui import state
from ui import training as training_ui
from ui.resources import mnist, shipped_history

RUN_KEY = state.MNIST_RUN
CLASS_NAMES = [str(digit) for digit in range(10)]
VALIDATION_SHARE = 0.1
SEED_FILTERS = (32, 64, 64, 128)
PROBES = (3, 2, 1, 18)  # test digits a 0, 1, 2 and 3, watched epoch by epoch
PROBE_NAMES = [f"a {d} (test digit {i})" for i, d in zip(PROBES, (0, 1, 2, 3))]
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

st.title("Train on MNIST")
st.markdown(
    "The seed's central experiment: a small convnet reads handwritten digits and reaches about 99% "
    "on the 10,000 test digits after 5 epochs. Build it (or change it), check its shapes and "
    "parameters, then train it here and watch it learn. The training keeps running if you visit "
    "other pages; come back to see it."
)

# 1. Settings ---------------------------------------------------------------------------------------
st.header("1. Data and training settings")
(x_train, y_train), (x_test, y_test) = mnist()
left, right = st.columns(2)
with left:
    data_choice = st.radio("Training data", ["All 60,000 training digits", "A subset (quicker)"], horizontal=True)
    size = len(x_train)
    if data_choice.startswith("A subset"):
        size = st.number_input(
            "Subset size (digits)", value=6000, step=1000, help=f"The first N of the {len(x_train):,} training digits."
        )
    epochs = st.number_input("Epochs", value=5, step=1, help=f"1 to {training.MAX_EPOCHS}")
with right:
    optimizer = st.selectbox("Optimizer", training.OPTIMIZERS, help="The seed uses rmsprop.")
    learning_rate = st.number_input(
        "Learning rate",
        value=0.001,
        step=0.0005,
        format="%.5f",
        help="0.001 is the default of all three optimizers in Keras.",
    )
    batch_size = st.select_slider("Batch size", [16, 32, 64, 128, 256, 512], value=64)

problems = []
settings = None
try:
    x_used, y_used = subset(x_train, y_train, int(size))
    (x_fit, y_fit), (x_val, y_val) = split_validation(x_used, y_used, VALIDATION_SHARE)
    st.caption(
        f"{len(x_fit):,} digits to learn from, the last {len(x_val):,} held out for validation; "
        f"the {len(x_test):,} test digits are only used after training."
    )
except ValueError as exc:
    problems.append(f"Training data: {exc}.")
try:
    settings = training.TrainingSettings(int(epochs), batch_size, optimizer, float(learning_rate))
except ValueError as exc:
    problems.append(f"Training settings: {exc}.")

# 2. Architecture -----------------------------------------------------------------------------------
st.header("2. Architecture")
st.caption("The defaults are the seed's model: Conv 32 - Pool - Conv 64 - Pool - Conv 64 - Dense 64 - Dense 10.")
a, b, c, d = st.columns(4)
blocks = a.slider("Conv blocks", 1, 4, 3)
kernel_size = b.select_slider("Kernel size", [2, 3, 4, 5, 7], value=3)
pooling = c.radio("Pooling (2x2, between blocks)", ["max", "average", "none"], horizontal=True)
dense_units = d.select_slider("Dense units", [16, 32, 64, 128, 256], value=64)
filter_columns = st.columns(4)
filters = tuple(
    filter_columns[i].select_slider(f"Filters, block {i + 1}", [8, 16, 32, 64, 128], value=SEED_FILTERS[i])
    for i in range(blocks)
)
dropout = st.slider("Dropout after Flatten", 0.0, 0.8, 0.0, step=0.05)
architecture = {
    "filters": filters,
    "kernel_size": kernel_size,
    "pooling": pooling,
    "dropout": dropout,
    "dense_units": dense_units,
}

# 3. Summary ----------------------------------------------------------------------------------------
st.header("3. Model summary")
try:
    rows, input_shape = training_ui.cached_summary(tuple(architecture.items()))
    training_ui.summary_table(rows, input_shape)
except ValueError as exc:
    problems.append(
        "This architecture does not fit a 28x28 digit: the feature maps shrink to nothing. Use fewer "
        f"conv blocks, a smaller kernel or less pooling. (Keras says: {exc})"
    )

# 4. Train ------------------------------------------------------------------------------------------
st.header("4. Train")
for problem in problems:
    st.error(problem)


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
        name=f"MNIST run {count} ({optimizer}, {int(epochs)} epoch{'s' * (int(epochs) != 1)}, {len(x_fit):,} digits)",
    )


training_ui.start_button(RUN_KEY, make_run, disabled=bool(problems))

run = st.session_state.get(RUN_KEY)
if run is not None:
    st.caption(f"**{run.name}**: batch {run.settings.batch_size}, learning rate {run.settings.learning_rate:g}.")
    training_ui.monitor(RUN_KEY)

# 5. Watch it learn ---------------------------------------------------------------------------------
st.header("5. Watch it learn")
if run is None:
    st.markdown(
        "Before you train anything, here is how the **shipped** model learned, epoch by epoch: its first "
        "layer's 32 kernels start as random noise and settle into edge and stroke detectors, and a test "
        "digit's feature maps sharpen with them. Your own run shows the same here, live, while it trains."
    )
    history, shipped_probes = shipped_history("mnist_convnet")
    epochs_ui.scrubber(
        history, shipped_probes, "shipped_epochs", [f"a {d} (test digit {i})" for d, i in enumerate(SHIPPED_PROBES)]
    )
elif run.done:
    epochs_ui.scrubber(run.snapshots, x_test[list(PROBES)], "run_epochs", PROBE_NAMES)
else:
    st.fragment(run_every=2.0)(epochs_ui.scrubber)(run.snapshots, x_test[list(PROBES)], "run_epochs", PROBE_NAMES)

# 6. Results ----------------------------------------------------------------------------------------
if run is not None and run.done:
    st.header("6. Results")
    entry = training_ui.register_model(run, "mnist")
    if entry is not None:
        st.success(f"**{entry.name}** is now available on the Activation maps and Read my digit pages of this session.")
    training_ui.results(run, RUN_KEY)
