"""Settings that follow the learner: kept for the session when a page is left, and written to its URL.

Streamlit forgets a widget's value once a run does not draw it (the visitor went to another page),
and a data editor or file uploader cannot be set through ``st.session_state`` at all. A page's
settings should survive a visit elsewhere, and a teacher's link should open the same setup for
anyone. So every setting a page keeps goes through this module, one mechanism for all of them:

1. ``begin(page)`` at the top of the page notes the URL's query and reserves a spot for a notice.
2. ``slider`` / ``number_input`` / ``radio`` / ``selectbox`` / ``checkbox`` wrap Streamlit's widget
   (with ``where=None`` they are not drawn, and give the value they would hold: for a closed tab).
   Before a widget is drawn, a value it does not hold yet (the page was just opened) is seeded
   into ``st.session_state``: from the URL on the run that opened the page, when the URL's value is
   valid, else from the session's kept copy, else the widget starts at its default.
3. After it is drawn, its value is kept (``KEPT``, re-stored at every run) and written to the URL,
   or removed from the URL when it is the default, so the address bar always opens this setup.
4. ``grid_cells`` / ``keep_grid`` do the same for cells typed into a data editor: the kept (or
   linked) cells are the editor's data when it is drawn again.
5. A URL value that cannot be read (an unknown or mistyped name, a wrong type, out of range, too
   long) is dropped: the setting opens at its default and the notice says which ones, once.
6. ``share_link()`` at the end of the page shows the page's link with these settings.
7. ``preset(**values)`` makes the query of a link that opens a page with chosen settings (the
   lesson's links): ``LINKABLE`` names each setting a link may preset and the values its widget
   takes, and a value it does not allow is refused here, so such a link never opens with the notice.

URL values are the widgets' stable English values (option keys, not their translated labels), so a
link made in Korean opens the same setup in English and the other way round.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import NamedTuple
from urllib.parse import urlencode

import streamlit as st

from cnn_core.ops.kernels import KERNEL_SIZES, PRESETS, GridError, format_number, parse_cell, parse_grid
from cnn_core.vision.transforms import FILL_MODES
from ui import lazy
from ui.i18n import _, ngettext

KEPT = "kept_settings"  # session_state: setting key -> its last value (cells for grids), all pages
RUN = "settings_run"  # session_state: what this module notes during one run of one page
RESERVED = frozenset({"lang"})  # URL names other modules own (ui.i18n's language)
MAX_SCALAR_CHARS = 40  # "cross (textbook)" is the longest option; a number needs far less
MAX_GRID_CHARS = 2_000  # 12 x 12 cells of up to 12 characters, with separators
MAX_SHOWN_CHARS = 40  # a bad name or value is quoted in the notice up to this length
MAX_NAMED = 5  # the notice names this many bad entries and counts the rest
NUMBER = re.compile(r"-?\d{1,9}(\.\d{1,9})?")


def _kept() -> dict:
    return st.session_state.setdefault(KEPT, {})


def _run() -> dict:
    return st.session_state.setdefault(RUN, {"page": None, "claimed": set(), "problems": [], "opening": False})


def begin(page: str) -> None:
    """Start a run of ``page``: note whether it was just opened, and reserve the notice's place."""
    run = _run()
    opening = run["page"] != page
    st.session_state[RUN] = {
        "page": page,
        "claimed": set(),
        "problems": [],
        "opening": opening,
        "notice": st.empty(),
    }


def _opening() -> bool:
    return _run().get("opening", False)


def _problem(name: str, value) -> None:
    """Note a URL entry that could not be used and show the notice (again) with the ones so far."""
    run = _run()
    run["problems"].append(f"`{_shown(name)}={_shown(value)}`" if value else f"`{_shown(name)}`")
    if "notice" not in run:
        return
    entries, more = ", ".join(run["problems"][:MAX_NAMED]), len(run["problems"]) - MAX_NAMED
    if more <= 0:
        text = _(
            "This link had settings that could not be read, so those start at their defaults: {entries}.",
            entries=entries,
        )
    else:
        text = ngettext(
            "This link had settings that could not be read, so those start at their defaults: {entries} and {n} more.",
            "This link had settings that could not be read, so those start at their defaults: {entries} and {n} more.",
            more,
            entries=entries,
        )
    run["notice"].info(text)


def _shown(text) -> str:
    """A URL name or value as the notice quotes it: short, and without backticks that end the quote."""
    text = str(text).replace("`", "'")
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "…"


