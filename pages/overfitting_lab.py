"""Overfitting lab: the seed's two cats-vs-dogs trainings on the same data, plain and with
augmentation + dropout, their accuracy and loss curves overlaid like the seed's figures."""

import functools

import streamlit as st
from streamlit.errors import StreamlitAPIException

from cnn_core.data.budget import NOTICE
from cnn_core.figures.charts import comparison_figure
from cnn_core.learning.keras_code import NOTE_MODELS, keras_code
from cnn_core.learning.models import build_cats_dogs_convnet
from cnn_core.learning.overfitting import compare_gaps, overfitting_gap
from cnn_core.learning.queue import max_trainings
from cnn_core.learning.runs import TrainingRun
from cnn_core.learning.settings import MAX_EPOCHS, TrainingSettings
from cnn_core.vision import augment, augment_code
from ui import epochs as epochs_ui
from ui import settings as kept_settings
from ui import state
from ui import training as training_ui
from ui.charts import labelled_chart
from ui.i18n import N_, _, error_text, language, number

MESSAGES_KEY = "lab_messages"
POLL_S = 0.5
RECIPES = {
    "plain": {"title": N_("Plain"), "dropout": 0.0, "augmentation": None, "color": "#d62728"},
    "regularised": {
        "title": N_("Augmentation + dropout"),
        "dropout": 0.5,
        "augmentation": augment.SEED_TRAINING,
        "color": "#1f77b4",
    },
}

# The note's models shown in the lab (cnn_core.NOTE_MODELS), with their headings.
NOTE_LISTINGS = {
    "cats_dogs": N_("Plain: 30 epochs"),
    "cats_dogs_dropout": N_("With Dropout(0.5): 100 epochs"),
}

# The recipes as they appear inside a run's name ("Lab 1: plain (cats/dogs)").
LOWER_TITLES = {"plain": N_("plain"), "regularised": N_("augmentation + dropout")}


def run_key(recipe: str) -> str:
    return f"lab_run_{recipe}"


def title(recipe: str) -> str:
    """The recipe's name in the visitor's language."""
    return _(RECIPES[recipe]["title"])


def lab_runs() -> dict[str, TrainingRun]:
    """recipe -> this session's latest run of it (waiting, training or ended)."""
    runs = {recipe: st.session_state.get(run_key(recipe)) for recipe in RECIPES}
    return {recipe: run for recipe, run in runs.items() if run is not None}


def active() -> bool:
    return any(training_ui.is_running(run_key(recipe)) for recipe in RECIPES)


def gap_table(histories: dict) -> list[dict]:
    """Per run: final training and validation accuracy, their gap, and where validation loss bottomed out."""
    rows = []
    for recipe, history in histories.items():
        gap = overfitting_gap(history)
        if gap is None:
            continue
        rows.append(
            {
                _("run"): title(recipe),
                _("training accuracy"): f"{gap.train_accuracy:.1%}",
                _("validation accuracy"): f"{gap.val_accuracy:.1%}",
                _("gap"): f"{gap.gap:+.1%}",
                _("best validation accuracy"): f"{gap.best_val_accuracy:.1%}",
                _("lowest validation loss at epoch"): gap.lowest_val_loss_epoch,
            }
        )
    return rows


