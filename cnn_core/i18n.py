"""Translations of the engine's words (GNU gettext catalogs in ``locale/``), for any language asked for.

The engine knows no session and no Streamlit: whoever shows a text passes the language. Texts are
English templates with ``{name}`` fields; ``N_`` marks a template for extraction without
translating it, ``translate`` renders it in a language and ``ntranslate`` picks the plural form.
Catalogs are compiled ``.mo`` files, one per part of the app (``locale/<language>/LC_MESSAGES/
<domain>.mo``, see ``scripts/catalogs.py``); every domain of a language is consulted, so a
template can live in any of them. A language without catalogs reads English.

    >>> translate(N_("{count} filters"), "en", count=32)
    '32 filters'
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "ko": "한국어"}


def N_(template: str) -> str:
    """Mark ``template`` for the catalogs without translating it (gettext's no-op marker)."""
    return template


def check_language(language: str) -> str:
    """``language`` itself when it is one of ``LANGUAGES``, else a ``ValueError`` naming them."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    return language


@functools.cache
def translation(language: str) -> gettext.NullTranslations:
    """Every catalog of ``language`` chained into one; English is the templates themselves."""
    check_language(language)
    chain = gettext.NullTranslations()
    if language == DEFAULT_LANGUAGE:
        return chain
    for path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.mo")):
        with path.open("rb") as file:
            catalog = gettext.GNUTranslations(file)
        catalog.add_fallback(chain)
        chain = catalog
    return chain


def translate(template: str, language: str = DEFAULT_LANGUAGE, **params) -> str:
    """``template`` in ``language``, its ``{fields}`` filled with ``params``."""
    text = translation(language).gettext(template)
    return text.format(**params) if params else text


def ntranslate(singular: str, plural: str, n: int, language: str = DEFAULT_LANGUAGE, **params) -> str:
    """The form of ``singular``/``plural`` that ``n`` takes in ``language`` (``{n}`` is filled in).

    >>> ntranslate("{n} epoch", "{n} epochs", 1), ntranslate("{n} epoch", "{n} epochs", 3)
    ('1 epoch', '3 epochs')
    """
    return translation(language).ngettext(singular, plural, n).format(n=n, **params)


class LabError(ValueError):
    """A ``ValueError`` whose message can be shown in any language: a template and its parameters.

    ``str(error)`` is the English message; ``error.message(language)`` the translated one. A
    parameter that is itself a ``LabError`` (the reason behind a refusal) is rendered in the same
    language.

    >>> reason = LabError(N_("The file is empty."))
    >>> LabError(N_("{name} could not be read: {reason}"), name="'a.png'", reason=reason).message("en")
    "'a.png' could not be read: The file is empty."
    """

    def __init__(self, template: str, **params):
        self.template, self.params = template, params
        super().__init__(template.format(**params) if params else template)

    def message(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The message in ``language``."""
        params = {
            name: value.message(language) if isinstance(value, LabError) else value
            for name, value in self.params.items()
        }
        return translate(self.template, language, **params)


def error_message(error: BaseException, language: str = DEFAULT_LANGUAGE) -> str:
    """What to show for ``error``: a ``LabError`` in ``language``, anything else as its own text."""
    return error.message(language) if isinstance(error, LabError) else str(error)
