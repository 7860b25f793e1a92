"""What a rendered page shows a visitor, as text, and whether that text is English prose.

``visible_texts`` walks an AppTest's element tree and gathers every string a visitor reads:
headings, markdown, captions, alerts, widget labels, help, placeholders and options, tab and
expander labels, and the titles, axes, legends, annotations and hover text of plotly figures.
Code blocks are left out (Keras code stays Keras), and so is math (KaTeX holds no Hangul).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from google.protobuf.message import Message

TEXT_FIELDS = {"body", "label", "help", "placeholder", "options", "caption", "text", "title", "display_value"}
SKIPPED = {"Code", "Latex"}  # The texts of these are code and math, not prose.
PLOTLY_KEYS = {"text", "name", "hovertemplate", "title", "ticktext"}
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Words a Korean page keeps in English: names of libraries, layers, data sets and formats.
KEPT = {
    "relu",
    "mnist",
    "keras",
    "tensorflow",
    "conv2d",
    "maxpooling2d",
    "averagepooling2d",
    "dense",
    "flatten",
    "dropout",
    "softmax",
    "sigmoid",
    "adam",
    "rmsprop",
    "grad-cam",
    "csv",
    "png",
    "jpeg",
    "zip",
    "gif",
    "bmp",
    "webp",
    "tiff",
    "valid",
    "same",
    "padding",
    "strides",
    "kernel_size",
    "filters",
    "pool_size",
    "imagedatagenerator",
    "numpy",
    "tf",
    "nn",
    "cnn",
    "lab",
    "input",
    "bias",
    "max",
    "min",
    "rgb",
    "r",
    "g",
    "b",
    "x",
    "y",
    "epoch",
    "cnn_core",
    "streamlit",
    "url",
    "chelsea",
}
# Each part of the app may add names of its own, one per line, in kept_words/<domain>.txt.
KEPT |= {
    line.strip().lower()
    for path in (Path(__file__).parent / "kept_words").glob("*.txt")
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
}
CODE = re.compile(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|https?://\S+|\{[^{}]*\}|<[^>]+>", re.S)
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _proto_texts(message: Message, out: list[str]) -> None:
    for field, value in message.ListFields():
        if field.type == field.TYPE_MESSAGE:
            for item in value if not isinstance(value, Message) else [value]:
                _proto_texts(item, out)
        elif field.type == field.TYPE_STRING and field.name == "spec":
            _plotly_texts(json.loads(value), out)
        elif field.type == field.TYPE_STRING and field.name in TEXT_FIELDS:
            out.extend([value] if isinstance(value, str) else value)


def _plotly_texts(spec, out: list[str]) -> None:
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in PLOTLY_KEYS and isinstance(value, str):
                out.append(value)
            elif key in PLOTLY_KEYS and isinstance(value, list) and all(isinstance(v, str) for v in value):
                out.extend(value)
            else:
                _plotly_texts(value, out)
    elif isinstance(spec, list):
        for item in spec:
            _plotly_texts(item, out)


def visible_texts(at) -> list[str]:
    """Every string the rendered AppTest ``at`` shows, in page order (code and math left out)."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if type(node).__name__ in SKIPPED:
            return
        if isinstance(proto, Message):
            own = proto
            if type(node).__name__ in {"Block", "Tab", "Expander", "Column", "SpecialBlock"} or not hasattr(
                node, "children"
            ):
                _proto_texts(own, out)
        children = getattr(node, "children", None) or {}
        for child in children.values() if isinstance(children, dict) else children:
            walk(child)

    walk(at._tree)
    return [text for text in out if text and text.strip()]


def english_run(text: str, words: int = 4) -> str | None:
    """The first run of ``words`` or more English words in ``text`` (code, math and names left out)."""
    run: list[str] = []
    for token in re.split(r"\s+", CODE.sub(" ", text)):
        found = WORD.fullmatch(token.strip(".,:;!?()[]\"'“”*_-—–/"))
        if found and found.group().lower() not in KEPT and len(found.group()) > 1:
            run.append(found.group())
            if len(run) >= words:
                return " ".join(run)
        else:
            run = []
    return None


def untranslated(text: str) -> str | None:
    """Why ``text`` on a Korean page reads as English, or None: a run of four English words, or
    English words (three letters or more, not a kept name) with no Hangul at all."""
    run = english_run(text)
    if run is not None:
        return run
    if HANGUL.search(text):
        return None
    words = [w for w in WORD.findall(CODE.sub(" ", text)) if len(w) >= 3 and w.lower() not in KEPT]
    return " ".join(words) if words else None


def has_hangul(texts: list[str]) -> bool:
    return any(HANGUL.search(text) for text in texts)