def gap_story(histories: dict) -> str:
    """What this lab's own numbers show, in a sentence or three."""
    gaps = {recipe: overfitting_gap(histories.get(recipe, {})) for recipe in RECIPES}
    if any(gap is None for gap in gaps.values()):
        return ""
    plain, regularised = f"{gaps['plain'].gap:+.1%}", f"{gaps['regularised'].gap:+.1%}"
    verdict = compare_gaps(gaps["plain"], gaps["regularised"])
    if verdict == "no gap yet":
        text = _(
            "Here neither run has opened a gap yet (plain {plain}, augmentation + dropout "
            "{regularised}): the plain model has not started to memorise. Train more epochs, or on "
            "fewer pictures per class, to see it happen.",
            plain=plain,
            regularised=regularised,
        )
    elif verdict == "closed":
        text = _(
            "Here the plain model's gap ({plain}) is wider than that of the model with augmentation "
            "and dropout ({regularised}): they closed part of it.",
            plain=plain,
            regularised=regularised,
        )
    else:
        text = _(
            "Here the gaps are {plain} (plain) and {regularised} (augmentation + dropout). "
            "With a small validation set a few pictures move these numbers a lot; more data and more "
            "epochs make the comparison clearer.",
            plain=plain,
            regularised=regularised,
        )
    best, epochs = gaps["plain"].lowest_val_loss_epoch, len(histories["plain"]["val_loss"])
    if best < epochs:
        text += " " + _(
            "The plain model's validation loss was lowest after epoch {best} and rose afterwards: "
            "from there on, each epoch memorised more than it learned.",
            best=best,
        )
    return text


def build_arguments(data, recipe: str) -> dict:
    """``build_convnet`` arguments of the recipe's model on this data (``build_cats_dogs_convnet``'s)."""
    return {
        "input_shape": data.input_shape,
        "num_classes": data.num_classes,
        "filters": (32, 64, 128, 128),
        "pool_last": True,
        "dropout": RECIPES[recipe]["dropout"],
        "dense_units": 512,
    }


def build_runs(data, epochs: int, batch_size: int, learning_rate: float) -> dict:
    """The two runs, same data, same seed and settings; only dropout and augmentation differ."""
    count = state.next_count("lab")
    settings = TrainingSettings(epochs, batch_size, "adam", learning_rate)
    validation = (data.x_val, data.y_val)
    runs = {}
    for recipe, style in RECIPES.items():
        runs[recipe] = TrainingRun(
            functools.partial(
                build_cats_dogs_convnet,
                dropout=style["dropout"],
                input_shape=data.input_shape,
                num_classes=data.num_classes,
            ),
            (data.x_train, data.y_train),
            validation,
            validation,
            class_names=data.class_names,
            settings=settings,
            augmentation=style["augmentation"],
            seed=count,
            watch=epochs_ui.cat_watch(data.input_shape),
            name=_(
                "Lab {count}: {recipe} ({classes})",
                count=count,
                recipe=_(LOWER_TITLES[recipe]),
                classes="/".join(data.class_names),
            ),
        )
    return runs


def start_lab(epochs: int, batch_size: int, learning_rate: float) -> None:
    """The button's callback: queue both runs; the server runs one visitor's trainings one at a time.

    It runs before the page reruns, so that rerun already shows the runs and a disabled button. It
    takes the data loaded now, not the page's: the memory budget may have released it since.
    """
    if active():
        return
    data = state.folder_data()
    if data is None:
        st.session_state.setdefault(MESSAGES_KEY, []).append(("error", _(NOTICE, kind=_(state.FOLDER_DATA_KIND))))
        return
    for recipe, run in build_runs(data, epochs, batch_size, learning_rate).items():
        training_ui.submit(run_key(recipe), lambda run=run: run)
        refusal = st.session_state.pop(f"{run_key(recipe)}_refused", None)
        if refusal:
            st.session_state.setdefault(MESSAGES_KEY, []).append(("error", refusal))
            stop_all()
            return


def stop_all() -> None:
    for recipe in RECIPES:
        if _queued(recipe):
            training_ui.cancel(run_key(recipe))
        else:
            _stop(recipe)


def _stop(recipe: str) -> None:
    run = st.session_state.get(run_key(recipe))
    if run is not None:
        run.stop()


def _queued(recipe: str) -> bool:
    place = training_ui.queue_place(run_key(recipe))
    return place is not None and place.state == "queued"


