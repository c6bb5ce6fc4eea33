"""Reading the member list: a CSV or XLSX file into a header row and data rows, bounded whatever the file holds.

Built for the shapes Excel hands over (semicolons, Windows-1252, Swedish headers). Also keeps an uploaded file
between the admin's preview and the coordinator's confirmation.
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
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from ..normalize import shorten

EXCEL_MAX_ROWS = 1_048_576  # a row number past Excel's last row is a forged file, not a member list


class ImportFileError(Exception):
    """The file cannot be read at all (wrong format, encoding or headers)."""


class TooLong:
    """A cell longer than IMPORT_MAX_CELL_CHARS: only its start is kept, for the message that rejects its row."""

    __slots__ = ("start",)

    def __init__(self, text: str):
        self.start = shorten(text)

    def __str__(self) -> str:
        return self.start


@contextmanager
def gc_paused():
    """The cyclic garbage collector paused while a file's rows are read and written.

    Each full collection walks every object alive, and a file of a hundred thousand rows keeps a few million of
    them alive (its cells, then its people): reading 100,000 rows paid 0.2 s of full collections, 10,000 rows none.
    Nothing here makes reference cycles that would need it; the collector runs again once the import is done.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


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
    with gc_paused():
        return _read_rows(_read_xlsx(data) if data.startswith(b"PK\x03\x04") else _read_csv(data))


def _read_rows(rows) -> tuple[list[str], list[tuple[int, list]]]:
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
