"""Imports are bounded: file size, unpacked size, rows and cell length; and an .xlsx is read to its last row."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from network.importing import ImportFileError, read_table
from network.models import Ambassador
from network.resources import AmbassadorResource
from tests.network.test_import import ANNA, BO, HEADER, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
SHEET = "xl/worksheets/sheet1.xml"


# Writing .xlsx files by hand, as a hostile or broken program could ---------------------------------------------


class Big:
    """A cell of `size` bytes of text, written in chunks (never held in memory)."""

    def __init__(self, size: int):
        self.size = size


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
WORKBOOK = (
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Medlemmar" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>'
)


def _cell(ref: str, value) -> list[bytes]:
    start, end = f'<c r="{ref}" t="inlineStr"><is><t>'.encode(), b"</t></is></c>"
    if isinstance(value, Big):
        chunk = b"A" * MB
        full, rest = divmod(value.size, MB)
        return [start, *([chunk] * full), b"A" * rest, end]
    return [start, escape(str(value)).encode(), end]


def handmade_xlsx(rows: list[tuple[int, list]], *, dimension: str | None = None) -> bytes:
    """An .xlsx with inline strings; rows are (row number, cells) so that numbers may skip or lie."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open(SHEET, "w") as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>')
            sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for number, cells in rows:
                sheet.write(f'<row r="{number}">'.encode())
                for column, value in enumerate(cells):
                    for part in _cell(f"{chr(65 + column)}{number}", value):
                        sheet.write(part)
                sheet.write(b"</row>")
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def numbered(*rows) -> list[tuple[int, list]]:
    return list(enumerate(rows, start=1))


def declare_smaller(data: bytes, member: str, size: int) -> bytes:
    """The archive with `member` declared (in the central directory) as `size` bytes unpacked: a lying zip."""
    name = member.encode()
    entry = next(m.start() for m in re.finditer(rb"PK\x01\x02", data) if data[m.start() + 46 :].startswith(name))
    patched = bytearray(data)
    patched[entry + 24 : entry + 28] = size.to_bytes(4, "little")
    return bytes(patched)


