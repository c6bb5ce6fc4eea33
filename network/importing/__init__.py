"""Importing the member list: read a CSV or XLSX file, validate each row, upsert people in one transaction.

Built for the shapes Excel hands over (semicolons, Windows-1252, Swedish headers) and for speed: values are
validated in plain Python, existing people are loaded in a few queries and written with bulk statements.

- `reading`: the file's size checks, CSV and XLSX into rows, and the uploads kept until an import is confirmed.
- `headers`: which column holds which field, whatever the header row calls them.
- `parsing`: each row validated into a `Person`, the rows of one person merged.
- `matching`: each person matched to an ambassador on file, by address, else by phone and name.
- `writing`: `ambassadors_import`, the one transaction that upserts everyone, and its `ImportReport`.
"""

from __future__ import annotations

from .headers import COLUMNS
from .parsing import MAX_LENGTHS, STATUS_WORDS
from .reading import (
    ImportFileError,
    check_file_size,
    read_table,
    upload_discard,
    upload_read,
    upload_store,
    uploads_sweep,
)
from .writing import ImportReport, ambassadors_import

__all__ = [
    "COLUMNS",
    "MAX_LENGTHS",
    "STATUS_WORDS",
    "ImportFileError",
    "ImportReport",
    "ambassadors_import",
    "check_file_size",
    "read_table",
    "upload_discard",
    "upload_read",
    "upload_store",
    "uploads_sweep",
]
