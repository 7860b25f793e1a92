"""Overfitting lab: the seed's two cats-vs-dogs trainings on the same data, plain and with
augmentation + dropout, their accuracy and loss curves overlaid like the seed's figures."""

import functools

import numpy as np
import streamlit as st

from cnn_core import augment, folders, models, training
from pages import common, training_ui

common.run_inside_app()

DATA_KEY = "folder_data"  # Loaded on the "Train on image folders" page (pages/folder_training.py).
PENDING_KEY = "lab_pending"  # Runs built but not started yet: they wait for a training slot.
MODE_KEY = "lab_mode"
POLL_S = 0.5
RECIPES = {
    "plain": {"title": "Plain", "dropout": 0.0, "augmentation": None, "color": "#d62728"},
    "regularised": {"title": "Augmentation + dropout", "dropout": 0.5, "augmentation": augment.SEED_TRAINING,
                    "color": "#1f77b4"},
}
MODES = {"sequential": "One after the other (one training slot)", "together": "Both at once (two slots)"}


def run_key(recipe: str) -> str:
    return f"lab_run_{recipe}"


def lab_runs() -> dict:
    """recipe -> the run (started or pending) of this session's latest lab."""
    runs = {recipe: st.session_state.get(run_key(recipe)) for recipe in RECIPES}
    runs.update(st.session_state.get(PENDING_KEY, {}))
    return {recipe: run for recipe, run in runs.items() if run is not None}


def active() -> bool:
    return bool(st.session_state.get(PENDING_KEY)) or any(
        training_ui.is_running(run_key(recipe)) for recipe in RECIPES)


