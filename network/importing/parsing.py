"""Parsing the member list: validate each row into a Person, merge the rows that are the same person.

Values are validated in plain Python, for speed: a file of a hundred thousand rows is parsed before the database
is asked anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _

from ..models import Ambassador, Interest, Locality
from ..normalize import clean_text, normalize_email, normalize_phone, parse_date, shorten, unescape_formula
from .headers import map_headers
from .reading import TooLong

STATUS_WORDS = {
    "active": Ambassador.Status.ACTIVE,
    "aktiv": Ambassador.Status.ACTIVE,
    "paused": Ambassador.Status.PAUSED,
    "pausad": Ambassador.Status.PAUSED,
    "alumni": Ambassador.Status.ALUMNI,
    "alumn": Ambassador.Status.ALUMNI,
    # The words coordinators write in the member list.
    "vilande": Ambassador.Status.PAUSED,
    "avslutad": Ambassador.Status.ALUMNI,
}
# The longest value each text column may hold: the model field's max_length, so what the import accepts is stored.
# (Addresses are checked by normalize_email, phones are E.164, and notes are unbounded but for the cell limit.)
MAX_LENGTHS = {
    "first_name": Ambassador._meta.get_field("first_name").max_length,
    "last_name": Ambassador._meta.get_field("last_name").max_length,
    "locality": Locality._meta.get_field("name").max_length,
    "interests": Interest._meta.get_field("name").max_length,
}


@dataclass(slots=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = _("row %(row)s") % {"row": self.row}
        if self.column:
            where += _(", column “%(column)s”") % {"column": self.column}
        return f"{where}: {self.message}"


@dataclass(slots=True)
class Person:
    """One person as the file describes them (several rows of the same person merged)."""

    rows: list[int]
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    locality: str = ""
    interests: list[str] = field(default_factory=list)
    member_since: date | None = None
    status: str = ""
    notes: str = ""

    def merge(self, other: Person) -> None:
        """Take in a later row of the same person: its non-empty values win, but a note is added to the notes
        already read (each row's note kept once), never put in their place."""
        self.rows.extend(other.rows)
        for name in ("first_name", "last_name", "email", "phone", "locality", "member_since", "status"):
            value = getattr(other, name)
            if value:
                setattr(self, name, value)
        if other.notes and other.notes != self.notes and other.notes not in self.notes.split("\n"):
            self.notes = f"{self.notes}\n{other.notes}" if self.notes else other.notes
        for interest in other.interests:
            if interest not in self.interests:
                self.interests.append(interest)

    @property
    def name_key(self) -> str:
        return f"{self.first_name} {self.last_name}".casefold()


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(unescape_formula(cell)).strip()


def _phone_text(cell) -> str:
    """Excel turns 0701906448 into the number 701906448; put the lost zero (or plus) back."""
    if isinstance(cell, (int, float)):
        digits = str(int(cell))
        return f"+{digits}" if digits.startswith("46") and len(digits) > 9 else f"0{digits}"
    return _text(cell)


def parse_row(number: int, row: list, columns: dict[str, int], header: list[str]) -> Person | list[RowError]:
    """The person a data row describes, or every problem found in it (each naming its column)."""
    cells = _Cells(number, row, columns, header)
    person = Person(rows=[number])
    _read_names(person, cells)
    _read_contact(person, cells)
    _read_membership(person, cells)
    _read_free_text(person, cells)
    _check_lengths(person, cells)
    return cells.errors or person


class _Cells:
    """One row's cells by field name, and the problems found in them so far.

    A cell longer than IMPORT_MAX_CELL_CHARS is a problem of its own and reads as empty, so it is not also
    reported as missing or malformed.
    """

    __slots__ = ("columns", "errors", "header", "number", "row", "too_long")

    def __init__(self, number: int, row: list, columns: dict[str, int], header: list[str]):
        self.number, self.row, self.columns, self.header = number, row, columns, header
        self.errors: list[RowError] = []
        self.too_long: set[str] = set()

    def fail(self, name: str, message: str) -> None:
        column = self.header[self.columns[name]] if name in self.columns else ""
        self.errors.append(RowError(self.number, column, message))

    def get(self, name: str):
        index = self.columns.get(name)
        if index is None or index >= len(self.row):
            return None
        value = self.row[index]
        if isinstance(value, TooLong):
            self.too_long.add(name)
            self.fail(name, _too_long(value.start, settings.IMPORT_MAX_CELL_CHARS))
            return None
        return value


def _read_names(person: Person, cells: _Cells) -> None:
    person.first_name = clean_text(_text(cells.get("first_name")))
    person.last_name = clean_text(_text(cells.get("last_name")))
    if not person.first_name and "first_name" not in cells.too_long:
        cells.fail("first_name", _("The first name is missing."))


def _read_contact(person: Person, cells: _Cells) -> None:
    """The address and the phone number. A row needs one of them, which is said only when nothing else was wrong."""
    try:
        person.email = normalize_email(_text(cells.get("email")))
    except ValueError as error:
        cells.fail("email", str(error))
    try:
        person.phone = normalize_phone(_phone_text(cells.get("phone")))
    except ValueError as error:
        cells.fail("phone", str(error))
    if not person.email and not person.phone and not cells.errors:
        cells.errors.append(RowError(cells.number, "", _("The row has neither an email address nor a phone number.")))


def _read_membership(person: Person, cells: _Cells) -> None:
    """Since when the person is an ambassador, and their status (in the words coordinators write)."""
    try:
        member_since = cells.get("member_since")
        person.member_since = parse_date(unescape_formula(member_since))
    except ValueError as error:
        cells.fail("member_since", str(error))
    status = _text(cells.get("status")).lower()
    if status:
        person.status = STATUS_WORDS.get(status, "")
        if not person.status:
            cells.fail(
                "status",
                _("“%(value)s” is not a status (aktiv, pausad, vilande, alumn or avslutad).")
                % {"value": shorten(status)},
            )


def _read_free_text(person: Person, cells: _Cells) -> None:
    person.locality = clean_text(_text(cells.get("locality")))
    interests = _text(cells.get("interests"))
    if interests:
        person.interests = list(dict.fromkeys(name for name in map(clean_text, interests.split(",")) if name))
    person.notes = clean_text(_text(cells.get("notes")), multiline=True)


def _check_lengths(person: Person, cells: _Cells) -> None:
    """Each name no longer than its database column (MAX_LENGTHS), so what the import accepts can be stored."""
    for name, value in (
        ("first_name", person.first_name),
        ("last_name", person.last_name),
        ("locality", person.locality),
        *(("interests", interest) for interest in person.interests),
    ):
        if len(value) > MAX_LENGTHS[name]:
            cells.fail(name, _too_long(shorten(value), MAX_LENGTHS[name]))


def _too_long(start: str, limit: int) -> str:
    return _("“%(value)s” is longer than %(max)d characters.") % {"value": start, "max": limit}


def parse_people(header: list[str], body: list[tuple[int, list]]) -> tuple[list[Person], list[RowError]]:
    """Validate every row and merge rows that are the same person (same address, else same phone and name)."""
    columns = map_headers(header)
    people: list[Person] = []
    rejected: list[RowError] = []
    by_email: dict[str, Person] = {}
    by_phone_name: dict[tuple[str, str], Person] = {}
    for number, row in body:
        result = parse_row(number, row, columns, header)
        if isinstance(result, list):
            rejected.extend(result)
            continue
        same = by_email.get(result.email) if result.email else None
        if same is None and result.phone:
            candidate = by_phone_name.get((result.phone, result.name_key))
            if candidate is not None and (not result.email or not candidate.email):
                same = candidate
        if same is None:
            people.append(result)
            same = result
        else:
            same.merge(result)
        if same.email:
            by_email[same.email] = same
        if same.phone:
            by_phone_name[(same.phone, same.name_key)] = same
    return people, rejected
