"""Charts of numbers: training curves, confusion matrices, class probabilities, maps and kernels.

Every function takes arrays (and its colours) and returns a plotly figure; none reads a page.
Words on a figure (titles, axes, legends, hover text) are in ``language``, English by default.
"""

from __future__ import annotations

import numpy as np

from cnn_core.i18n import N_, translate

TRAIN_COLORS = ("#1f77b4", "#ff7f0e")  # train, validation


def history_figure(snapshot, colors: tuple[str, str] = TRAIN_COLORS, language: str = "en"):
    """Loss and accuracy of a ``Snapshot`` side by side; train and validation share each chart's axes.

    Built from a plain layout rather than ``make_subplots``, which costs more than the rest of a
    poll put together.
    """
    import plotly.graph_objects as go

    train = np.array(snapshot.batch_points, dtype=float).reshape(-1, 3)  # (n, 3): position, loss, accuracy
    epochs = [(x, logs) for x, logs in snapshot.epoch_points if "val_loss" in logs]
    upper = max(1, snapshot.epochs)
    epoch = translate(N_("epoch"), language)
    figure = go.Figure(
        layout={
            "xaxis": {"domain": [0.0, 0.45], "title": {"text": epoch}, "range": [0, upper]},
            "xaxis2": {"domain": [0.55, 1.0], "title": {"text": epoch}, "range": [0, upper]},
            "yaxis": {"anchor": "x", "rangemode": "tozero"},
            "yaxis2": {"anchor": "x2", "range": [0, 1.0]},
            "annotations": [
                {
                    "text": title,
                    "x": x,
                    "y": 1.0,
                    "xref": "paper",
                    "yref": "paper",
                    "xanchor": "center",
                    "yanchor": "bottom",
                    "showarrow": False,
                    "font": {"size": 15},
                }
                for title, x in (
                    (translate(N_("Loss"), language), 0.225),
                    (translate(N_("Accuracy"), language), 0.775),
                )
            ],
            "height": 340,
            "margin": {"t": 40, "b": 40, "l": 50, "r": 20},
            "legend": {"orientation": "h", "y": -0.25},
        }
    )
    for axis, (index, key) in enumerate(((1, "val_loss"), (2, "val_accuracy")), start=1):
        suffix = "" if axis == 1 else "2"
        figure.add_scatter(
            x=train[:, 0],
            y=train[:, index],
            mode="lines",
            name=translate(N_("train"), language),
            line={"color": colors[0]},
            legendgroup="train",
            showlegend=axis == 1,
            xaxis=f"x{suffix}",
            yaxis=f"y{suffix}",
        )
        figure.add_scatter(
            x=[x for x, _ in epochs],
            y=[logs[key] for _, logs in epochs],
            mode="lines+markers",
            name=translate(N_("validation"), language),
            line={"color": colors[1]},
            legendgroup="validation",
            showlegend=axis == 1,
            xaxis=f"x{suffix}",
            yaxis=f"y{suffix}",
        )
    return figure


def confusion_figure(confusion: np.ndarray, class_names: list[str], language: str = "en"):
    """A heat map of counts: rows are true classes, columns predicted ones."""
    import plotly.graph_objects as go

    figure = go.Figure(
        go.Heatmap(
            z=confusion,
            x=class_names,
            y=class_names,
            colorscale="Blues",
            text=confusion,
            texttemplate="%{text}",
            hovertemplate=translate(N_("true %{y}, predicted %{x}: %{z}"), language) + "<extra></extra>",
        )
    )
    figure.update_xaxes(title_text=translate(N_("predicted"), language), type="category")
    figure.update_yaxes(title_text=translate(N_("true"), language), type="category", autorange="reversed")
    figure.update_layout(height=420, margin={"t": 30, "b": 40, "l": 60, "r": 20})
    return figure