def _seed(key: str, decode: Callable[[str], object]) -> None:
    """Give a widget that is not alive yet its linked or kept value (step 2)."""
    _run()["claimed"].add(key)
    if key in st.session_state:
        return  # Drawn on the last run too: the widget holds the visitor's value.
    raw = st.query_params.get(key) if _opening() else None
    if raw is not None:
        try:
            st.session_state[key] = decode(raw)
            return
        except ValueError:
            _problem(key, raw)
            del st.query_params[key]
    if key in _kept():
        st.session_state[key] = _kept()[key]


def _keep(key: str, value, default, encode: Callable[[object], str]) -> None:
    """Keep ``value`` for the session and write it to the URL unless it is the default (step 3)."""
    _kept()[key] = value
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != encode(value):
        st.query_params[key] = encode(value)


def _kept_widget(key: str, default, make: Callable[[], object] | None, decode, encode=str):
    """Seed, draw (``make``) and keep a widget; with ``make`` None the value is only read (not drawn)."""
    _seed(key, decode)
    value = make() if make is not None else st.session_state.get(key, default)
    _keep(key, value, default, encode)
    return value


def _number_decoder(min_value, max_value, kind: type) -> Callable[[str], object]:
    def decode(raw: str):
        if not isinstance(raw, str) or not NUMBER.fullmatch(raw):
            raise ValueError(raw)
        value = kind(float(raw)) if kind is float else int(raw) if "." not in raw else None
        if value is None or not math.isfinite(value) or not min_value <= value <= max_value:
            raise ValueError(raw)
        return value

    return decode


def _encode_number(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:.6g}"


def _option_decoder(options: Sequence) -> Callable[[str], object]:
    by_text = {str(option): option for option in options}

    def decode(raw: str):
        if not isinstance(raw, str) or len(raw) > MAX_SCALAR_CHARS or raw not in by_text:
            raise ValueError(raw)
        return by_text[raw]

    return decode


def slider(label: str, min_value, max_value, value, *, key: str, where=st, **kwargs):
    """``where.slider`` whose value is kept for the session and bound to the URL under ``key``."""
    decode = _number_decoder(min_value, max_value, type(value))
    make = None if where is None else lambda: where.slider(label, min_value, max_value, value, key=key, **kwargs)
    return _kept_widget(key, value, make, decode, _encode_number)


def number_input(label: str, min_value, max_value, value, *, key: str, where=st, **kwargs):
    """``where.number_input`` whose value is kept for the session and bound to the URL under ``key``."""
    decode = _number_decoder(min_value, max_value, type(value))
    make = None if where is None else lambda: where.number_input(label, min_value, max_value, value, key=key, **kwargs)
    return _kept_widget(key, value, make, decode, _encode_number)


def radio(label: str, options: Sequence, *, key: str, index: int = 0, where=st, **kwargs):
    """``where.radio`` whose option is kept for the session and bound to the URL (as ``str(option)``)."""
    options = tuple(options)
    make = None if where is None else lambda: where.radio(label, options, index=index, key=key, **kwargs)
    return _kept_widget(key, options[index], make, _option_decoder(options))


def selectbox(label: str, options: Sequence, *, key: str, index: int = 0, where=st, **kwargs):
    """``where.selectbox`` whose option is kept for the session and bound to the URL (as ``str(option)``)."""
    options = tuple(options)
    make = None if where is None else lambda: where.selectbox(label, options, index=index, key=key, **kwargs)
    return _kept_widget(key, options[index], make, _option_decoder(options))


def checkbox(label: str, *, key: str, value: bool = False, where=st, **kwargs) -> bool:
    """``where.checkbox`` whose state is kept for the session and bound to the URL ("1" or "0")."""
    make = None if where is None else lambda: where.checkbox(label, value=value, key=key, **kwargs)
    decode = _option_decoder((False, True))
    texts = {"0": "False", "1": "True"}
    return _kept_widget(key, value, make, lambda raw: decode(texts.get(raw, raw)), lambda v: "1" if v else "0")


