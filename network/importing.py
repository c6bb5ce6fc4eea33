"""Importing the member list: read a CSV or XLSX file, validate each row, upsert people in one transaction.

Built for the shapes Excel hands over (semicolons, Windows-1252, Swedish headers) and for speed: values are
validated in plain Python, existing people are loaded in a few queries and written with bulk statements.
"""

from __future__ import annotations

import csv
import gc
import io
import os
import re
import secrets
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Ambassador, Interest, Locality
from .normalize import clean_text, normalize_email, normalize_phone, parse_date, shorten, unescape_formula

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
UPDATABLE = ("first_name", "last_name", "email", "phone", "locality_id", "member_since", "status", "notes")


def header_key(text) -> str:
    return "".join(ch for ch in str(text or "").lower() if ch not in " -_\t\n\r\xa0")


HEADER_ALIASES = {header_key(alias): name for name, aliases in COLUMNS.items() for alias in aliases}


class ImportFileError(Exception):
    """The file cannot be read at all (wrong format, encoding or headers)."""


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


@dataclass
class ImportReport:
    created: list[Person] = field(default_factory=list)
    updated: list[Person] = field(default_factory=list)
    unchanged: list[Person] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)
    new_localities: list[str] = field(default_factory=list)
    new_interests: list[str] = field(default_factory=list)
    dry_run: bool = False
    applied: bool = False

    @property
    def rejected_rows(self) -> list[int]:
        """The rows rejected (a row with three problems is one row)."""
        return sorted({error.row for error in self.rejected})

    @property
    def merged(self) -> list[Person]:
        """The people several rows of the file were merged into (duplicates), with those rows."""
        return [
            person
            for people in (self.created, self.updated, self.unchanged)
            for person in people
            if len(person.rows) > 1
        ]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected_rows),
        }


# Reading -----------------------------------------------------------------------------------------------------

EXCEL_MAX_ROWS = 1_048_576  # a row number past Excel's last row is a forged file, not a member list


class TooLong:
    """A cell longer than IMPORT_MAX_CELL_CHARS: only its start is kept, for the message that rejects its row."""

    __slots__ = ("start",)

    def __init__(self, text: str):
        self.start = shorten(text)

    def __str__(self) -> str:
        return self.start


def check_file_size(size: int) -> None:
    """Refuse a file larger than IMPORT_MAX_FILE_MB before anything reads it."""
    if size > settings.IMPORT_MAX_FILE_MB * 1024 * 1024:
        raise ImportFileError(_("The file is larger than %(max)d MB.") % {"max": settings.IMPORT_MAX_FILE_MB})


def read_table(data: bytes) -> tuple[list[str], list[tuple[int, list]]]:
    """The header row and the data rows (numbered as Excel numbers them) of a CSV or XLSX file.

    Bounded whatever the file holds: at most IMPORT_MAX_ROWS data rows, cells longer than IMPORT_MAX_CELL_CHARS
    kept only as their start (TooLong), no cells past the header's last column, and an .xlsx is refused before
    parsing when it would unpack to more than IMPORT_MAX_UNPACKED_MB.
    """
    check_file_size(len(data))
    rows = _read_xlsx(data) if data.startswith(b"PK\x03\x04") else _read_csv(data)
    max_rows, max_chars = settings.IMPORT_MAX_ROWS, settings.IMPORT_MAX_CELL_CHARS
    header: list[str] | None = None
    body: list[tuple[int, list]] = []
    try:
        for number, row in rows:
            if not any(cell not in (None, "") for cell in row):
                continue
            if header is None:
                header = [str(_bounded(cell, max_chars) or "").strip() for cell in row]
                while header and not header[-1]:
                    header.pop()
                continue
            if len(body) == max_rows:
                raise ImportFileError(
                    _("The file has more than %(max)d rows; split it into smaller files.") % {"max": max_rows}
                )
            body.append((number, [_bounded(cell, max_chars) for cell in row[: len(header)]]))
    finally:
        rows.close()  # closes the workbook at once when reading stops early
    if header is None:
        raise ImportFileError(_("The file is empty."))
    return header, body


def _bounded(cell, max_chars: int):
    return TooLong(cell) if isinstance(cell, str) and len(cell) > max_chars else cell


