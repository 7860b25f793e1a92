"""The figures' shared look: colours, font, plot width and when cells get their numbers written in."""

from __future__ import annotations

TEXT_CELLS_MAX = 400
TEXT_SIDE_MAX = 18
PLOT_WIDTH = 700  # The width a figure is laid out for (a centred Streamlit page); heights follow it.
BACKGROUND = "#f4f4f4"
PAD_COLOR = "#bcd7f2"
WINDOW_COLOR = "#e4572e"
CELL_COLOR = "#ffb000"
UNVISITED_COLOR = "#d62728"
OUTLINE_COLOR = "#1f4e79"
FONT = dict(family="Source Sans Pro, sans-serif", size=13, color="#31333f")