def draw(epochs: int) -> None:
    runs = lab_runs()
    for recipe, run in runs.items():
        snapshot = run.snapshot()
        place = training_ui.queue_place(run_key(recipe))
        if place is not None and place.state == "queued":
            wait = training_ui.format_duration(place.wait_s)
            st.progress(0.0, text=_("{run}: waiting to start, in about {wait}", run=title(recipe), wait=wait))
        elif run.done:
            st.progress(
                snapshot.fraction,
                text=_("{run}: {progress}", run=title(recipe), progress=training_ui.ended_text(snapshot)),
            )
        else:
            st.progress(
                snapshot.fraction,
                text=_("{run}: {progress}", run=title(recipe), progress=training_ui.progress_text(snapshot)),
            )
    snapshots = {recipe: run.snapshot() for recipe, run in runs.items()}
    histories = {recipe: snapshot.history for recipe, snapshot in snapshots.items()}
    styles = {recipe: {**style, "title": title(recipe)} for recipe, style in RECIPES.items()}
    labelled_chart(
        comparison_figure(histories, epochs, styles, language=language()),
        "lab_chart",
        [training_ui.history_table(snapshot.epoch_points, title(recipe)) for recipe, snapshot in snapshots.items()],
        width="stretch",
    )


@st.fragment(run_every=POLL_S)
def live(epochs: int) -> None:
    if not active():
        st.rerun()  # Once, so the page shows the results and polling stops.
    st.button(_("Stop both"), on_click=stop_all, key="lab_stop")
    draw(epochs)


# The settings are this visitor's own runs: kept for the session (not in the URL) when they leave.
kept_settings.session_settings("lab_epochs", "lab_batch", "lab_lr")
st.title(_("Overfitting lab"))
st.markdown(
    _(
        "The seed trains the same convnet twice on the same 2,000 pictures (Adam, learning rate 0.001): "
        "plain for 30 epochs, then with augmentation and dropout for 100. Plain, its training accuracy "
        "races towards 100% while validation accuracy stalls: it **overfits**, memorising these pictures "
        "instead of learning what makes a cat. The note shows the curves but gives no final figures; the "
        "book it follows (François Chollet, *Deep Learning with Python*) reports about 70% validation "
        "accuracy for the plain model and 82-84% with augmentation and dropout (trained there with RMSprop). "
        "Run both here on the same data, with the same seed and settings, and compare the curves."
    )
)

data = state.folder_data()
state.forget_after_run(globals(), "data")  # the buttons' callbacks outlive this run; they fetch the data again
if data is None:
    st.info(
        _(
            "First load a data set (cats and dogs, or your own zip of class folders) on the "
            "**Train on image folders** page; this lab trains on the same data."
        )
    )
    try:
        st.page_link("pages/folder_training.py", label=_("Train on image folders"), icon="🗂️")
    except StreamlitAPIException:  # The page runs alone, outside app.py's navigation: nothing to link to.
        pass
    st.stop()

st.caption(
    _(
        "Data: **{source}**, {train} training and {val} validation images, {classes} classes.",
        source=data.describe(language()),
        train=number(len(data.y_train)),
        val=number(len(data.y_val)),
        classes=data.num_classes,
    )
)
left, right = st.columns(2)
with left:
    st.markdown(_("**Plain**: the seed's first model, no dropout, no augmentation."))
with right:
    st.markdown(_("**Augmentation + dropout**: `Dropout(0.5)` after Flatten, and the seed's training augmentation."))
    st.code(augment_code.datagen_code(augment.SEED_TRAINING), language="python", wrap_lines=True)