def session_settings(*keys: str) -> None:
    """Keep the widgets under ``keys`` for the session only, not in the URL: call it at the top of a
    page, before they are drawn (the training pages, whose settings are a visitor's own run).

    At the start of a run Streamlit still holds the values of the widgets the last run drew, the
    change that caused this run included; those are kept. A widget it no longer holds (the visitor
    was on another page) is given its kept value before it is drawn. Only widgets whose value
    ``st.session_state`` may set belong here: not buttons, uploaders or data editors.
    """
    kept = _kept()
    for key in keys:
        if key in st.session_state:
            kept[key] = st.session_state[key]
        elif key in kept:
            st.session_state[key] = kept[key]


def keep_value(key: str, value) -> None:
    """Keep ``value`` for the session under ``key`` (None forgets it): for what no widget can be set
    to again, such as a decoded upload."""
    if value is None:
        _kept().pop(key, None)
    else:
        _kept()[key] = value


def kept_value(key: str):
    """The value kept under ``key``, or None."""
    return _kept().get(key)


# Grids: rows joined by ";", cells by ",". A cell holding a separator (the decimal comma of "0,5")
# goes to the URL as its number.
def _encode_grid(cells: list[list[str]]) -> str:
    def cell_text(cell) -> str:
        text = str(cell).strip()
        return format_number(parse_cell(text)) if "," in text or ";" in text else text

    return ";".join(",".join(cell_text(cell) for cell in row) for row in cells)


def _decode_grid(raw, shape: tuple[int, int]) -> list[list[str]]:
    if not isinstance(raw, str) or len(raw) > MAX_GRID_CHARS:
        raise ValueError(raw)
    cells = [row.split(",") for row in raw.split(";")]
    try:
        parse_grid(cells)
    except GridError as exc:
        raise ValueError(raw) from exc
    if (len(cells), len(cells[0])) != shape:
        raise ValueError(raw)
    return [[cell.strip() for cell in row] for row in cells]


def grid_cells(key: str, default: list[list[str]], link: str | None = None) -> list[list[str]]:
    """The cells a data editor under ``key`` is drawn with: the same as its last run while it is alive,
    else the linked cells (URL name ``link``, on the run that opened the page), else the kept ones."""
    kept = _kept().get(key)
    if link is not None:
        _run()["claimed"].add(link)
    if key in st.session_state and kept is not None:
        return kept["seed"]  # Alive: the editor's own edits apply to the data it was drawn with.
    seed = kept["cells"] if kept is not None else default
    raw = st.query_params.get(link) if link is not None and _opening() else None
    if raw is not None:
        try:
            seed = _decode_grid(raw, (len(default), len(default[0])))
        except ValueError:
            _problem(link, raw)
            del st.query_params[link]
    _kept()[key] = {"seed": seed, "cells": seed}
    return seed


def hidden_grid_cells(key: str, default: list[list[str]], link: str | None = None) -> list[list[str]]:
    """The cells of the data editor under ``key`` on a run that does not draw it (its tab is closed):
    the last ones typed, else as ``grid_cells`` seeds them. The link's entry stays claimed."""
    kept = _kept().get(key)
    if kept is None:
        return grid_cells(key, default, link)
    if link is not None:
        _run()["claimed"].add(link)
    return kept["cells"]


def keep_grid(key: str, cells: list[list[str]], default: list[list[str]], link: str | None = None) -> None:
    """Keep the cells typed into the editor under ``key``; write them to the URL if they differ from the default."""
    cells = [["" if cell is None else str(cell) for cell in row] for row in cells]  # None: a cleared cell.
    _kept()[key]["cells"] = cells
    if link is None:
        return
    if cells == default:
        if link in st.query_params:
            del st.query_params[link]
        return
    try:
        text = _encode_grid(cells)
    except ValueError:  # A cell that is not a number: its editor shows the error; the link keeps the last grid.
        return
    if st.query_params.get(link) != text:
        st.query_params[link] = text


def share_link() -> None:
    """End the page: drop URL entries no setting claimed (step 5), then show the page's link (step 6)."""
    run = _run()
    for name in list(st.query_params.keys()):
        if name in RESERVED or name in run["claimed"]:
            continue
        if run.get("opening"):
            _problem(name, st.query_params.get(name))
        del st.query_params[name]
    query = urlencode(st.query_params.to_dict())
    with (box := lazy.expander(_("🔗 Share this setup"), key=f"share_link_{run['page']}")):
        if not box.open:
            return
        base = st.context.url
        if base:
            st.markdown(_("This page's link with the settings above; copy it with the button at its right:"))
            st.code(f"{base}?{query}" if query else base, language=None, wrap_lines=True)
        else:
            st.markdown(_("Add this to the page's address to open it with the settings above:"))
            st.code(f"?{query}", language=None, wrap_lines=True)
        st.caption(
            _("The address bar always holds these settings too. Settings left at their defaults are not in the link.")
        )


