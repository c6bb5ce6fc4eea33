"""The header row of the member list: which column holds which field, whatever words and spelling the file uses.

The first header of each field is the one the export writes (and the admin's import page names), so an exported
file reads back as it is.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..normalize import shorten
from .reading import ImportFileError

# field -> the header we export, then other headers people write (compared without case, spaces, - and _).
COLUMNS: dict[str, tuple[str, ...]] = {
    "first_name": ("Förnamn", "first name", "firstname", "fornamn"),
    "last_name": ("Efternamn", "last name", "lastname", "surname", "efternamn"),
    "email": ("E-post", "epost", "email", "mail", "mejl", "e-postadress", "emailaddress"),
    "phone": ("Mobil", "telefon", "mobilnummer", "telefonnummer", "tel", "phone", "mobile", "phonenumber"),
    "locality": ("Ort", "bostadsort", "locality", "town", "city"),
    "interests": ("Intressen", "intresse", "interests"),
    "member_since": ("Ambassadör sedan", "medlem sedan", "ambassador since", "member since"),
    "status": ("Status",),
    "notes": ("Kommentar", "kommentarer", "anteckningar", "notes", "comment", "comments"),
}


def header_key(text) -> str:
    return "".join(ch for ch in str(text or "").lower() if ch not in " -_\t\n\r\xa0")


HEADER_ALIASES = {header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


def map_headers(header: list[str]) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        name = HEADER_ALIASES.get(header_key(text))
        if name and name not in columns:
            columns[name] = index
    if "first_name" not in columns or not ({"email", "phone"} & columns.keys()):
        raise ImportFileError(
            _("The first row must name the columns; at least Förnamn and E-post or Mobil are needed. Found: %(found)s.")
            % {"found": shorten(", ".join(h for h in header if h) or "-", 200)}
        )
    return columns