a, b, c = st.columns(3)
epochs = int(
    a.number_input(
        _("Epochs (each run)"),
        1,
        MAX_EPOCHS,
        15,
        key="lab_epochs",
        help=_("1 to {maximum}. The gap opens after a few epochs; the seed trains 30 and 100.", maximum=MAX_EPOCHS),
    )
)
batch_size = int(b.select_slider(_("Batch size"), [8, 16, 20, 32, 64], value=20, key="lab_batch"))
learning_rate = float(
    c.select_slider(
        _("Learning rate (Adam)"), [1e-4, 3e-4, 1e-3], value=1e-3, key="lab_lr", format_func=lambda v: f"{v:g}"
    )
)
# The number box holds only 1 to MAX_EPOCHS (its help says so), so these settings are in range.
lab_settings = TrainingSettings(epochs, batch_size, "adam", learning_rate)
with st.expander(_("The two models' Keras code, with these settings")):
    tabs = st.tabs([title(recipe) for recipe in RECIPES])
    for tab, recipe in zip(tabs, RECIPES):
        with tab:
            st.code(training_ui.listing_for(build_arguments(data, recipe), lab_settings), language="python")
with st.expander(_("The note's two models, as the note trains them")):
    st.markdown(
        _(
            "The note's cats-vs-dogs convnet on 150x150 colour pictures, compiled with Adam at a learning "
            "rate of 0.001 and fed batches of 20: plain for 30 epochs, then with `Dropout(0.5)` (and the "
            "augmentation above) for 100."
        )
    )
    for key, heading in NOTE_LISTINGS.items():
        st.markdown(f"**{_(heading)}**")
        st.code(keras_code(**NOTE_MODELS[key]), language="python")
try:
    st.caption(
        _(
            "The two trainings run one after the other: the server runs at most {slots} trainings at once "
            "for all visitors together, and one at a time for each visitor.",
            slots=max_trainings(),
        )
    )
except ValueError as exc:  # A bad CNN_LAB_MAX_TRAININGS: the start button says so too.
    st.error(error_text(exc))

st.button(
    _("Start both runs"),
    type="primary",
    disabled=active(),
    on_click=start_lab,
    args=(epochs, batch_size, learning_rate),
)
for kind, text in st.session_state.pop(MESSAGES_KEY, []):
    if kind == "error":
        st.error(text)
    else:
        st.info(text)

if lab_runs():
    lab_epochs = max(run.settings.epochs for run in lab_runs().values())
    if active():
        live(lab_epochs)
    else:
        draw(lab_epochs)
        histories = {recipe: run.result.history for recipe, run in lab_runs().items() if run.result is not None}
        for recipe, run in lab_runs().items():
            if run.error:
                st.error(_("{run} failed: {error}", run=title(recipe), error=training_ui.failure_text(run)))
            elif run.result is not None:
                training_ui.register_model(run, "folder")
        watched = {recipe: run for recipe, run in lab_runs().items() if run.snapshots}
        if watched:
            with st.expander(_("Watch them learn: the kernels and the cat's feature maps, epoch by epoch")):
                recipe = st.radio(
                    _("Run"),
                    list(watched),
                    format_func={recipe: title(recipe) for recipe in watched}.get,
                    horizontal=True,
                    key="lab_epochs_run",
                )
                run = watched[recipe]
                epochs_ui.scrubber(run.snapshots, run.watch.probes, f"lab_epochs_{recipe}", [_("the note's cat")])
        rows = gap_table(histories)
        if rows:
            st.subheader(_("What the gap means"))
            st.dataframe(rows, hide_index=True)
            st.markdown(
                _(
                    "The **gap** between training and validation accuracy measures overfitting: how much of "
                    "what a model learned holds only for the pictures it trained on. Left alone, a model with "
                    "3.4 million weights and 2,000 pictures can memorise them: its training accuracy heads "
                    "for 100% while its validation loss turns upward. Augmentation never shows the same "
                    "picture twice, and dropout keeps units from relying on one another, so the second model's "
                    "training accuracy rises more slowly and stays close to its validation accuracy. In the "
                    "book the note follows (*Deep Learning with Python*): about 70% against 82-84% on "
                    "validation, after 30 and 100 epochs; the note itself gives no final figures."
                )
            )
            story = gap_story(histories)
            if story:
                st.info(story)
            st.caption(_("Both trained models are now on the Activation maps page of this session."))
