"""The English catalogue covers every interface string, and the committed .mo matches the .po."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parent.parent / "web"
PO = WEB / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _source_ids() -> set[str]:
    ids = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(WEB), METHODS, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    ):
        ids.add(message if isinstance(message, str) else message[0])
    return ids


def test_every_interface_string_has_an_english_translation() -> None:
    catalog = read_po(PO.open("rb"), locale="en")
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_source_ids() - translated)
    assert not missing, f"untranslated (run pybabel extract/update, then translate and compile): {missing}"


def test_committed_mo_is_compiled_from_the_po() -> None:
    po = read_po(PO.open("rb"), locale="en")
    buf = BytesIO()
    write_mo(buf, po)
    buf.seek(0)
    fresh = {str(m.id): str(m.string) for m in read_mo(buf) if m.id}
    committed = {str(m.id): str(m.string) for m in read_mo(MO.open("rb")) if m.id}
    assert fresh == committed, "messages.mo is stale: run `pybabel compile -d web/translations`"
