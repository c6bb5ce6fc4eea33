"""Exporting the member list (CSV and XLSX) with Swedish headers, formula escaping, and export → import."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess

import openpyxl
import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from network.models import Ambassador
from network.resources import AmbassadorResource
from network.resources import ExcelCSV as CSV
from network.resources import ExcelXLSX as XLSX
from tests.factories import AmbassadorFactory, InterestFactory, LocalityFactory

pytestmark = pytest.mark.django_db

SWEDISH_HEADERS = [
    "Förnamn",
    "Efternamn",
    "E-post",
    "Mobil",
    "Ort",
    "Intressen",
    "Ambassadör sedan",
    "Status",
    "Kommentar",
]
FIELDS = ["first_name", "last_name", "email", "phone", "locality", "interests", "member_since", "status", "notes"]
DANGEROUS = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tTab först", "\rVagnretur först"]


def read_csv(content: bytes | str) -> list[list[str]]:
    if isinstance(content, bytes):
        assert content.startswith(b"\xef\xbb\xbf"), "Swedish Excel needs the BOM to read UTF-8"
        content = content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:], newline=""), delimiter=";"))


def read_xlsx(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def xlsx_cells(content: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [cell for row in sheet.iter_rows() for cell in row]


@pytest.fixture
def anna():
    ambassador = AmbassadorFactory(
        first_name="Anna",
        last_name="Ödmark",
        email="anna@example.se",
        phone="+46701906448",
        locality=LocalityFactory(name="Kramfors"),
        member_since=dt.date(2020, 3, 1),
        status=Ambassador.Status.PAUSED,
        notes="Ringer helst kvällar",
    )
    ambassador.interests.set([InterestFactory(name="Kultur"), InterestFactory(name="Turism")])
    return ambassador


@pytest.fixture
def tricky():
    """A person whose notes start with "=" and who has a Norwegian number and no address."""
    return AmbassadorFactory(
        first_name="Ola", last_name="Nordmann", email=None, phone="+4741234567", notes='=HYPERLINK("http://x")'
    )


def export_dataset():
    return AmbassadorResource().export(Ambassador.objects.all())


def export_as(file_format) -> bytes:
    data = file_format.export_data(export_dataset())
    return data.encode("utf-8") if isinstance(data, str) else data


# Through the resource -----------------------------------------------------------------------------------------


def test_the_export_has_the_swedish_headers_in_order():
    assert export_dataset().headers == SWEDISH_HEADERS


def test_an_exported_row_holds_what_a_coordinator_would_write(anna):
    (row,) = export_dataset().dict
    assert row["Förnamn"] == "Anna"
    assert row["E-post"] == "anna@example.se"
    assert row["Mobil"] == "070-190 64 48"
    assert row["Ort"] == "Kramfors"
    assert row["Intressen"] == "Kultur, Turism"
    assert row["Ambassadör sedan"] == "2020-03-01"
    assert row["Kommentar"] == "Ringer helst kvällar"


def test_the_export_headers_stay_swedish_whatever_language_is_active():
    with translation.override("en"):
        assert export_dataset().headers == SWEDISH_HEADERS


@pytest.mark.parametrize("dangerous", DANGEROUS)
def test_every_exported_cell_that_could_run_as_a_formula_is_neutralised(dangerous):
    AmbassadorFactory(first_name=dangerous, last_name=dangerous, notes=dangerous, email="x@example.se")
    (row,) = export_dataset().dict
    for column in ("Förnamn", "Efternamn", "Kommentar"):
        assert row[column] == "'" + dangerous


def test_a_foreign_phone_number_is_exported_neutralised(tricky):
    (row,) = export_dataset().dict
    assert row["Mobil"].startswith("'+47")
    assert row["E-post"] == ""


def test_the_csv_export_has_the_swedish_headers_and_escaped_cells(anna, tricky):
    rows = read_csv(export_as(CSV()))
    assert rows[0] == SWEDISH_HEADERS
    ola = next(row for row in rows if row[0] == "Ola")
    assert ola[8] == '\'=HYPERLINK("http://x")'
    assert ola[3].startswith("'+47")


def test_the_xlsx_export_has_the_swedish_headers_and_no_formula_cells(anna, tricky):
    content = export_as(XLSX())
    rows = read_xlsx(content)
    assert rows[0] == SWEDISH_HEADERS
    ola = next(row for row in rows if row[0] == "Ola")
    assert ola[8] == '\'=HYPERLINK("http://x")'
    assert all(cell.data_type != "f" for cell in xlsx_cells(content))


# Through the admin --------------------------------------------------------------------------------------------


def admin_export(client, file_format: int) -> bytes:
    data = {"resource": "0", "format": str(file_format)}
    data.update({f"ambassadorresource_{name}": "on" for name in FIELDS})
    response = client.post(reverse("admin:network_ambassador_export"), data)
    assert response.status_code == 200, response.content[:2000]
    assert "attachment" in response["Content-Disposition"]
    return response.content


def test_the_admin_export_page_offers_csv_and_xlsx(coordinator_client):
    response = coordinator_client.get(reverse("admin:network_ambassador_export"))
    assert response.status_code == 200
    titles = " ".join(str(t) for t in dict(response.context["form"].fields["format"].choices).values())
    assert "CSV" in titles and "xlsx" in titles


def test_the_admin_export_page_is_in_swedish(coordinator_client):
    with translation.override("sv"):
        response = coordinator_client.get(reverse("admin:network_ambassador_export"), HTTP_ACCEPT_LANGUAGE="sv")
    content = response.content.decode()
    assert 'value="Exportera"' in content
    assert "Submit" not in content and "This exporter" not in content and "Select all" not in content
    assert "Markera alla" in content and "semikolon" in content
    assert ">Förnamn</label>" in content and "First Name" not in content
    assert "CSV för Excel (semikolonseparerad)" in content and "Excel-arbetsbok (.xlsx)" in content


@pytest.mark.parametrize(("file_format", "extension"), [(0, "csv"), (1, "xlsx")])
def test_the_admin_export_file_has_a_swedish_name(coordinator_client, file_format, extension):
    data = {"resource": "0", "format": str(file_format), **{f"ambassadorresource_{name}": "on" for name in FIELDS}}
    response = coordinator_client.post(reverse("admin:network_ambassador_export"), data)
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="ambassadorer-{today}.{extension}"'


def test_the_csv_export_is_what_swedish_excel_opens_semicolons_utf8_with_a_bom_every_field_quoted(anna):
    content = export_as(CSV())
    assert content.startswith(b"\xef\xbb\xbf" + '"Förnamn";"Efternamn";"E-post"'.encode())
    lines = content.decode("utf-8-sig").split("\r\n")
    assert lines[1].startswith('"Anna";"Ödmark";"anna@example.se";"070-190 64 48";"Kramfors";"Kultur, Turism";')
    assert lines[-1] == ""


def test_the_admin_csv_export_has_the_swedish_headers_and_escaped_cells(coordinator_client, anna, tricky):
    rows = read_csv(admin_export(coordinator_client, 0))
    assert rows[0] == SWEDISH_HEADERS
    assert ["Anna", "Ödmark", "anna@example.se", "070-190 64 48", "Kramfors", "Kultur, Turism", "2020-03-01"] == rows[
        [r[0] for r in rows].index("Anna")
    ][:7]
    ola = next(row for row in rows if row[0] == "Ola")
    assert ola[8].startswith("'=") and ola[3].startswith("'+47")


def test_the_admin_xlsx_export_has_the_swedish_headers_and_escaped_cells(coordinator_client, anna, tricky):
    content = admin_export(coordinator_client, 1)
    rows = read_xlsx(content)
    assert rows[0] == SWEDISH_HEADERS
    ola = next(row for row in rows if row[0] == "Ola")
    assert ola[8].startswith("'=") and str(ola[3]).startswith("'+47")
    assert all(cell.data_type != "f" for cell in xlsx_cells(content))


def test_the_admin_export_follows_the_filter_on_the_list(coordinator_client, anna, tricky):
    data = {"resource": "0", "format": "0", **{f"ambassadorresource_{name}": "on" for name in FIELDS}}
    response = coordinator_client.post(reverse("admin:network_ambassador_export") + "?status__exact=paused", data)
    rows = read_csv(response.content)
    assert [row[0] for row in rows[1:]] == ["Anna"]


# Export then import -------------------------------------------------------------------------------------------


def snapshot():
    return [
        (
            a.first_name,
            a.last_name,
            a.email,
            a.phone,
            a.locality_id,
            a.member_since,
            a.status,
            a.notes,
            a.source,
            sorted(a.interests.values_list("pk", flat=True)),
            a.updated_at,
        )
        for a in Ambassador.objects.order_by("pk")
    ]


@pytest.fixture
def register(anna, tricky):
    AmbassadorFactory(first_name="Bo", last_name="Åström", email="bo@example.se", phone="", status="alumni")
    AmbassadorFactory(first_name="Cia", last_name="-Berg", email=None, phone="+46612123456", notes="@hemma\n-rad två")
    AmbassadorFactory(first_name="Dan", last_name="Ek", email="dan@example.se", notes='+ ring först; "viktigt"')


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("file_format", [CSV, XLSX], ids=["csv", "xlsx"])
def test_export_then_import_changes_nothing(register, file_format, language):
    with translation.override(language):
        before = snapshot()
        content = export_as(file_format())
        report = AmbassadorResource().import_file(content)
    assert report.rejected == []
    assert report.counts == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 0}
    assert snapshot() == before


@pytest.mark.parametrize("file_format", [0, 1], ids=["csv", "xlsx"])
def test_an_admin_export_imported_back_changes_nothing(coordinator_client, register, file_format):
    before = snapshot()
    report = AmbassadorResource().import_file(admin_export(coordinator_client, file_format))
    assert report.counts == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 0}, report.rejected
    assert snapshot() == before


class _Undo(Exception):
    pass


def export_and_forget(make_people):
    """Create people, export them, and roll the creation back: the register is empty again afterwards."""
    fields = ("first_name", "last_name", "email", "phone", "locality__name", "member_since", "status", "notes")
    try:
        with transaction.atomic():
            make_people()
            content, rows = export_as(CSV()), sorted(Ambassador.objects.values_list(*fields))
            raise _Undo
    except _Undo:
        pass
    assert not Ambassador.objects.exists()
    return content, rows, fields


def test_export_then_import_into_an_empty_register_gives_the_same_people(request):
    content, before, fields = export_and_forget(lambda: request.getfixturevalue("register"))
    report = AmbassadorResource().import_file(content)
    assert report.counts["created"] == 5
    assert sorted(Ambassador.objects.values_list(*fields)) == before
    assert sorted(Ambassador.objects.get(first_name="Anna").interests.values_list("name", flat=True)) == [
        "Kultur",
        "Turism",
    ]


def test_notes_that_already_start_with_an_apostrophe_survive_export_then_import():
    content, _rows, _fields = export_and_forget(
        lambda: AmbassadorFactory(first_name="Eva", email="eva@example.se", notes="'=inte en formel")
    )
    AmbassadorResource().import_file(content)
    assert Ambassador.objects.get().notes == "'=inte en formel"


# Hostile values: no cell a spreadsheet makes of the export may run as a formula ----------------------------------

HOSTILE = [
    "=2+5",
    "x;=2+5;",
    "x,=2+5,",
    "+1",
    "-1",
    "@SUM(1)",
    "\t=1",
    "\r=1",
    "a\n=1+1",
    '"=1"',
    'a","=1',
    'a";"=1',
    ' "=1+1"',
    'b; "-2+3"',
    "'=1",
    "x;'=1",
    "Åsa;Öberg,@Ärlig",
    '=HYPERLINK("http://x";"klicka")',
]
DANGER = tuple("=+-@\t\r")
# Where a program that splits the text itself may start a cell: after a separator or a line break, past quotes
# (and spaces before a quote: LibreOffice runs ` "=1+1"` as a formula).
CELL = re.compile(r'[;,\t\r\n]((?: *")*)(.?)')


@pytest.fixture
def hostile():
    for index, value in enumerate(HOSTILE):
        AmbassadorFactory(first_name=value, last_name=value, notes=value, email=f"h{index}@example.se")


def cell_starts(text: str) -> list[str]:
    """The first character of every cell a program could cut out of the text, whatever it splits on."""
    starts = [re.match(r'(?: *")*(.?)', text, re.DOTALL).group(1)]
    return starts + [match.group(2) for match in CELL.finditer(text)]


@pytest.mark.parametrize("value", HOSTILE)
def test_an_exported_value_starts_no_cell_with_a_formula_however_it_is_split(value):
    AmbassadorFactory(first_name=value, notes=value, email="x@example.se")
    (row,) = export_dataset().dict
    for column in ("Förnamn", "Kommentar"):
        assert not any(start.startswith(DANGER) for start in cell_starts(row[column])), row[column]
    # The whole CSV too, read line by line by a program that ignores the quoting and splits on anything.
    for line in export_as(CSV()).decode("utf-8-sig").split("\r\n"):
        assert not any(start.startswith(DANGER) for start in cell_starts(line)), line


def test_hostile_values_come_back_unchanged_from_export_then_import(request):
    content, before, fields = export_and_forget(lambda: request.getfixturevalue("hostile"))
    report = AmbassadorResource().import_file(content)
    assert report.counts["created"] == len(HOSTILE), report.rejected
    # The importer trims whitespace around every value, as it does for any file.
    assert sorted(Ambassador.objects.values_list("notes", flat=True)) == sorted(value.strip() for value in HOSTILE)


def test_the_xlsx_export_of_hostile_values_has_no_formula_cells(hostile):
    content = export_as(XLSX())
    cells = xlsx_cells(content)
    assert all(cell.data_type != "f" for cell in cells)
    assert not any(str(cell.value or "").startswith(DANGER) for cell in cells)


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_libreoffice = pytest.mark.skipif(
    not SOFFICE, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui; .ci/run does)"
)


@pytest.fixture(scope="module")
def libreoffice_profile(tmp_path_factory):
    """A profile of its own, so that parallel test workers never share a LibreOffice instance."""
    return tmp_path_factory.mktemp("libreoffice").as_uri()


def open_in_libreoffice(csv_content: bytes, tmp_path, profile: str, filter_options: str) -> list:
    """Open the CSV in LibreOffice Calc as the filter says, save it as .xlsx, and return its cells."""
    source = tmp_path / "ambassadorer.csv"
    source.write_bytes(csv_content)
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile}",
            "--headless",
            f"--infilter=CSV:{filter_options}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return xlsx_cells((tmp_path / "ambassadorer.xlsx").read_bytes())


@needs_libreoffice
@pytest.mark.parametrize(
    "filter_options",
    # separator ; or , (44), quotes honoured (34) or ignored (empty), UTF-8 (76), from line 1
    ["59,34,76,1", "44,34,76,1", "59,,76,1", "44,,76,1"],
    ids=["semicolon", "comma", "semicolon-ignoring-quotes", "comma-ignoring-quotes"],
)
def test_libreoffice_runs_no_formula_from_the_csv_export_however_it_splits_it(
    coordinator_client, hostile, tmp_path, libreoffice_profile, filter_options
):
    orjan = AmbassadorFactory(first_name="Örjan", email="orjan@example.se", locality=LocalityFactory(name="=1+1"))
    orjan.interests.set([InterestFactory(name="@Kultur"), InterestFactory(name="-Turism")])
    content = admin_export(coordinator_client, 0)
    cells = open_in_libreoffice(content, tmp_path, libreoffice_profile, filter_options)
    assert len(cells) > len(HOSTILE)
    formulas = [cell.value for cell in cells if cell.data_type == "f"]
    assert formulas == []
    assert not any(isinstance(cell.value, str) and cell.value.startswith("=") for cell in cells)


@needs_libreoffice
def test_libreoffice_opening_the_csv_as_swedish_excel_does_shows_each_value_in_its_own_cell(
    coordinator_client, hostile, tmp_path, libreoffice_profile
):
    content = admin_export(coordinator_client, 0)
    cells = open_in_libreoffice(content, tmp_path, libreoffice_profile, "59,34,76,1")
    rows = [[cell.value for cell in cells[start : start + 9]] for start in range(0, len(cells), 9)]
    assert rows[0] == SWEDISH_HEADERS
    # Calc keeps a line break inside a quoted value as LF.
    expected = {row["Kommentar"].replace("\r", "\n") for row in export_dataset().dict}
    assert {row[8] for row in rows[1:]} == expected
    assert "'=2+5" in expected and "x;'=2+5;" in expected and "Åsa;Öberg,'@Ärlig" in expected