def _check_unpacked_size(data: bytes) -> None:
    """Refuse a workbook that unpacks to more than IMPORT_MAX_UNPACKED_MB, before any XML in it is parsed.

    The sizes are those the archive declares; zipfile never unpacks more than that (and then fails the CRC check),
    so a lying archive cannot get past this either.
    """
    limit = settings.IMPORT_MAX_UNPACKED_MB
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise ImportFileError(
            _("The file could not be read as an Excel workbook (%(error)s).") % {"error": shorten(error, 200)}
        ) from None
    if unpacked > limit * 1024 * 1024:
        raise ImportFileError(
            _("The Excel file unpacks to more than %(max)d MB, too much for a member list.") % {"max": limit}
        )


def _read_xlsx(data: bytes):
    import openpyxl

    _check_unpacked_size(data)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many kinds for a broken file
        raise ImportFileError(
            _("The file could not be read as an Excel workbook (%(error)s).") % {"error": shorten(error, 200)}
        ) from None
    try:
        sheet = workbook.worksheets[0]
        # Read-only mode believes the <dimension> the file declares and drops the rows past it: read them all.
        sheet.reset_dimensions()
        for number, row in enumerate(sheet.iter_rows(min_row=1, min_col=1, values_only=True), start=1):
            if number > EXCEL_MAX_ROWS:
                raise ImportFileError(_("The file has more rows than Excel allows."))
            yield number, row
    except ImportFileError:
        raise
    except Exception as error:  # noqa: BLE001 - a broken sheet only shows while it is read
        raise ImportFileError(
            _("The file could not be read as an Excel workbook (%(error)s).") % {"error": shorten(error, 200)}
        ) from None
    finally:
        workbook.close()


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # What Swedish Excel writes as "CSV (semikolonavgränsad)".
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is neither a CSV file (UTF-8 or Windows-1252) nor an Excel workbook.")
        ) from None


