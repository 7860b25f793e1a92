"""The Korean catalogs: extract the templates, update the ``.po`` files, compile them, check them.

    python -m scripts.catalogs update   # extract every domain and merge into locale/ko/*.po
    python -m scripts.catalogs compile  # .po -> .mo (committed, so a server needs no build step)
    python -m scripts.catalogs check    # exit 1 on a missing, fuzzy, stale or mistyped entry
    python -m scripts.catalogs todo     # the untranslated entries, by domain

Each source file belongs to one domain (``DOMAINS``, first match wins), so people translating
different parts of the app edit different ``.po`` files. Templates are marked with ``_``, ``N_``,
``translate``, ``ngettext`` and ``ntranslate`` (Babel's Python extractor); ``{fields}`` are
Python format fields and must survive translation unchanged.
"""

from __future__ import annotations

import fnmatch
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE_DIR = ROOT / "locale"
TRANSLATED = ("ko",)
KEYWORDS = {"_": None, "N_": None, "translate": None, "ngettext": (1, 2), "ntranslate": (1, 2)}
SOURCES = ("app.py", "pages/*.py", "ui/*.py", "cnn_core/**/*.py", "cnn_core/*.py")

# Domain -> the files whose templates it holds; a file not named here is in "app".
DOMAINS = {
    "reader": ("cnn_core/vision/reader.py", "cnn_core/vision/strokes.py"),
    "concepts": (
        "pages/convolution.py",
        "pages/padding.py",
        "pages/stride.py",
        "pages/pooling.py",
        "ui/concept.py",
        "ui/settings.py",
        "ui/players.py",
        "ui/charts.py",
        "ui/predict.py",
        "cnn_core/ops/*.py",
        "cnn_core/figures/grids.py",
        "cnn_core/figures/players.py",
        "cnn_core/figures/spec.py",
        "cnn_core/figures/style.py",
        "cnn_core/figures/pictures.py",
    ),
    # Before "training", whose cnn_core/learning/*.py would otherwise claim the three learning files.
    "vision": (
        "pages/augmentation.py",
        "pages/activations.py",
        "pages/digits.py",
        "cnn_core/vision/*.py",
        "cnn_core/learning/activations.py",
        "cnn_core/learning/gradcam.py",
        "cnn_core/learning/patterns.py",
    ),
    "training": (
        "pages/training.py",
        "pages/folder_training.py",
        "pages/overfitting_lab.py",
        "ui/training.py",
        "ui/epochs.py",
        "ui/state.py",
        "cnn_core/learning/*.py",
        "cnn_core/figures/charts.py",
        "cnn_core/data/*.py",
    ),
    "network": ("pages/network.py", "ui/network.py"),
    "lesson": ("pages/lesson.py", "ui/lesson.py"),
    "app": ("*",),
}
FIELD = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)[^{}]*\}")


def domain_of(path: str) -> str:
    """The domain of a source file, by its path relative to the repository root."""
    for domain, patterns in DOMAINS.items():
        if any(fnmatch.fnmatch(path, pattern) for pattern in patterns):
            return domain
    raise AssertionError("the last domain matches every file")


def source_files() -> list[str]:
    """Every source file whose templates are extracted, relative to the root, sorted."""
    found = {str(p.relative_to(ROOT)) for pattern in SOURCES for p in ROOT.glob(pattern)}
    return sorted(found)


def extract(domain: str) -> Catalog:
    """The templates of ``domain`` as a catalog without translations."""
    catalog = Catalog(domain=domain, project="CNN Lab", fuzzy=False)
    for path in source_files():
        if domain_of(path) != domain:
            continue
        for line, message, comments, context in extract_from_file(
            "python", ROOT / path, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            catalog.add(message, None, [(path, line)], auto_comments=comments, context=context)
    return catalog


def po_path(language: str, domain: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def read(language: str, domain: str) -> Catalog:
    """The ``.po`` of ``domain`` in ``language`` (an empty catalog when there is none yet)."""
    path = po_path(language, domain)
    if not path.exists():
        return Catalog(locale=language, domain=domain, project="CNN Lab", fuzzy=False)
    with path.open("rb") as file:
        return read_po(file, locale=language, domain=domain)


def write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, sort_output=False, ignore_obsolete=True)
    path.write_bytes(buffer.getvalue())


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def update() -> None:
    """Merge every domain's fresh templates into each language's ``.po`` (stale entries dropped)."""
    for domain in DOMAINS:
        template = extract(domain)
        for language in TRANSLATED:
            catalog = read(language, domain)
            if not len(template) and not po_path(language, domain).exists():
                continue
            catalog.update(template, no_fuzzy_matching=True)
            catalog.obsolete.clear()
            write(catalog, po_path(language, domain))


def compile_all() -> None:
    """Write each ``.po``'s ``.mo`` beside it."""
    for language in TRANSLATED:
        for domain in DOMAINS:
            if po_path(language, domain).exists():
                po_path(language, domain).with_suffix(".mo").write_bytes(mo_bytes(read(language, domain)))


def _strings(message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _ids(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def problems() -> list[str]:
    """Every way the committed catalogs fall short of the code; empty when they are complete."""
    found = []
    for language in TRANSLATED:
        for domain in DOMAINS:
            template, catalog = extract(domain), read(language, domain)
            name = f"{language}/{domain}.po"
            for message in template:
                if not message.id:
                    continue
                entry = catalog.get(message.id)
                if entry is None:
                    found.append(f"{name}: no entry for {message.id!r} ({message.locations[0][0]})")
                elif entry.fuzzy or not all(s.strip() for s in _strings(entry)):
                    found.append(f"{name}: untranslated or fuzzy: {message.id!r}")
                else:
                    wanted = set(FIELD.findall(" ".join(_ids(message))))
                    for text in _strings(entry):
                        if set(FIELD.findall(text)) != wanted:
                            found.append(f"{name}: the fields of {message.id!r} differ in {text!r}")
            for entry in catalog:
                if entry.id and template.get(entry.id) is None:
                    found.append(f"{name}: stale entry {entry.id!r} (no longer in the code)")
            path = po_path(language, domain)
            if path.exists():
                mo = path.with_suffix(".mo")
                if not mo.exists() or mo.read_bytes() != mo_bytes(catalog):
                    found.append(f"{language}/{domain}.mo is not compiled from its .po")
    return found


def todo() -> None:
    for line in problems():
        print(line)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "todo":
        todo()
    elif command == "check":
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s) in the catalogs")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
