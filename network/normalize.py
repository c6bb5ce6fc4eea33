"""Plain functions that turn what people type (or Excel exports) into the values we store."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_SPACES = re.compile(r"\s+")
_PHONE_NOISE = re.compile(r"[\s\-()./]")
_SWEDISH_NATIONAL = re.compile(r"0[1-9]\d{5,10}")
_SWEDISH_INTERNATIONAL = re.compile(r"(?:\+46|0046)0?([1-9]\d{5,10})")


def collapse_spaces(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def normalize_email(value: str | None) -> str:
    """Trimmed and lowercased; raises ValueError when it is not an address."""
    if not value:
        return ""
    value = value.strip().lower()
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError(_("“%(value)s” is not a valid email address.") % {"value": shorten(value)}) from None
    return value


def normalize_phone(value: str | None) -> str:
    """E.164 with Sweden as the default region; raises ValueError when it cannot be a phone number."""
    if not value:
        return ""
    value = str(value).strip()
    if not value:
        return ""
    compact = _PHONE_NOISE.sub("", value)
    # The common Swedish case without the cost of a full parse: 0701906448 → +46701906448.
    if _SWEDISH_NATIONAL.fullmatch(compact):
        return "+46" + compact[1:]
    if match := _SWEDISH_INTERNATIONAL.fullmatch(compact):  # +46 70 190 64 48, +46 (0)70 …
        return "+46" + match.group(1)
    return _parse_phone(compact, value)


@lru_cache(maxsize=4096)
def _parse_phone(compact: str, original: str) -> str:
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    try:
        number = phonenumbers.parse(compact, "SE")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValueError(_("“%(value)s” is not a phone number.") % {"value": shorten(original)})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """How Swedes write a Swedish number (070-190 64 48); international format for others."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 46:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DMY_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_YEAR = re.compile(r"(\d{4})(?:\.0)?")


def parse_date(value) -> dt.date | None:
    """YYYY-MM-DD, D/M/YYYY (or D.M.YYYY) or a bare year; Excel cells may already be dates."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        value = str(int(value))
    text = str(value).strip()
    if not text:
        return None
    if match := _ISO_DATE.fullmatch(text.split(" ")[0]):
        year, month, day = match.groups()
    elif match := _DMY_DATE.fullmatch(text):
        day, month, year = match.groups()
    elif match := _YEAR.fullmatch(text):
        year, month, day = match.group(1), 1, 1
    else:
        raise ValueError(
            _("“%(value)s” is not a date (use YYYY-MM-DD, D/M/YYYY or a year).") % {"value": shorten(text)}
        )
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(_("“%(value)s” is not a date that exists.") % {"value": shorten(text)}) from None


# Where a spreadsheet may start a cell inside a value: at its start and after anything that splits cells or rows
# (a semicolon CSV opened with commas, or the other way round, or a reader that ignores the quoting), past any
# quotes and the spaces before them (LibreOffice runs ` "=1+1"` as a formula).
_CELL_START = r'(?:^|(?<=[;,\t\r\n]))((?: *")*)'
_FORMULA = re.compile(_CELL_START + r"('*[=+\-@\t\r])")
_ESCAPED_FORMULA = re.compile(_CELL_START + r"'('*[=+\-@\t\r])")


def escape_formula(value):
    """Neutralise text that a spreadsheet program would run as a formula, however it splits the text into cells.

    An apostrophe goes before `= + - @`, tab or CR at the start of the value and wherever a cell could start inside
    it. Apostrophes already there get one more, so that unescaping gives the value back unchanged.
    """
    if isinstance(value, str):
        return _FORMULA.sub(r"\1'\2", value)
    return value


def unescape_formula(value):
    if isinstance(value, str) and "'" in value:
        return _ESCAPED_FORMULA.sub(r"\1\2", value)
    return value


def shorten(value, limit: int = 50) -> str:
    """The start of a value, for a message that quotes it (a cell may hold megabytes)."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"