def comparison_figure(histories: dict, epochs: int, styles: dict, language: str = "en"):
    """Accuracy and loss per epoch of each run: training as dots, validation as lines (the seed's style).

    ``histories`` maps a run's key to its Keras-style history, ``styles`` the same key to
    {"title": legend name (already in ``language``), "color": line colour}.
    """
    from plotly.subplots import make_subplots

    titles = (translate(N_("Accuracy"), language), translate(N_("Loss"), language))
    figure = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.08)
    for recipe, history in histories.items():
        style = styles[recipe]
        for col, metric in enumerate(("accuracy", "loss"), start=1):
            for prefix, mode, kind in (("", "markers", "training"), ("val_", "lines+markers", "validation")):
                values = history.get(prefix + metric, [])
                figure.add_scatter(
                    x=list(range(1, len(values) + 1)),
                    y=values,
                    mode=mode,
                    name=translate(
                        N_("{run}, training") if kind == "training" else N_("{run}, validation"),
                        language,
                        run=style["title"],
                    ),
                    legendgroup=f"{recipe}{kind}",
                    showlegend=col == 1,
                    row=1,
                    col=col,
                    marker={"color": style["color"], "size": 7, "symbol": "circle" if kind == "training" else "x"},
                    line={"color": style["color"], "dash": "solid"},
                )
    figure.update_xaxes(
        title_text=translate(N_("epoch"), language),
        range=[0.5, max(epochs, 1) + 0.5],
        tickmode="linear",
        tick0=1,
        dtick=max(1, epochs // 10),
    )
    figure.update_yaxes(range=[0, 1.02], row=1, col=1)
    figure.update_yaxes(rangemode="tozero", row=1, col=2)
    figure.update_layout(
        height=380, margin={"t": 40, "b": 40, "l": 50, "r": 20}, legend={"orientation": "h", "y": -0.2}
    )
    return figure


def probability_figure(probabilities: np.ndarray, title: str | None = None, language: str = "en"):
    """A plotly bar chart of the ten class probabilities, the most likely digit highlighted.

    ``title`` is shown as given; without one the chart is titled "What the model thinks" in ``language``.
    """
    import plotly.graph_objects as go

    probabilities = np.asarray(probabilities, dtype=float).reshape(-1)
    best = int(np.argmax(probabilities))
    colors = ["#e4572e" if i == best else "#7f8c9a" for i in range(len(probabilities))]
    figure = go.Figure(
        go.Bar(
            x=[str(i) for i in range(len(probabilities))],
            y=probabilities,
            marker_color=colors,
            text=[f"{p:.0%}" for p in probabilities],
            textposition="outside",
        )
    )
    figure.update_layout(
        title=translate(N_("What the model thinks"), language) if title is None else title,
        xaxis_title=translate(N_("digit"), language),
        yaxis_title=translate(N_("probability"), language),
        yaxis_range=[0, 1.15],
        height=300,
        margin=dict(l=10, r=10, t=40, b=10),
    )
    # Every digit gets its tick: a narrow column would otherwise let plotly label only every other one.
    figure.update_xaxes(type="category", tickmode="array", tickvals=figure.data[0].x, ticktext=figure.data[0].x)
    return figure


def channel_figure(channel: np.ndarray, title: str, language: str = "en"):
    """One feature map as a heatmap with hover values and a colour bar of its real range."""
    import plotly.graph_objects as go

    channel = np.asarray(channel, dtype=np.float32)
    figure = go.Figure(
        go.Heatmap(
            z=channel,
            colorscale="Viridis",
            hovertemplate=translate(N_("row %{y}, col %{x}: %{z:.4f}"), language) + "<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    figure.update_xaxes(constrain="domain")
    figure.update_layout(title=title, height=420, margin=dict(l=10, r=10, t=40, b=10))
    return figure


def kernels_figure(kernel: np.ndarray, columns: int = 8, language: str = "en"):
    """The first conv layer's kernels (kh, kw, C, F) as F small pictures.

    One input channel: weights on a red-blue scale centred on 0, with hover values. Three input
    channels: RGB pictures, all kernels min-max scaled together so their colours compare.
    """
    import plotly.express as px

    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 4:
        raise ValueError(f"kernel must be (kh, kw, C, F), got shape {kernel.shape}")
    filters = kernel.shape[-1]
    columns = max(1, min(columns, filters))
    if kernel.shape[2] == 3:
        low, high = float(kernel.min()), float(kernel.max())
        scaled = (kernel - low) / (high - low) if high > low else np.full_like(kernel, 0.5)
        pictures = np.rint(np.moveaxis(scaled, -1, 0) * 255).astype(np.uint8)  # (F, kh, kw, 3)
        figure = px.imshow(
            pictures, facet_col=0, facet_col_wrap=columns, facet_row_spacing=0.02, facet_col_spacing=0.01
        )
    else:
        pictures = np.moveaxis(kernel.mean(axis=2), -1, 0)  # (F, kh, kw)
        limit = float(np.abs(pictures).max()) or 1.0
        figure = px.imshow(
            pictures,
            facet_col=0,
            facet_col_wrap=columns,
            zmin=-limit,
            zmax=limit,
            color_continuous_scale="RdBu_r",
            facet_row_spacing=0.02,
            facet_col_spacing=0.01,
        )
    figure.for_each_annotation(
        lambda a: a.update(text=translate(N_("filter {index}"), language, index=int(a.text.split("=")[-1])))
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    rows = -(-filters // columns)
    figure.update_layout(height=110 * rows + 60, margin=dict(l=10, r=10, t=30, b=10))
    return figure


def kernel_change_figure(
    changes: np.ndarray, title: str = "", axis_titles: tuple[str, str] | None = None, language: str = "en"
):
    """How far each filter's kernel moved since epoch 0 (L2 norm of the weight change), one bar per filter.

    ``title`` and ``axis_titles`` are shown as given; the axes default to "filter" and "change" in ``language``.
    """
    if axis_titles is None:
        axis_titles = (translate(N_("filter"), language), translate(N_("change"), language))
    import plotly.graph_objects as go

    changes = np.asarray(changes, dtype=float).reshape(-1)
    figure = go.Figure(
        go.Bar(
            x=list(range(len(changes))),
            y=changes,
            marker_color="#4b6cb7",
            hovertemplate="%{x}: %{y:.3f}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        xaxis_title=axis_titles[0],
        yaxis_title=axis_titles[1],
        height=240,
        margin=dict(l=10, r=10, t=40 if title else 10, b=10),
    )
    return figure