def rss_growth_kb(data: bytes, tmp_path: Path) -> tuple[int, str]:
    """Read the file in a fresh process: how much its peak memory grew (kB), and what the reader said."""
    path = tmp_path / "medlemmar.xlsx"
    path.write_bytes(data)
    code = (
        "import resource, sys, django\n"
        "django.setup()\n"
        "import openpyxl\n"
        "from network.importing import ImportFileError, read_table\n"
        "data = open(sys.argv[1], 'rb').read()\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    read_table(data)\n"
        "    said = 'read'\n"
        "except ImportFileError as error:\n"
        "    said = str(error)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
        "print(said)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings", "DJANGO_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    growth, said = result.stdout.strip().split("\n", 1)
    return int(growth), said


# The <dimension> an .xlsx declares --------------------------------------------------------------------------


@pytest.mark.parametrize("dimension", ["A1:H2", "B3:C4", "A1:A1"])
def test_rows_past_the_dimension_the_file_declares_are_imported(dimension):
    data = handmade_xlsx(numbered(HEADER, ANNA, BO, ["Cia", "", "cia@example.se"]), dimension=dimension)
    report = AmbassadorResource().import_file(data)
    assert report.counts["created"] == 3, report.rejected
    assert set(Ambassador.objects.values_list("first_name", flat=True)) == {"Anna", "Bo", "Cia"}


def test_an_excel_saved_file_whose_dimension_was_cut_short_is_read_to_the_end():
    data = xlsx_bytes([ANNA, BO])
    with zipfile.ZipFile(io.BytesIO(data)) as original:
        members = {name: original.read(name) for name in original.namelist()}
    sheet, replaced = re.subn(r'<dimension ref="A1:H3" ?/>', '<dimension ref="A1:H2"/>', members.pop(SHEET).decode())
    assert replaced == 1
    members[SHEET] = sheet.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    header, body = read_table(buffer.getvalue())
    assert [row[0] for _number, row in body] == ["Anna", "Bo"]


def test_row_numbers_follow_the_file_even_with_gaps():
    data = handmade_xlsx([(1, HEADER), (4, ANNA), (9, ["Bo", "", "bo@"])], dimension="A1:H4")
    report = AmbassadorResource().import_file(data, dry_run=True)
    assert [(error.row, error.column) for error in report.rejected] == [(9, "E-post")]
    assert report.created[0].rows == [4]


# Rows --------------------------------------------------------------------------------------------------------


def people(count: int) -> list[list[str]]:
    return [[f"Person{n}", "", f"p{n}@example.se", "", "", "", "", ""] for n in range(count)]


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_file_with_more_rows_than_allowed_is_refused_as_a_whole(settings, make):
    settings.IMPORT_MAX_ROWS = 5
    with pytest.raises(ImportFileError, match="more than 5 rows"):
        AmbassadorResource().import_file(make(people(6)))
    assert Ambassador.objects.count() == 0


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_file_with_as_many_rows_as_allowed_is_imported(settings, make):
    settings.IMPORT_MAX_ROWS = 5
    blank = [""] * 8
    report = AmbassadorResource().import_file(make([*people(3), blank, blank, blank, *people(5)[3:]]))
    assert report.counts["created"] == 5  # empty rows do not count


def test_the_default_limits_are_sane(settings):
    assert settings.IMPORT_MAX_ROWS == 20000
    assert settings.IMPORT_MAX_CELL_CHARS == 1000
    assert settings.IMPORT_MAX_FILE_MB == 20
    assert settings.IMPORT_MAX_UNPACKED_MB == 50


def test_a_row_number_past_excels_last_row_is_refused_quickly():
    started = time.monotonic()
    with pytest.raises(ImportFileError, match="Excel"):
        read_table(handmade_xlsx([(1, HEADER), (2, ANNA), (1_048_577, BO)]))
    assert time.monotonic() - started < 20


# Cells -------------------------------------------------------------------------------------------------------

LONG = "Långa anteckningar: " + "x" * 2000 + " SLUTET"


@pytest.mark.parametrize("make", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_a_cell_longer_than_allowed_rejects_its_row_quoting_only_its_start(make):
    rows = [ANNA, ["Bo", "", "bo@example.se", "", "", "", "", LONG]]
    report = AmbassadorResource().import_file(make(rows))
    (error,) = report.rejected
    assert (error.row, error.column) == (3, "Kommentar")
    assert LONG[:50] + "…" in error.message and "SLUTET" not in error.message
    assert "1000" in error.message and len(str(error)) < 150
    assert not report.applied and Ambassador.objects.count() == 0


def test_a_first_name_longer_than_allowed_gives_one_message_not_two():
    report = AmbassadorResource().import_file(csv_bytes([["A" * 1001, "", "a@example.se", "", "", "", "", ""]]))
    assert [error.column for error in report.rejected] == ["Förnamn"]


def test_a_long_cell_in_a_column_we_do_not_read_does_no_harm():
    header = [*HEADER, "Annat"]
    report = AmbassadorResource().import_file(xlsx_bytes([[*ANNA, "y" * 5000]], header=header))
    assert report.counts["created"] == 1 and report.rejected == []


def test_cells_past_the_last_named_column_are_not_kept():
    header, body = read_table(csv_bytes([[*ANNA, "x", "y", "z" * 5000]]))
    assert header == HEADER
    assert [len(row) for _number, row in body] == [len(HEADER)]


@pytest.mark.parametrize(
    ("column", "value"),
    [(2, "inte-en-adress-" + "x" * 300), (3, "ring mig " * 40), (6, "snart " * 60), (7, "kanske " * 50)],
    ids=["email", "phone", "date", "status"],
)
def test_a_message_about_a_bad_value_quotes_only_its_first_50_characters(column, value):
    header = [*HEADER[:7], "Status"]
    row = ["Anna", "", "", "", "", "", "", ""]
    row[column] = value
    if column != 2:
        row[2] = "anna@example.se"
    report = AmbassadorResource().import_file(csv_bytes([row], header=header), dry_run=True)
    (error,) = report.rejected
    assert value.strip().lower()[:50] + "…" in error.message.lower()
    assert len(error.message) < 200, error.message


# Size --------------------------------------------------------------------------------------------------------


def test_a_file_larger_than_allowed_is_refused_before_it_is_read(settings):
    settings.IMPORT_MAX_FILE_MB = 1
    data = csv_bytes([ANNA]) + b"x" * MB
    with pytest.raises(ImportFileError, match="larger than 1 MB"):
        read_table(data)


def test_the_command_refuses_a_file_larger_than_allowed_with_exit_code_2(settings, tmp_path):
    settings.IMPORT_MAX_FILE_MB = 1
    path = tmp_path / "medlemmar.csv"
    path.write_bytes(csv_bytes([ANNA]) + b"x" * MB)
    with pytest.raises(CommandError, match="larger than 1 MB") as raised:
        call_command("import_members", str(path))
    assert raised.value.returncode == 2


def test_a_workbook_that_unpacks_to_more_than_allowed_is_refused_before_parsing(settings):
    settings.IMPORT_MAX_UNPACKED_MB = 2
    data = handmade_xlsx(numbered(HEADER, ["Anna", "", "anna@example.se", "", "", "", "", Big(3 * MB)]))
    assert len(data) < MB / 10
    with pytest.raises(ImportFileError, match="more than 2 MB"):
        read_table(data)


def test_a_300_mb_cell_is_refused_with_a_clear_message_and_bounded_memory(tmp_path):
    data = handmade_xlsx(numbered(HEADER, ["Anna", "", "anna@example.se", "", "", "", "", Big(300 * MB)]))
    assert len(data) < 3 * MB  # well under the upload limit: only the unpacked size gives it away
    growth, said = rss_growth_kb(data, tmp_path)
    assert "packas upp till mer än 50 MB" in said  # in Swedish, as the coordinator reads it
    assert growth < 30 * 1024, f"reading grew the process by {growth} kB"


def test_a_zip_that_lies_about_its_unpacked_size_is_refused_with_bounded_memory(tmp_path):
    data = handmade_xlsx(numbered(HEADER, ["Anna", "", "anna@example.se", "", "", "", "", Big(300 * MB)]))
    data = declare_smaller(data, SHEET, 4000)
    growth, said = rss_growth_kb(data, tmp_path)
    assert "kunde inte läsas som en Excel-arbetsbok" in said
    assert growth < 30 * 1024, f"reading grew the process by {growth} kB"
