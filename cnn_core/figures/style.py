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
# Signed values (kernels, products, feature maps) on ColorBrewer's PuOr, reversed so that negative is
# purple and positive orange. Red-blue (RdBu) keeps its two ends apart for most colour-blind
# viewers, but its red leans on the red-green axis that protanopes and deuteranopes lack; purple and
# orange differ along the blue-yellow axis, which all common forms keep, and both stay distinct in
# greyscale prints from the light neutral middle (zero).
DIVERGING = "PuOr_r"
LEVELS_CELLS_MIN = 2500  # Larger maps travel as 256 levels (1 byte a cell) instead of 8-byte floats.
FONT = dict(family="Source Sans Pro, sans-serif", size=13, color="#31333f")
