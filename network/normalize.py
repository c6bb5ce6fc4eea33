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
# Control characters (C0 with CR, LF and tab, DEL, C1) and whitespace of any kind: one line of text has none.
_LINE_BREAKS_AND_CONTROLS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
# In text of several lines: line breaks of any kind (CR LF, CR, NEL, U+2028/U+2029) and the other control characters.
_LINE_BREAK = re.compile(r"\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # after _LINE_BREAK: \n is the only one left
_PHONE_NOISE = re.compile(r"[\s\-()./]")
_SWEDISH_NATIONAL = re.compile(r"0[1-9]\d{5,10}")
_SWEDISH_INTERNATIONAL = re.compile(r"(?:\+46|0046)0?([1-9]\d{5,10})")


def clean_text(value: str | None, *, multiline: bool = False) -> str:
    """Text as people type or paste it, made safe to store and to put in an email: the one place that does it.

    One line (names, and every other text field of one line): each run of control characters (CR and LF included,
    so no value can ever start a new email header) and whitespace becomes one space, and the ends are trimmed.
    With `multiline` (notes, motivations): line breaks are kept, as LF, tabs become spaces and the other control
    characters are dropped.
    """
    if not value:
        return ""
    if not multiline:
        return _LINE_BREAKS_AND_CONTROLS.sub(" ", value).strip()
    value = _LINE_BREAK.sub("\n", value)
    return _CONTROL.sub(lambda match: " " if match.group() == "\t" else "", value).strip()


def collapse_spaces(value: str) -> str:
    """One line of text: `clean_text(value)`."""
    return clean_text(value)


EMAIL_MAX_LENGTH = 254  # RFC 5321 (a forward-path of 256 octets, less the angle brackets); Django's EmailField
_IP_LITERAL = re.compile(r"\[.*\]")


def normalize_email(value: str | None) -> str:
    """The address as we store it and send to: trimmed, lowercased, an international domain in its ASCII form.

    `test@exämple.se` becomes `test@xn--exmple-cua.se` (IDNA, as Django's mail code converts it), so every address
    we hold can go into a header as it is. Raises ValueError, with a message for the person who typed it, when it
    is not an address, has letters outside ASCII before the @ (SMTPUTF8, which few servers accept), has an IP
    address instead of a domain, or is longer than 254 characters.
    """
    if not value:
        return ""
    value = value.strip().lower()
    if not value:
        return ""
    if len(value) > EMAIL_MAX_LENGTH:
        raise _too_long_email(value)
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise _not_an_email(value)
    if not local.isascii():
        raise ValueError(
            _(
                "“%(value)s” has letters such as å, ä or ö before the @, which many email systems cannot deliver to. "
                "Please give another address."
            )
            % {"value": shorten(value)}
        )
    if _IP_LITERAL.fullmatch(domain):
        raise ValueError(
            _(
                "“%(value)s” has an IP address instead of a domain name after the @. Please give an address with "
                "a domain name, such as name@example.se."
            )
            % {"value": shorten(value)}
        )
    # A quoted local part ("a b"@example.se) is valid, but nobody has one, and it may hold control characters.
    if local.startswith('"'):
        raise _not_an_email(value)
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise _not_an_email(value) from None
        value = f"{local}@{domain}"
        if len(value) > EMAIL_MAX_LENGTH:
            raise _too_long_email(value)
    try:
        validate_email(value)
    except ValidationError:
        raise _not_an_email(value) from None
    return value


def _not_an_email(value: str) -> ValueError:
    return ValueError(_("“%(value)s” is not a valid email address.") % {"value": shorten(value)})


def _too_long_email(value: str) -> ValueError:
    return ValueError(
        _("“%(value)s” is too long for an email address (at most %(max)d characters).")
        % {"value": shorten(value), "max": EMAIL_MAX_LENGTH}
    )


PHONE_MAX_LENGTH = 16  # "+" and the 15 digits E.164 allows at most


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
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else ""
    # E.164 has at most 15 digits, so the stored value always fits PHONE_MAX_LENGTH, whatever was typed.
    if number is None or not phonenumbers.is_possible_number(number) or len(e164) > PHONE_MAX_LENGTH:
        raise ValueError(_("“%(value)s” is not a phone number.") % {"value": shorten(original)})
    return e164


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


def display_phone(value: str | None) -> str:
    """A phone number as Swedes write it (070-190 64 48), whatever form it is stored or was typed in; any other
    text (an email address in a "how to reach them" field, say) as it is. For the admin's lists and pages and for
    emails: stored numbers stay E.164."""
    if not value:
        return ""
    if any(char.isalpha() for char in value) or "@" in value:
        return value
    try:
        return format_phone(normalize_phone(value))
    except ValueError:
        return value


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
