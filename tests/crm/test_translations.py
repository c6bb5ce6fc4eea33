"""The Swedish catalogue: complete, compiled, and consistent with what the importer reads back.

CI machines may lack gettext, so django.mo is committed; these tests catch a .po edited without recompiling.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from django.utils import translation

from network.importing import STATUS_WORDS
from network.models import Ambassador

LC_MESSAGES = Path(__file__).resolve().parents[2] / "locale" / "sv" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")


def _unquote(line: str) -> str:
    body = line[line.index('"') + 1 : line.rindex('"')]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def po_entries() -> list[dict]:
    """A small .po reader: each entry's msgid, msgid_plural, msgstr / msgstr[n] and flags."""
    entries = []
    for block in (LC_MESSAGES / "django.po").read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": ""}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = line
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += _unquote(line)
            elif line.strip():
                key = line.split(" ", 1)[0]
                entry[key] = _unquote(line)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def test_every_string_is_translated_and_none_is_fuzzy():
    entries = po_entries()
    assert len(entries) > 100
    for entry in entries:
        assert "fuzzy" not in entry["flags"], entry["msgid"]
        if entry["msgid"] == "":
            assert "Language: sv" in entry["msgstr"]
            assert "Plural-Forms: nplurals=2; plural=(n != 1);" in entry["msgstr"]
        elif "msgid_plural" in entry:
            assert entry["msgstr[0]"] and entry["msgstr[1]"], entry["msgid"]
        else:
            assert entry["msgstr"], entry["msgid"]


def test_placeholders_are_kept():
    for entry in po_entries():
        if not entry["msgid"]:
            continue
        wanted = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for key in ("msgstr", "msgstr[0]", "msgstr[1]"):
            if key in entry:
                assert sorted(PLACEHOLDER.findall(entry[key])) == wanted, (entry["msgid"], entry[key])


def test_the_compiled_catalogue_matches_the_po_file():
    with open(LC_MESSAGES / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in po_entries():
        if not entry["msgid"]:
            continue
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            for count, key in ((1, "msgstr[0]"), (2, "msgstr[1]")):
                words = (entry["msgid"], entry["msgid_plural"], count)
                got = compiled.npgettext(context, *words) if context else compiled.ngettext(*words)
                assert got == entry[key], entry["msgid"]
        else:
            got = compiled.pgettext(context, entry["msgid"]) if context else compiled.gettext(entry["msgid"])
            assert got == entry["msgstr"], "django.mo is stale: run compilemessages"


def test_the_swedish_status_labels_are_read_back_by_the_importer():
    # The export writes the status label in the active language; the import must accept it.
    for language in ("sv", "en"):
        with translation.override(language):
            for status in Ambassador.Status:
                assert STATUS_WORDS.get(str(status.label).lower()) == status, (language, status.label)


def test_swedish_is_what_a_resident_sees():
    with translation.override("sv"):
        assert str(Ambassador.Status.ALUMNI.label) == "Alumn"
        assert str(Ambassador._meta.verbose_name) == "ambassadör"
        assert str(Ambassador._meta.get_field("member_since").verbose_name) == "ambassadör sedan"