def _read_csv(data: bytes):
    text = decode_text(data)
    if "\x00" in text:
        raise ImportFileError(_("The file is neither a CSV file (UTF-8 or Windows-1252) nor an Excel workbook."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise ImportFileError(_("The CSV file is malformed (%(error)s).") % {"error": shorten(error, 200)}) from None


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


# Uploads waiting for confirmation ----------------------------------------------------------------------------
# The admin keeps an uploaded file between the preview and the coordinator's choice. It is the member list, so it
# is readable by this user only, deleted once used, and deleted after a day when nobody came back for it.

UPLOAD_MAX_AGE = timedelta(days=1)
_UPLOAD_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _upload_dir() -> Path:
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def upload_store(data: bytes) -> str:
    """Keep an uploaded file until the import is confirmed; returns its token. Sweeps abandoned uploads first."""
    uploads_sweep()
    token = secrets.token_urlsafe(16)
    descriptor = os.open(_upload_dir() / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return token


def upload_read(token: str) -> bytes | None:
    """The stored file, or None when the token is malformed, unknown or older than a day."""
    if not _UPLOAD_TOKEN.fullmatch(token or ""):
        return None
    path = _upload_dir() / token
    try:
        if time.time() - path.stat().st_mtime > UPLOAD_MAX_AGE.total_seconds():
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def upload_discard(token: str) -> None:
    if _UPLOAD_TOKEN.fullmatch(token or ""):
        (_upload_dir() / token).unlink(missing_ok=True)


def uploads_sweep(*, max_age: timedelta = UPLOAD_MAX_AGE) -> int:
    """Delete the uploads older than `max_age` (previews nobody confirmed); returns how many were deleted."""
    folder = Path(settings.VAR_DIR) / "imports"
    if not folder.is_dir():
        return 0
    cutoff = time.time() - max_age.total_seconds()
    deleted = 0
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:  # a concurrent request used or swept it
            continue
    return deleted


# Validating --------------------------------------------------------------------------------------------------


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
    errors: list[RowError] = []
    too_long: set[str] = set()

    def fail(name: str, message: str) -> None:
        errors.append(RowError(number, header[columns[name]] if name in columns else "", message))

    def cell(name: str):
        index = columns.get(name)
        if index is None or index >= len(row):
            return None
        value = row[index]
        if isinstance(value, TooLong):
            too_long.add(name)
            fail(name, _too_long(value.start, settings.IMPORT_MAX_CELL_CHARS))
            return None
        return value

    person = Person(rows=[number])
    person.first_name = clean_text(_text(cell("first_name")))
    person.last_name = clean_text(_text(cell("last_name")))
    if not person.first_name and "first_name" not in too_long:
        fail("first_name", _("The first name is missing."))
    try:
        person.email = normalize_email(_text(cell("email")))
    except ValueError as error:
        fail("email", str(error))
    try:
        person.phone = normalize_phone(_phone_text(cell("phone")))
    except ValueError as error:
        fail("phone", str(error))
    if not person.email and not person.phone and not errors:
        errors.append(RowError(number, "", _("The row has neither an email address nor a phone number.")))
    try:
        member_since = cell("member_since")
        person.member_since = parse_date(unescape_formula(member_since))
    except ValueError as error:
        fail("member_since", str(error))
    status = _text(cell("status")).lower()
    if status:
        person.status = STATUS_WORDS.get(status, "")
        if not person.status:
            fail(
                "status",
                _("“%(value)s” is not a status (aktiv, pausad, vilande, alumn or avslutad).")
                % {"value": shorten(status)},
            )
    person.locality = clean_text(_text(cell("locality")))
    interests = _text(cell("interests"))
    if interests:
        person.interests = list(dict.fromkeys(name for name in map(clean_text, interests.split(",")) if name))
    person.notes = clean_text(_text(cell("notes")), multiline=True)
    for name, value in (
        ("first_name", person.first_name),
        ("last_name", person.last_name),
        ("locality", person.locality),
        *(("interests", interest) for interest in person.interests),
    ):
        if len(value) > MAX_LENGTHS[name]:
            fail(name, _too_long(shorten(value), MAX_LENGTHS[name]))
    return errors or person


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


# Writing -----------------------------------------------------------------------------------------------------

CHUNK = 900  # rows per INSERT/UPDATE statement
LOOKUP = 5000  # values per IN (...) lookup
BLOCK = 5000  # people written at a time, so memory stays flat however long the file


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _named(model, names: list[str], report_list: list[str], **new) -> dict[str, int]:
    """Ids by casefolded name, creating the unknown ones as first written in the file (named in the report), with
    the field values `new`."""
    known = {name.casefold(): pk for pk, name in model.objects.values_list("pk", "name")}
    missing = {}
    for name in names:
        if name and name.casefold() not in known:
            missing.setdefault(name.casefold(), name)
    if missing:
        model.objects.bulk_create([model(name=name, **new) for name in missing.values()])
        report_list.extend(missing.values())
        known = {name.casefold(): pk for pk, name in model.objects.values_list("pk", "name")}
    return known


def _existing(people: list[Person], taken: set[int]) -> dict[int, Ambassador]:
    """Match each person (by index) to an existing ambassador: by address, else by phone and name.

    Each existing ambassador is matched at most once (`taken` spans the whole import): the others are new."""
    fields = ("pk", *UPDATABLE)
    by_email: dict[str, Ambassador] = {}
    for chunk in _chunks([p.email for p in people if p.email], LOOKUP):
        by_email.update({a.email: a for a in Ambassador.objects.filter(email__in=chunk).only(*fields)})
    matches: dict[int, Ambassador] = {}
    unmatched: list[int] = []
    for index, person in enumerate(people):
        found = by_email.get(person.email) if person.email else None
        if found is not None:
            matches[index] = found
            taken.add(found.pk)
        elif person.phone:
            unmatched.append(index)
    by_phone: dict[tuple[str, str], Ambassador] = {}
    candidates = []
    if any(people[i].email for i in unmatched):
        # Someone with an address can only be someone on file without one: the few phone-only people, at once.
        candidates.append(Ambassador.objects.filter(email__isnull=True).exclude(phone=""))
    for chunk in _chunks([people[i].phone for i in unmatched if not people[i].email], LOOKUP):
        candidates.append(Ambassador.objects.filter(phone__in=chunk))
    for queryset in candidates:
        for ambassador in queryset.only(*fields):
            by_phone.setdefault((ambassador.phone, ambassador.full_name.casefold()), ambassador)
    for index in unmatched:
        person = people[index]
        found = by_phone.get((person.phone, person.name_key))
        if found is not None and found.pk not in taken and (not person.email or not found.email):
            matches[index] = found
            taken.add(found.pk)
    return matches


def _insert_links(pairs: list[tuple[int, int]]) -> None:
    """(ambassador, interest) rows, straight into the join table: model instances here cost more than the SQL."""
    if not pairs:
        return
    table = connection.ops.quote_name(Ambassador.interests.through._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (ambassador_id, interest_id) "  # noqa: S608 - the table name is ours
                "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) ON CONFLICT DO NOTHING",
                [[a for a, _i in pairs], [i for _a, i in pairs]],
            )
        elif connection.vendor == "sqlite":
            cursor.executemany(f"INSERT OR IGNORE INTO {table} (ambassador_id, interest_id) VALUES (%s, %s)", pairs)  # noqa: S608
        else:
            through = Ambassador.interests.through
            through.objects.bulk_create(
                [through(ambassador_id=a, interest_id=i) for a, i in pairs], batch_size=CHUNK, ignore_conflicts=True
            )


def _apply(person: Person, ambassador: Ambassador, locality_id: int | None) -> bool:
    """Copy the file's non-empty values onto the ambassador; True when something changed."""
    wanted = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email or None,
        "phone": person.phone,
        "locality_id": locality_id,
        "member_since": person.member_since,
        "status": person.status,
        "notes": person.notes,
    }
    changed = False
    for name, value in wanted.items():
        if value and getattr(ambassador, name) != value:
            setattr(ambassador, name, value)
            changed = True
    return changed


def ambassadors_import(
    *, header: list[str], body: list[tuple[int, list]], dry_run: bool = False, skip_invalid: bool = False
) -> ImportReport:
    """Validate and upsert the rows in one transaction.

    Nothing is kept when it is a dry run, or when rows were rejected and `skip_invalid` is off: the report then
    shows what would have happened. Importing never sends email.
    """
    # Tens of thousands of long-lived objects make the cyclic garbage collector rescan them again and again,
    # slowing big files down more than in proportion; nothing here makes cycles, so it can pause.
    collecting = gc.isenabled()
    gc.disable()
    try:
        people, rejected = parse_people(header, body)
        report = ImportReport(rejected=rejected, dry_run=dry_run)
        report.applied = not dry_run and (skip_invalid or not rejected)
        with transaction.atomic():
            _write(people, report)
            if not report.applied:
                transaction.set_rollback(True)
    finally:
        if collecting:
            gc.enable()
    return report


def _write(people: list[Person], report: ImportReport) -> None:
    # Not offered on the public form until the coordinator has checked the spelling and ticked it.
    localities = _named(Locality, [p.locality for p in people], report.new_localities, is_public=False)
    interests = _named(Interest, [i for p in people for i in p.interests], report.new_interests)
    taken: set[int] = set()
    for block in _chunks(people, BLOCK):
        _write_block(block, report, localities, interests, taken)


def _write_block(
    people: list[Person], report: ImportReport, localities: dict, interests: dict, taken: set[int]
) -> None:
    matches = _existing(people, taken)
    now = timezone.now()
    new: list[tuple[Ambassador, list[int]]] = []
    changed: list[Ambassador] = []
    links: list[tuple[int, int]] = []
    existing_links: set[tuple[int, int]] = set()
    through = Ambassador.interests.through
    for chunk in _chunks([a.pk for a in matches.values()], LOOKUP):
        existing_links.update(
            through.objects.filter(ambassador_id__in=chunk).values_list("ambassador_id", "interest_id")
        )
    for index, person in enumerate(people):
        locality_id = localities.get(person.locality.casefold()) if person.locality else None
        interest_ids = [interests[name.casefold()] for name in person.interests]
        ambassador = matches.get(index)
        if ambassador is None:
            ambassador = Ambassador(
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email or None,
                phone=person.phone,
                locality_id=locality_id,
                member_since=person.member_since,
                status=person.status or Ambassador.Status.ACTIVE,
                notes=person.notes,
                source=Ambassador.Source.IMPORT,
                created_at=now,
                updated_at=now,
            )
            new.append((ambassador, interest_ids))
            report.created.append(person)
            continue
        missing = [i for i in interest_ids if (ambassador.pk, i) not in existing_links]
        links.extend((ambassador.pk, interest_id) for interest_id in missing)
        if _apply(person, ambassador, locality_id):
            ambassador.updated_at = now
            changed.append(ambassador)
            report.updated.append(person)
        elif missing:
            report.updated.append(person)
        else:
            report.unchanged.append(person)
    Ambassador.objects.bulk_create([a for a, _i in new], batch_size=CHUNK)
    links.extend((ambassador.pk, interest_id) for ambassador, ids in new for interest_id in ids)
    if changed:
        Ambassador.objects.bulk_update(changed, [*UPDATABLE, "updated_at"], batch_size=200)
    _insert_links(links)
