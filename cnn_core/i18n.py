"""Translations of the engine's words (GNU gettext catalogs in ``locale/``), for any language asked for.

The engine knows no session and no Streamlit: whoever shows a text passes the language. Texts are
English templates with ``{name}`` fields; ``N_`` marks a template for extraction without
translating it, ``translate`` renders it in a language. Catalogs are compiled ``.mo`` files under
``locale/<language>/LC_MESSAGES/cnn_lab.mo``; a language without one reads English.

    >>> translate(N_("{count} filters"), "en", count=32)
    '32 filters'
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path

DOMAIN = "cnn_lab"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"


def N_(template: str) -> str:
    """Mark ``template`` for the catalogs without translating it (gettext's no-op marker)."""
    return template


@functools.cache
def translation(language: str) -> gettext.NullTranslations:
    """The catalog of ``language`` (one of ``LANGUAGES``); English is the templates themselves."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def translate(template: str, language: str = DEFAULT_LANGUAGE, **params) -> str:
    """``template`` in ``language``, its ``{fields}`` filled with ``params``."""
    text = translation(language).gettext(template)
    return text.format(**params) if params else text


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
