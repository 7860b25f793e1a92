"""A figure with its text twin: the chart, then its numbers in an expander for screen readers.

The twin's expander runs only while it is open (``ui.lazy``): its tables are made when a visitor
opens it, not at every run of the page.

``value_chart`` twins a map of values (rows and columns numbered as on the figure);
``labelled_chart`` and ``numbers_twin`` twin a chart of named rows and columns (epochs, classes,
filters) with a table headed by those names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import streamlit as st

from cnn_core.figures.style import TEXT_CELLS_MAX
from cnn_core.ops.formulas import format_value
from ui import lazy
from ui.i18n import _, number


def value_chart(figure, key: str, tables: Sequence[tuple[str, np.ndarray]] = (), alt: str | None = None) -> None:
    """``figure`` as a plotly chart named ``alt``, and each (title, (H, W) array) of ``tables`` as its twin.

    A map of up to ``TEXT_CELLS_MAX`` cells is listed as a table (rows and columns numbered as on
    the figure; a markdown table, which a screen reader reads as one and which costs far less per
    rerun than a dataframe); a larger one is summed up in a sentence, with its values as a CSV download that is
    only written when clicked.
    """
    st.plotly_chart(figure, theme=None, key=key, alt=alt)
    if not tables:
        return
    with (box := lazy.expander(_("The numbers in this figure"), key=f"{key}_numbers")):
        if box.open:
            for i, (title, values) in enumerate(tables):
                _twin(title, np.asarray(values, dtype=float), f"{key}_twin_{i}")


def values_twin(tables: Sequence[tuple[str, np.ndarray]], key: str, decimals: int = 2) -> None:
    """Only the twin of ``value_chart``, each value with ``decimals``: for a figure drawn another way (a picture, an overlay).

    The small tables go out as one markdown element (a page run's cost grows with its elements:
    the first layer's 32 kernels would be 64); a large map is summed up with its CSV as in ``value_chart``.
    """
    with (box := lazy.expander(_("The numbers in this figure"), key=f"{key}_numbers")):
        if not box.open:
            return
        small = []
        for i, (title, values) in enumerate(tables):
            values = np.asarray(values, dtype=float)
            if values.size <= TEXT_CELLS_MAX:
                heading = _(
                    "**{title}** ({height}×{width}):", title=title, height=values.shape[0], width=values.shape[1]
                )
                small.append(heading + "\n\n" + _table(values, decimals))
            else:
                _twin(title, values, f"{key}_twin_{i}", decimals)
        if small:
            st.markdown("\n\n".join(small))


Table = tuple[str, Sequence[str], Sequence[Sequence[str]]]  # (title, column names, rows of shown texts)


def labelled_chart(figure, key: str, tables: Sequence[Table], **chart_args) -> None:
    """``figure`` as a plotly chart, then ``tables`` (their cells already formatted) in its twin."""
    st.plotly_chart(figure, key=key, **chart_args)
    numbers_twin(tables, key)


def numbers_twin(tables: Sequence[Table] | Callable[[], Sequence[Table]], key: str) -> None:
    """The expander "The numbers in this figure" (``{key}_numbers``) with one markdown table per (title, header, rows).

    ``tables`` may be a function that makes them, called only when the expander is open; a
    sequence of tables without a row shows no expander.
    """
    if not callable(tables):
        tables = [table for table in tables if table[2]]
        if not tables:
            return
    with (box := lazy.expander(_("The numbers in this figure"), key=f"{key}_numbers")):
        if not box.open:
            return
        if callable(tables):
            tables = [table for table in tables() if table[2]]
        st.markdown(  # One markdown element for all of them.
            "\n\n".join(
                (f"**{title}**\n\n" if title else "") + labelled_table(header, rows) for title, header, rows in tables
            )
        )


def channel_table(maps: np.ndarray, title: str = "") -> Table:
    """A layer's maps ((H, W, C)) in numbers: each channel's lowest, highest and mean value, and how much is above 0.

    The twin of a grid of map pictures, where each map is scaled on its own and so its brightness
    says nothing about its values.
    """
    values = np.asarray(maps, dtype=np.float32).reshape(-1, np.shape(maps)[-1])
    low, high, mean, active = values.min(axis=0), values.max(axis=0), values.mean(axis=0), (values > 0).mean(axis=0)
    header = [_("channel"), _("lowest"), _("highest"), _("mean"), _("above 0")]
    # Plain formatting, not the language's number style: a deep layer has 128 rows of four numbers,
    # and Babel's formatting cost tens of milliseconds a run (both languages write 0.1234 and 56%).
    rows = [
        [str(c), f"{low[c]:.4f}", f"{high[c]:.4f}", f"{mean[c]:.4f}", f"{active[c]:.0%}"]
        for c in range(values.shape[1])
    ]
    return title, header, rows


def labelled_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A markdown table with named columns; ``|`` in a cell is escaped so it cannot split the row."""

    def cell(text) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(name) for name in header) + " |", "|---" * len(header) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _twin(title: str, values: np.ndarray, key: str, decimals: int = 2) -> None:
    height, width = values.shape
    if values.size <= TEXT_CELLS_MAX:
        st.markdown(_("**{title}** ({height}×{width}):", title=title, height=height, width=width))
        st.markdown(_table(values, decimals))
        return
    finite = values[np.isfinite(values)]
    st.markdown(
        _(
            "**{title}**: {height}×{width} values, too many to list here; from {low} to {high}, mean {mean}.",
            title=title,
            height=height,
            width=width,
            low=number(finite.min(), 3) if finite.size else "–",
            high=number(finite.max(), 3) if finite.size else "–",
            mean=number(finite.mean(), 3) if finite.size else "–",
        )
    )
    st.download_button(
        _("Download the values (CSV)"),
        data=functools.partial(_csv, values),
        file_name=f"{key}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
    )


def _table(values: np.ndarray, decimals: int = 2) -> str:
    """A markdown table of a (H, W) array: a header of column numbers, each row led by its number."""
    lines = ["| | " + " | ".join(str(c) for c in range(values.shape[1])) + " |", "|---" * (values.shape[1] + 1) + "|"]
    lines += [
        f"| **{r}** | " + " | ".join(format_value(v, decimals) for v in row) + " |"
        for r, row in enumerate(values.tolist())
    ]
    return "\n".join(lines)


def _csv(values: np.ndarray) -> str:
    return "\n".join(",".join(format_value(v, 6) for v in row) for row in values.tolist())
