"""The Korean catalogs are complete, current and compiled; plurals and numbers follow the language."""

import pytest

from cnn_core.i18n import N_, LabError, ntranslate, translate
from scripts import catalogs


def test_catalogs_cover_every_template_and_nothing_stale():
    found = catalogs.problems()
    assert not found, f"{len(found)} problem(s); run `python -m scripts.catalogs todo`:\n" + "\n".join(found[:40])


def test_every_source_file_is_in_a_domain_and_templates_are_found():
    domains = {catalogs.domain_of(path) for path in catalogs.source_files()}
    assert {"app", "concepts", "training", "vision"} <= domains
    assert "The file is empty." in catalogs.extract("vision")


def test_a_changed_field_name_is_a_problem(tmp_path, monkeypatch):
    """The check compares {fields}: a translation that renames one would fail at .format()."""
    from babel.messages.catalog import Catalog

    catalog = Catalog(locale="ko")
    catalog.add("{count} filters", "{개수}개 필터")
    monkeypatch.setattr(catalogs, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(catalogs, "DOMAINS", {"app": ("*",)})
    monkeypatch.setattr(catalogs, "extract", lambda domain: _template("{count} filters"))
    catalogs.write(catalog, catalogs.po_path("ko", "app"))
    catalogs.compile_all()
    assert any("fields" in line for line in catalogs.problems())


def _template(message):
    from babel.messages.catalog import Catalog

    catalog = Catalog()
    catalog.add(message, None, [("app.py", 1)])
    return catalog


def test_english_is_the_templates_themselves():
    assert translate(N_("{count} filters"), "en", count=3) == "3 filters"
    assert ntranslate("{n} epoch", "{n} epochs", 1) == "1 epoch"
    assert ntranslate("{n} epoch", "{n} epochs", 2) == "2 epochs"


def test_korean_has_one_plural_form_and_translations_load():
    one, many = "The {n} window visited (bold: the first)", "The {n} windows visited (bold: the first)"
    assert ntranslate(one, many, 1, "ko") == "지나간 윈도우 1개 (굵은 것이 첫 번째)"
    assert ntranslate(one, many, 5, "ko") == "지나간 윈도우 5개 (굵은 것이 첫 번째)"
    assert ntranslate(one, many, 1, "en").startswith("The 1 window visited")
    assert translate("The file is empty.", "ko") != "The file is empty."


def test_a_lab_error_renders_its_reason_in_the_same_language():
    reason = LabError(N_("The file is empty."))
    error = LabError(N_("The file could not be read: {reason}"), reason=reason)
    assert str(error) == "The file could not be read: The file is empty."
    korean = error.message("ko")
    assert translate("The file is empty.", "ko") in korean and "The file is empty" not in korean


def test_an_unknown_language_is_refused():
    with pytest.raises(ValueError, match="language must be one of"):
        translate("x", "fr")