def comparison_figure(histories: dict, epochs: int):
    """Accuracy and loss per epoch of each run: training as dots, validation as lines (the seed's style)."""
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, subplot_titles=("Accuracy", "Loss"), horizontal_spacing=0.08)
    for recipe, history in histories.items():
        style = RECIPES[recipe]
        for col, metric in enumerate(("accuracy", "loss"), start=1):
            for prefix, mode, kind in (("", "markers", "training"), ("val_", "lines+markers", "validation")):
                values = history.get(prefix + metric, [])
                figure.add_scatter(
                    x=list(range(1, len(values) + 1)), y=values, mode=mode, name=f"{style['title']}, {kind}",
                    legendgroup=f"{recipe}{kind}", showlegend=col == 1, row=1, col=col,
                    marker={"color": style["color"], "size": 7, "symbol": "circle" if kind == "training" else "x"},
                    line={"color": style["color"], "dash": "solid"},
                )
    figure.update_xaxes(title_text="epoch", range=[0.5, max(epochs, 1) + 0.5], tickmode="linear", tick0=1,
                        dtick=max(1, epochs // 10))
    figure.update_yaxes(range=[0, 1.02], row=1, col=1)
    figure.update_yaxes(rangemode="tozero", row=1, col=2)
    figure.update_layout(height=380, margin={"t": 40, "b": 40, "l": 50, "r": 20},
                         legend={"orientation": "h", "y": -0.2})
    return figure


def gap_table(histories: dict) -> list[dict]:
    """Per run: final training and validation accuracy, their gap, and where validation loss bottomed out."""
    rows = []
    for recipe, history in histories.items():
        if not history.get("val_accuracy"):
            continue
        train_acc, val_acc = history["accuracy"][-1], history["val_accuracy"][-1]
        best = int(np.argmin(history["val_loss"])) + 1
        rows.append({"run": RECIPES[recipe]["title"], "training accuracy": f"{train_acc:.1%}",
                     "validation accuracy": f"{val_acc:.1%}", "gap": f"{train_acc - val_acc:+.1%}",
                     "best validation accuracy": f"{max(history['val_accuracy']):.1%}",
                     "lowest validation loss at epoch": best})
    return rows


def gap_story(histories: dict) -> str:
    """What this lab's own numbers show, in a sentence or three."""
    if not all(histories.get(recipe, {}).get("val_accuracy") for recipe in RECIPES):
        return ""
    gaps = {recipe: h["accuracy"][-1] - h["val_accuracy"][-1] for recipe, h in histories.items()}
    plain, regularised = gaps["plain"], gaps["regularised"]
    if plain < 0.05 and regularised < 0.05:
        text = (f"Here neither run has opened a gap yet (plain {plain:+.1%}, augmentation + dropout "
                f"{regularised:+.1%}): the plain model has not started to memorise. Train more epochs, or on "
                "fewer pictures per class, to see it happen.")
    elif plain > regularised + 0.05:
        text = (f"Here the plain model's gap ({plain:+.1%}) is wider than that of the model with augmentation "
                f"and dropout ({regularised:+.1%}): they closed part of it.")
    else:
        text = (f"Here the gaps are {plain:+.1%} (plain) and {regularised:+.1%} (augmentation + dropout). "
                "With a small validation set a few pictures move these numbers a lot; more data and more "
                "epochs make the comparison clearer.")
    val_loss = histories["plain"]["val_loss"]
    best = int(np.argmin(val_loss))
    if best < len(val_loss) - 1:
        text += (f" The plain model's validation loss was lowest after epoch {best + 1} and rose afterwards: "
                 "from there on, each epoch memorised more than it learned.")
    return text


def build_runs(data: folders.ImageFolderData, epochs: int, batch_size: int, learning_rate: float) -> dict:
    """The two runs, same data, same seed and settings; only dropout and augmentation differ."""
    count = st.session_state.get("lab_count", 0) + 1
    st.session_state["lab_count"] = count
    runs = {}
    for recipe, style in RECIPES.items():
        runs[recipe] = folders.FolderTrainingRun(
            functools.partial(models.build_cats_dogs_convnet, dropout=style["dropout"],
                              input_shape=data.input_shape, num_classes=data.num_classes),
            data, augmentation=style["augmentation"], epochs=epochs, batch_size=batch_size,
            learning_rate=learning_rate, seed=count,
            name=f"Lab {count}: {style['title'].lower()} ({'/'.join(data.class_names)})",
        )
    return runs


def start_pending() -> str | None:
    """Start waiting runs when their turn has come and a slot is free; returns a note for the page."""
    pending = st.session_state.get(PENDING_KEY, {})
    note = None
    for recipe in list(pending):
        if st.session_state.get(MODE_KEY) == "sequential" and any(
                training_ui.is_running(run_key(other)) for other in RECIPES):
            return "The second run starts when the first one ends."
        try:
            pending[recipe].start()
        except training.TrainingBusyError:
            return "Waiting for a free training slot: other visitors' trainings are running."
        st.session_state[run_key(recipe)] = pending.pop(recipe)
    return note


def start_lab(data, epochs: int, batch_size: int, learning_rate: float, mode: str) -> None:
    """The button's callback: start the plain run now and queue the other (or start both).

    It runs before the page reruns, so that rerun already shows the runs and a disabled button.
    """
    if active():
        return
    runs = build_runs(data, epochs, batch_size, learning_rate)
    messages = st.session_state.setdefault("lab_messages", [])
    try:
        runs["plain"].start()
    except training.TrainingBusyError as exc:
        messages.append(("error", str(exc)))
        return
    st.session_state[run_key("plain")] = runs["plain"]
    st.session_state[run_key("regularised")] = None
    st.session_state[MODE_KEY] = mode
    st.session_state[PENDING_KEY] = {"regularised": runs["regularised"]}
    if mode == "together" and start_pending():
        messages.append(("info", "Only one training slot is free, so the second run waits for it."))


def stop_all() -> None:
    st.session_state[PENDING_KEY] = {}
    for run in lab_runs().values():
        run.stop()


def draw(epochs: int) -> None:
    note = start_pending()
    runs = lab_runs()
    for recipe, run in runs.items():
        snapshot = run.snapshot()
        if run is st.session_state.get(PENDING_KEY, {}).get(recipe):
            st.progress(0.0, text=f"{RECIPES[recipe]['title']}: waiting to start")
        elif run.done:
            st.progress(snapshot.fraction, text=f"{RECIPES[recipe]['title']}: {snapshot.status} after "
                        f"{training_ui.format_duration(snapshot.elapsed_s)}")
        else:
            st.progress(snapshot.fraction, text=f"{RECIPES[recipe]['title']}: {training_ui.progress_text(snapshot)}")
    if note:
        st.caption(note)
    histories = {recipe: run.snapshot().history for recipe, run in runs.items()}
    st.plotly_chart(comparison_figure(histories, epochs), key="lab_chart", width="stretch")


@st.fragment(run_every=POLL_S)
def live(epochs: int) -> None:
    if not active():
        st.rerun()  # Once, so the page shows the results and polling stops.
    st.button("Stop both", on_click=stop_all, key="lab_stop")
    draw(epochs)


st.title("Overfitting lab")
st.markdown(
    "The seed trains the same convnet twice on the same 2,000 pictures. Plain, its training accuracy "
    "races towards 100% while validation accuracy stalls near 70%: it **overfits**, memorising these "
    "pictures instead of learning what makes a cat. With augmentation and dropout it reaches 82-84%. "
    "Run both here on the same data, with the same seed and settings, and compare the curves."
)

data = st.session_state.get(DATA_KEY)
if data is None:
    st.info("First load a data set (cats and dogs, or your own zip of class folders) on the "
            "**Train on image folders** page; this lab trains on the same data.")
    st.page_link("pages/folder_training.py", label="Train on image folders", icon="🗂️")
    st.stop()

st.caption(f"Data: **{data.source}**, {len(data.y_train):,} training and {len(data.y_val):,} validation images, "
           f"{data.num_classes} classes.")
left, right = st.columns(2)
with left:
    st.markdown("**Plain**: the seed's first model, no dropout, no augmentation.")
with right:
    st.markdown("**Augmentation + dropout**: `Dropout(0.5)` after Flatten, and the seed's training augmentation.")
    st.code(augment.datagen_code(augment.SEED_TRAINING), language="python", wrap_lines=True)
a, b, c = st.columns(3)
epochs = int(a.number_input("Epochs (each run)", 1, training.MAX_EPOCHS, 15, key="lab_epochs",
                            help="The gap opens after a few epochs; the seed trains 30 and 100."))
batch_size = int(b.select_slider("Batch size", [8, 16, 20, 32, 64], value=20, key="lab_batch"))
learning_rate = float(c.select_slider("Learning rate (Adam)", [1e-4, 3e-4, 1e-3], value=1e-3, key="lab_lr",
                                      format_func=lambda v: f"{v:g}"))
mode = st.radio("Run the two trainings", list(MODES), format_func=MODES.get, horizontal=True, key="lab_mode_choice",
                help=f"The server runs at most {training.max_trainings()} trainings at once, for all visitors together.")

st.button("Start both runs", type="primary", disabled=active(), on_click=start_lab,
          args=(data, epochs, batch_size, learning_rate, mode))
for kind, text in st.session_state.pop("lab_messages", []):
    if kind == "error":
        st.error(text)
    else:
        st.info(text)

if lab_runs():
    lab_epochs = max(run.settings["epochs"] for run in lab_runs().values())
    if active():
        live(lab_epochs)
    else:
        draw(lab_epochs)
        histories = {recipe: run.result.history for recipe, run in lab_runs().items() if run.result is not None}
        for recipe, run in lab_runs().items():
            if run.error:
                st.error(f"{RECIPES[recipe]['title']} failed: {run.error}")
            elif run.result is not None:
                training_ui.register_model(run, "folder", list(data.class_names))
        rows = gap_table(histories)
        if rows:
            st.subheader("What the gap means")
            st.dataframe(rows, hide_index=True)
            st.markdown(
                "The **gap** between training and validation accuracy measures overfitting: how much of "
                "what a model learned holds only for the pictures it trained on. Left alone, a model with "
                "3.4 million weights and 2,000 pictures can memorise them: its training accuracy heads "
                "for 100% while its validation loss turns upward. Augmentation never shows the same "
                "picture twice, and dropout keeps units from relying on one another, so the second model's "
                "training accuracy rises more slowly and stays close to its validation accuracy. In the "
                "seed: about 70% against 82-84% on validation, after 30 and 100 epochs."
            )
            story = gap_story(histories)
            if story:
                st.info(story)
            st.caption("Both trained models are now on the Activation maps page of this session.")
