"""A concept figure with its text twin: the chart, then its numbers in an expander for screen readers."""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import streamlit as st

from cnn_core.figures.style import TEXT_CELLS_MAX
from cnn_core.ops.formulas import format_value
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
    with st.expander(_("The numbers in this figure")):
        for i, (title, values) in enumerate(tables):
            _twin(title, np.asarray(values, dtype=float), f"{key}_twin_{i}")


def _twin(title: str, values: np.ndarray, key: str) -> None:
    height, width = values.shape
    if values.size <= TEXT_CELLS_MAX:
        st.markdown(_("**{title}** ({height}×{width}):", title=title, height=height, width=width))
        st.markdown(_table(values))
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


def _table(values: np.ndarray) -> str:
    """A markdown table of a (H, W) array: a header of column numbers, each row led by its number."""
    lines = ["| | " + " | ".join(str(c) for c in range(values.shape[1])) + " |", "|---" * (values.shape[1] + 1) + "|"]
    lines += [
        f"| **{r}** | " + " | ".join(format_value(v) for v in row) + " |" for r, row in enumerate(values.tolist())
    ]
    return "\n".join(lines)


def _csv(values: np.ndarray) -> str:
    return "\n".join(",".join(format_value(v, 6) for v in row) for row in values.tolist())