# 7. Presets for links --------------------------------------------------------------------------
class Number(NamedTuple):
    """A slider's or number box's range; ``kind`` is the type of its value (int or float)."""

    min_value: float
    max_value: float
    kind: type = int

    def decode(self, raw: str):
        return _number_decoder(self.min_value, self.max_value, self.kind)(raw)

    def encode(self, value) -> str:
        if isinstance(value, bool) or not isinstance(value, int if self.kind is int else (int, float)):
            raise ValueError(value)
        return _checked(self, _encode_number(self.kind(value)), value)


class Choice(NamedTuple):
    """A radio's or select box's options, as the page passes them."""

    options: tuple

    def decode(self, raw: str):
        return _option_decoder(self.options)(raw)

    def encode(self, value) -> str:
        return _checked(self, str(value), value)


class Flag(NamedTuple):
    """A checkbox: "1" or "0"."""

    def decode(self, raw: str) -> bool:
        if raw not in ("0", "1"):
            raise ValueError(raw)
        return raw == "1"

    def encode(self, value) -> str:
        return _checked(self, "1" if value is True else "0" if value is False else "", value)


def _checked(spec, text: str, value) -> str:
    """``text`` if the widget reads it back as ``value``, else ``ValueError``."""
    if spec.decode(text) != value:
        raise ValueError(value)
    return text


PADDINGS = Choice(("valid", "same", "explicit p"))  # ui.concept.padding_picker's options
# Every setting a link may preset, with the values its widget takes (a test opens each page with
# each bound and option and checks that the widget holds it).
LINKABLE = {
    "conv_source": Choice(("grid", "mnist", "photo", "upload")),
    "conv_channels": Choice((1, 3)),
    "conv_rows": Number(2, 12),
    "conv_cols": Number(2, 12),
    "conv_ksize": Choice(KERNEL_SIZES),
    "conv_filters": Number(1, 4),
    **{f"conv_preset_{f}": Choice(PRESETS) for f in range(4)},
    **{f"conv_bias_{f}": Number(-10.0, 10.0, float) for f in range(4)},
    "conv_activation": Choice(("relu", "none")),
    "conv_strides": Number(1, 4),
    "conv_padding": PADDINGS,
    "pad_size": Number(2, 10),
    "pad_kernel": Number(1, 6),
    "pad_strides": Number(1, 3),
    "pad_padding": PADDINGS,
    "stride_size": Number(3, 12),
    "stride_kernel": Number(1, 5),
    "stride_strides": Number(1, 4),
    "stride_padding": PADDINGS,
    "pool_source": Choice(("grid", "mnist")),
    "pool_mode": Choice(("max", "average")),
    "pool_size": Number(1, 4),
    "pool_strides": Number(1, 4),
    "pool_padding": Choice(("valid", "same")),
    "aug_rotation": Number(0, 180),
    "aug_width_shift": Number(0.0, 0.5, float),
    "aug_height_shift": Number(0.0, 0.5, float),
    "aug_shear": Number(0.0, 45.0, float),
    "aug_zoom": Number(0.0, 0.9, float),
    "aug_hflip": Flag(),
    "aug_vflip": Flag(),
    "aug_fill": Choice(FILL_MODES),
}


def preset(**values) -> dict[str, str]:
    """The URL query that opens a page with ``values`` set, as its widgets write them.

    Raises ``ValueError`` for a name ``LINKABLE`` does not list or a value its widget does not take.

    >>> preset(stride_size=7, stride_strides=2, stride_padding="valid")
    {'stride_size': '7', 'stride_strides': '2', 'stride_padding': 'valid'}
    """
    query = {}
    for name, value in values.items():
        if name not in LINKABLE:
            raise ValueError(f"no linkable setting {name!r}; linkable: {', '.join(LINKABLE)}")
        try:
            query[name] = LINKABLE[name].encode(value)
        except ValueError:
            raise ValueError(f"{name}={value!r} is not a value its widget takes: {LINKABLE[name]}") from None
    return query


def leave() -> None:
    """Note that this run shows a page without settings (the lesson, whose links preset them), so the
    next settings page reads its URL again as on opening (step 2), even the one visited last."""
    _run()["page"] = None
