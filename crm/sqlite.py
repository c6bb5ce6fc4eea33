"""SQLite's LIKE ignores case only for ASCII letters, so "ödmark" would not find "Ödmark". PostgreSQL is right
already; on SQLite (make run, the default test run) we give LIKE Unicode case folding.

And the admin's search compares names through the SQL function `search_fold` (network/search.py): on PostgreSQL
lower(unaccent(…)), created by a migration; here the Python function below, which gives the same answers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from django.db.backends.signals import connection_created


@lru_cache(maxsize=256)
def _pattern(like: str, escape: str | None) -> re.Pattern:
    parts, index = [], 0
    while index < len(like):
        char = like[index]
        if escape and char == escape and index + 1 < len(like):
            parts.append(re.escape(like[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE)


def unicode_like(pattern, value, escape=None):
    if pattern is None or value is None:
        return None
    return _pattern(str(pattern).casefold(), escape).fullmatch(str(value).casefold()) is not None


# Letters PostgreSQL's unaccent rewrites that are not a letter plus a combining accent in Unicode.
_UNACCENT_SPECIAL = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "đ": "d", "Đ": "D", "ð": "d"}
    | {"Ð": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "TH", "ı": "i"}
)


def search_fold(value):
    """lower(unaccent(value)) as PostgreSQL computes it: "Åström" → "astrom", "Ødegård" → "odegard"."""
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(value).translate(_UNACCENT_SPECIAL))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def _install(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("like", 2, unicode_like, deterministic=True)
        connection.connection.create_function("like", 3, unicode_like, deterministic=True)
        connection.connection.create_function("search_fold", 1, search_fold, deterministic=True)


def install() -> None:
    connection_created.connect(_install, dispatch_uid="crm.sqlite.unicode_like")
